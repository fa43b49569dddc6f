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

// ContactChannel is how a customer contact prefers to be reached during
// an incident (DESIGN.md §1: agree contact channels with the customer).
type ContactChannel string

// Contact channels; email is the default.
const (
	ChannelEmail  ContactChannel = "email"
	ChannelPhone  ContactChannel = "phone"
	ChannelChat   ContactChannel = "chat"
	ChannelVideo  ContactChannel = "video"
	ChannelTicket ContactChannel = "ticket"
)

// AllContactChannels lists every contact channel, in the order forms
// offer them.
var AllContactChannels = []ContactChannel{ChannelEmail, ChannelPhone, ChannelChat, ChannelVideo, ChannelTicket}

// Valid reports whether ch is one of AllContactChannels.
func (ch ContactChannel) Valid() bool { return slices.Contains(AllContactChannels, ch) }

// Label is the channel in words.
func (ch ContactChannel) Label() string {
	switch ch {
	case ChannelEmail:
		return "Email"
	case ChannelPhone:
		return "Phone"
	case ChannelChat:
		return "Chat"
	case ChannelVideo:
		return "Video call"
	case ChannelTicket:
		return "Ticket"
	}
	return string(ch)
}

// Limits of a customer record.
const (
	MaxCustomerDomains  = 50
	MaxCustomerContacts = 100
	// MaxOncallNotesLen is counted in characters, not bytes.
	MaxOncallNotesLen = 10000
	// MaxPhoneLen is the longest phone number a contact may have, in
	// characters (all of them ASCII).
	MaxPhoneLen = 40
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
	// OncallURL is the customer's page in the on-call wiki, an http(s)
	// URL or "". Internal only, like the notes.
	OncallURL string `bun:"oncall_url" json:"oncall_url"`
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

	ID         string `bun:"id,pk" json:"id"`
	CustomerID string `bun:"customer_id" json:"-"`
	Name       string `bun:"name" json:"name"`
	Email      string `bun:"email" json:"email"`
	// Phone is the contact's number as entered (digits, spaces and
	// + - ( ) /), "" when unknown; PhoneKey is its last eight digits (all
	// of them when fewer), which a caller's number is matched by.
	Phone            string         `bun:"phone" json:"phone"`
	PhoneKey         string         `bun:"phone_key" json:"-"`
	PreferredChannel ContactChannel `bun:"preferred_channel" json:"preferred_channel"`
	Role             ContactRole    `bun:"role" json:"role"`
	Position         int            `bun:"position" json:"position"`
	CreatedAt        time.Time      `bun:"created_at" json:"-"`
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
	// OncallURL is the customer's on-call wiki page: an http or https
	// URL, or "".
	OncallURL string
	// Version, when not zero, is the customer version the form was based
	// on; UpdateCustomer refuses the save if the customer changed since.
	Version int
}

// ContactInput describes one contact of a customer. Name and Phone are
// optional; an empty PreferredChannel is email.
type ContactInput struct {
	Name             string
	Email            string
	Phone            string
	PreferredChannel ContactChannel
	Role             ContactRole
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
	in.OncallURL = strings.TrimSpace(in.OncallURL)
	ds := make([]string, len(in.Domains))
	for i, d := range in.Domains {
		ds[i] = normaliseDomain(d)
	}
	in.Domains = ds
	cs := make([]ContactInput, len(in.Contacts))
	for i, c := range in.Contacts {
		ch := c.PreferredChannel
		if ch == "" {
			ch = ChannelEmail
		}
		cs[i] = ContactInput{Name: strings.TrimSpace(c.Name), Email: strings.TrimSpace(c.Email),
			Phone: strings.Join(strings.Fields(c.Phone), " "), PreferredChannel: ch, Role: c.Role}
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
	checkOncallURL(f, "oncall_url", in.OncallURL)
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
		checkPhone(f, p+"phone", c.Phone)
		if !c.PreferredChannel.Valid() {
			f.Add(p+"preferred_channel", OneOf(AllContactChannels))
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

// phoneChars is what a phone number may be written with: digits,
// spaces, + - ( ) and /.
var phoneChars = regexp.MustCompile(`^[0-9 +\-()/]*$`)

// minPhoneDigits is how many digits a phone number has at least.
const minPhoneDigits = 3

// checkPhone accepts "" or a phone number of at most MaxPhoneLen
// characters written with phoneChars's characters and at least
// minPhoneDigits digits.
func checkPhone(f FieldErrors, field, v string) {
	if v == "" {
		return
	}
	if len(v) > MaxPhoneLen || !phoneChars.MatchString(v) || len(phoneDigits(v)) < minPhoneDigits {
		f.Add(field, "must be a phone number such as +49 30 1234-567: digits, spaces and + - ( ) / only, at most "+
			itoa(MaxPhoneLen)+" characters")
	}
}

// checkOncallURL accepts "" or an http or https URL without spaces.
func checkOncallURL(f FieldErrors, field, v string) {
	checkText(f, field, v, MaxShortLen, false, false)
	if _, bad := f[field]; bad || v == "" {
		return
	}
	if strings.ContainsAny(v, " \t") {
		f.Add(field, "must be an http or https URL (without spaces)")
		return
	}
	checkURL(f, field, v)
}

// phoneDigits returns the digits of a phone number.
func phoneDigits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// phoneKeyDigits is how many trailing digits identify a phone number:
// enough to tell numbers apart, few enough to leave out the country and
// trunk prefixes people write differently ("+49 30 …", "0049 30 …",
// "030 …").
const phoneKeyDigits = 8

// PhoneKey returns what a phone number is matched by: its last eight
// digits, or all of them when it has fewer. "+49 30 1234-567" and
// "0049301234567" have the same key, "01234567".
func PhoneKey(phone string) string {
	d := phoneDigits(phone)
	return d[max(0, len(d)-phoneKeyDigits):]
}
