package status

import (
	"time"

	"github.com/uptrace/bun"
)

// ContactRole says what a customer contact is there for.
type ContactRole string

// Contact roles.
const (
	ContactPrimary    ContactRole = "primary"
	ContactTechnical  ContactRole = "technical"
	ContactBusiness   ContactRole = "business"
	ContactEscalation ContactRole = "escalation"
)

// ContactRoles lists every contact role, in the order forms offer them.
var ContactRoles = []ContactRole{ContactPrimary, ContactTechnical, ContactBusiness, ContactEscalation}

// Valid reports whether r is one of ContactRoles.
func (r ContactRole) Valid() bool {
	for _, v := range ContactRoles {
		if r == v {
			return true
		}
	}
	return false
}

// Label is the role in words.
func (r ContactRole) Label() string {
	switch r {
	case ContactPrimary:
		return "Primary"
	case ContactTechnical:
		return "Technical"
	case ContactBusiness:
		return "Business"
	case ContactEscalation:
		return "Escalation"
	}
	return string(r)
}

// Limits of a customer record.
const (
	MaxCustomerDomains  = 50
	MaxCustomerContacts = 100
	// MaxOncallNotesLen is counted in characters, not bytes.
	MaxOncallNotesLen = 10000
)

// Customer is an organisation whose systems the operations team runs. It
// is internal: no customer ever sees another's name, domains or contacts
// (DESIGN.md §1, privacy).
type Customer struct {
	bun.BaseModel `bun:"table:customers,alias:cu"`

	ID   string `bun:"id,pk" json:"id"`
	Name string `bun:"name" json:"name"` // unique, ignoring case
	// AccountManagerEmail is where escalation notices about this customer
	// go; empty means the configured Account Management address.
	AccountManagerEmail string `bun:"account_manager_email" json:"account_manager_email"`
	// OncallNotes is Markdown for whoever is on call, shown on incidents
	// that affect the customer. Internal only.
	OncallNotes string `bun:"oncall_notes" json:"oncall_notes"`
	// Version grows with every save, so a form based on an older version
	// is refused instead of overwriting someone else's change.
	Version   int       `bun:"version" json:"version"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`

	// Domains are the customer's email domains, lower case, sorted. Each
	// belongs to this customer only; subdomains match too.
	Domains []string `bun:"-" json:"domains"`
	// Contacts in the order they were entered.
	Contacts []*CustomerContact `bun:"-" json:"contacts"`
}

// CustomerContact is a person or mailbox to talk to at a customer.
type CustomerContact struct {
	bun.BaseModel `bun:"table:customer_contacts,alias:cc"`

	ID         string      `bun:"id,pk" json:"id"`
	CustomerID string      `bun:"customer_id" json:"-"`
	Name       string      `bun:"name" json:"name"`
	Email      string      `bun:"email" json:"email"`
	Role       ContactRole `bun:"role" json:"role"`
	Position   int         `bun:"position" json:"position"`
	CreatedAt  time.Time   `bun:"created_at" json:"-"`
}

// DisplayName is the contact's name, or its address when it has none.
func (c *CustomerContact) DisplayName() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Email
}

type customerDomain struct {
	bun.BaseModel `bun:"table:customer_domains"`

	Domain     string `bun:"domain,pk"`
	CustomerID string `bun:"customer_id"`
}

type incidentCustomer struct {
	bun.BaseModel `bun:"table:incident_customers"`

	IncidentID string `bun:"incident_id,pk"`
	CustomerID string `bun:"customer_id,pk"`
}

// CustomerInput is what creating or saving a customer sets. Domains and
// Contacts replace the customer's lists as a whole.
type CustomerInput struct {
	Name                string
	Domains             []string
	Contacts            []ContactInput
	AccountManagerEmail string
	OncallNotes         string
	// Version, when not zero, is the customer version the form was based
	// on; UpdateCustomer refuses the save if the customer changed since.
	Version int
}

// ContactInput describes one contact of a customer. Name is optional.
type ContactInput struct {
	Name  string
	Email string
	Role  ContactRole
}
