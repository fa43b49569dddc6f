package status

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
func (r ContactRole) Valid() bool { return slices.Contains(ContactRoles, r) }

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

// domainPattern accepts a lower-case ASCII DNS domain of at least two
// labels whose last label starts with a letter: acme.com, eu.acme.co.uk,
// xn--bcher-kva.example.
var domainPattern = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// normaliseDomain lower-cases a domain and drops what people tend to type
// around it: spaces, a leading "@" and a trailing dot.
func normaliseDomain(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	d = strings.TrimPrefix(d, "@")
	return strings.TrimSuffix(d, ".")
}

func (in *CustomerInput) normalise() {
	in.Name = strings.TrimSpace(in.Name)
	in.AccountManagerEmail = strings.TrimSpace(in.AccountManagerEmail)
	ds := make([]string, len(in.Domains))
	for i, d := range in.Domains {
		ds[i] = normaliseDomain(d)
	}
	in.Domains = ds
	cs := make([]ContactInput, len(in.Contacts))
	for i, c := range in.Contacts {
		cs[i] = ContactInput{Name: strings.TrimSpace(c.Name), Email: strings.TrimSpace(c.Email), Role: c.Role}
	}
	in.Contacts = cs
}

func (in *CustomerInput) validate() error {
	f := FieldErrors{}
	checkText(f, "name", in.Name, MaxNameLen, true, false)
	checkDomains(f, in.Domains)
	checkContacts(f, in.Contacts)
	checkText(f, "account_manager_email", in.AccountManagerEmail, 254, false, false)
	checkEmail(f, "account_manager_email", in.AccountManagerEmail)
	if utf8.RuneCountInString(in.OncallNotes) > MaxOncallNotesLen {
		f.Add("oncall_notes", "is too long (at most "+itoa(MaxOncallNotesLen)+" characters)")
	}
	checkText(f, "oncall_notes", in.OncallNotes, 4*MaxOncallNotesLen, false, true)
	return f.Err()
}

func checkDomains(f FieldErrors, ds []string) {
	if len(ds) > MaxCustomerDomains {
		f.Add("domains", "at most "+itoa(MaxCustomerDomains)+" domains")
		return
	}
	seen := map[string]bool{}
	for i, d := range ds {
		field := fmt.Sprintf("domains[%d]", i)
		switch {
		case !isASCII(d):
			f.Add(field, "must be written in its ASCII form (xn--…)")
		case len(d) > 253 || !domainPattern.MatchString(d):
			f.Add(field, "must be a domain such as example.com")
		case seen[d]:
			f.Add(field, "is listed twice")
		}
		seen[d] = true
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func checkContacts(f FieldErrors, cs []ContactInput) {
	if len(cs) > MaxCustomerContacts {
		f.Add("contacts", "at most "+itoa(MaxCustomerContacts)+" contacts")
		return
	}
	seen := map[string]bool{}
	for i, c := range cs {
		p := fmt.Sprintf("contacts[%d].", i)
		checkText(f, p+"name", c.Name, MaxNameLen, false, false)
		if c.Email == "" {
			f.Add(p+"email", "is required")
		} else {
			checkEmail(f, p+"email", c.Email)
		}
		if !c.Role.Valid() {
			f.Add(p+"role", OneOf(ContactRoles))
		}
		key := strings.ToLower(c.Email) + " " + string(c.Role)
		if c.Email != "" && seen[key] {
			f.Add(p+"email", "is listed twice with the same role")
		}
		seen[key] = true
	}
}
