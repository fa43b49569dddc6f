package web

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// spareContactRows is how many empty contact rows the form offers.
const spareContactRows = 3

// customerWriter reports whether u may change customers, as the routes'
// requireRole(incidentWriters...) decides.
func customerWriter(u *status.User) bool {
	if u == nil {
		return false
	}
	if u.Role == status.RoleAdmin {
		return true
	}
	for _, r := range incidentWriters {
		if u.Role == r {
			return true
		}
	}
	return false
}

type customersPage struct {
	consoleBase
	Customers []*status.Customer
	Open      map[string]int // customer id → open incidents
	CanWrite  bool
}

// showCustomers serves GET /console/customers.
func (s *Server) showCustomers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	d := customersPage{consoleBase: s.consoleBase(c)}
	var err error
	if d.Customers, err = s.deps.Service.Customers.List(ctx); err != nil {
		return err
	}
	if d.Open, err = s.deps.Service.Customers.OpenIncidents(ctx); err != nil {
		return err
	}
	d.CanWrite = customerWriter(d.User)
	if c.Query("deleted") != "" {
		d.Flash = "The customer was deleted."
	}
	return s.renderConsole(c, fiber.StatusOK, "console/customers.html", d)
}

// contactRow is one row of the contacts table in the customer form. N
// numbers its fields: contacts.N.name, contacts.N.email, contacts.N.phone,
// contacts.N.preferred_channel, contacts.N.role.
type contactRow struct {
	N                                 int
	Name, Email, Phone, Channel, Role string
}

// Num is the row's number for people, from 1.
func (r contactRow) Num() int { return r.N + 1 }

type customerPage struct {
	consoleBase
	Customer  *status.Customer // nil on the new-customer form
	Incidents []*status.Incident
	Form      url.Values
	Rows      []contactRow
	Fields    map[string]string
	Roles     []status.ContactRole
	Channels  []status.ContactChannel
	CanWrite  bool
	Loc       *time.Location
}

// Value returns the submitted value of a form field.
func (d customerPage) Value(name string) string { return d.Form.Get(name) }

// Field returns the error of a contact row's field ("name", "email",
// "phone", "preferred_channel", "role").
func (d customerPage) Field(r contactRow, name string) string {
	return d.Fields[fmt.Sprintf("contacts.%d.%s", r.N, name)]
}

// showNewCustomer serves GET /console/customers/new.
func (s *Server) showNewCustomer(c *fiber.Ctx) error {
	return s.renderCustomer(c, fiber.StatusOK, nil, url.Values{}, withSpareRows(nil), nil)
}

// createConsoleCustomer serves POST /console/customers.
func (s *Server) createConsoleCustomer(c *fiber.Ctx) error {
	form := formValues(c)
	in, rows := customerInput(form)
	cu, err := s.deps.Service.Customers.Create(c.UserContext(), in)
	if err != nil {
		return s.customerFormError(c, nil, form, in, rows, err)
	}
	return c.Redirect("/console/customers/"+cu.ID+"?saved=1", fiber.StatusSeeOther)
}

// showCustomer serves GET /console/customers/:id.
func (s *Server) showCustomer(c *fiber.Ctx) error {
	cu, err := s.deps.Service.Customers.ByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	form, rows := customerFormOf(cu)
	d, err := s.customerData(c, cu, form, rows, nil)
	if err != nil {
		return err
	}
	if c.Query("saved") != "" {
		d.Flash = "Saved."
	}
	return s.renderConsole(c, fiber.StatusOK, "console/customer.html", d)
}

// saveConsoleCustomer serves POST /console/customers/:id. The form's
// version must be the customer's current one: a form opened before
// someone else's save is refused rather than overwriting that save.
func (s *Server) saveConsoleCustomer(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cu, err := s.deps.Service.Customers.ByID(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form := formValues(c)
	in, rows := customerInput(form)
	if in.Version, err = strconv.Atoi(form.Get("version")); err != nil || in.Version < 1 {
		return s.renderCustomer(c, fiber.StatusUnprocessableEntity, cu, form, formRows(form),
			map[string]string{"form": "The form does not say which version of the customer it edits. Reload the page and try again."})
	}
	if _, err := s.deps.Service.Customers.Update(ctx, cu.ID, in); err != nil {
		return s.customerFormError(c, cu, form, in, rows, err)
	}
	return c.Redirect("/console/customers/"+cu.ID+"?saved=1", fiber.StatusSeeOther)
}

// deleteConsoleCustomer serves POST /console/customers/:id/delete; the
// confirm box must be ticked.
func (s *Server) deleteConsoleCustomer(c *fiber.Ctx) error {
	ctx := c.UserContext()
	cu, err := s.deps.Service.Customers.ByID(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if c.FormValue("confirm") != "yes" {
		form, rows := customerFormOf(cu)
		return s.renderCustomer(c, fiber.StatusUnprocessableEntity, cu, form, rows,
			map[string]string{"confirm": "tick the box to confirm the deletion"})
	}
	if err := s.deps.Service.Customers.Delete(ctx, cu.ID); err != nil {
		return err
	}
	return c.Redirect("/console/customers?deleted=1", fiber.StatusSeeOther)
}

// customerFormError shows the form again with the service's complaints
// for invalid input and conflicts (a taken name or domain, a stale form);
// other errors go to the error handler.
func (s *Server) customerFormError(c *fiber.Ctx, cu *status.Customer, form url.Values, in status.CustomerInput, rows []int, err error) error {
	switch status.KindOf(err) {
	case status.KindInvalid, status.KindConflict:
	default:
		return err
	}
	code, msg, f := classify(err)
	fields := customerFields(f, in, rows)
	if len(fields) == 0 {
		fields = map[string]string{"form": msg}
	}
	return s.renderCustomer(c, code, cu, form, formRows(form), fields)
}

func (s *Server) renderCustomer(c *fiber.Ctx, code int, cu *status.Customer, form url.Values, rows []contactRow, fields map[string]string) error {
	d, err := s.customerData(c, cu, form, rows, fields)
	if err != nil {
		return err
	}
	return s.renderConsole(c, code, "console/customer.html", d)
}

// customerData loads what the customer page shows besides the form: the
// incidents affecting the customer (none for a new one).
func (s *Server) customerData(c *fiber.Ctx, cu *status.Customer, form url.Values, rows []contactRow, fields map[string]string) (customerPage, error) {
	d := customerPage{consoleBase: s.consoleBase(c), Customer: cu, Form: form, Rows: rows, Fields: fields,
		Roles: status.ContactRoles, Channels: status.AllContactChannels, Loc: s.consoleLoc(c)}
	d.CanWrite = customerWriter(d.User)
	if cu != nil {
		var err error
		if d.Incidents, err = s.deps.Service.Customers.Incidents(c.UserContext(), cu.ID); err != nil {
			return d, err
		}
	}
	return d, nil
}

// customerFormOf fills the form from a stored customer: its contacts and
// spare empty rows.
func customerFormOf(cu *status.Customer) (url.Values, []contactRow) {
	form := url.Values{"name": {cu.Name}, "domains": {strings.Join(cu.Domains, "\n")},
		"account_manager_email": {cu.AccountManagerEmail}, "oncall_notes": {cu.OncallNotes}, "oncall_url": {cu.OncallURL},
		"version": {strconv.Itoa(cu.Version)}}
	rows := make([]contactRow, len(cu.Contacts))
	for i, ct := range cu.Contacts {
		rows[i] = contactRow{N: i, Name: ct.Name, Email: ct.Email, Phone: ct.Phone, Channel: string(ct.PreferredChannel),
			Role: string(ct.Role)}
	}
	return form, withSpareRows(rows)
}

func withSpareRows(rows []contactRow) []contactRow {
	n := 0
	if len(rows) > 0 {
		n = rows[len(rows)-1].N + 1
	}
	for i := range spareContactRows {
		role := status.ContactTechnical
		if n+i == 0 {
			role = status.ContactPrimary
		}
		rows = append(rows, contactRow{N: n + i, Role: string(role), Channel: string(status.ChannelEmail)})
	}
	return rows
}

var contactField = regexp.MustCompile(`^contacts\.([0-9]{1,4})\.(name|email|phone|preferred_channel|role)$`)

// contactRowNumbers returns the row numbers of the submitted contact
// fields, in order.
func contactRowNumbers(form url.Values) []int {
	seen := map[int]bool{}
	var out []int
	for k := range form {
		m := contactField.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

// formRows returns the submitted contact rows, for showing the form again
// as it was sent.
func formRows(form url.Values) []contactRow {
	var rows []contactRow
	for _, n := range contactRowNumbers(form) {
		p := fmt.Sprintf("contacts.%d.", n)
		rows = append(rows, contactRow{N: n, Name: form.Get(p + "name"), Email: form.Get(p + "email"), Phone: form.Get(p + "phone"),
			Channel: form.Get(p + "preferred_channel"), Role: form.Get(p + "role")})
	}
	if len(rows) == 0 {
		return withSpareRows(nil)
	}
	return rows
}

// customerInput reads the customer form. Domains are separated by lines,
// commas or spaces. A contact row whose name, email and phone are all
// empty is left out: clearing a row removes the contact. rows[i] is the form row of
// the input's contact i.
func customerInput(form url.Values) (in status.CustomerInput, rows []int) {
	in = status.CustomerInput{Name: form.Get("name"), AccountManagerEmail: form.Get("account_manager_email"),
		OncallNotes: form.Get("oncall_notes"), OncallURL: form.Get("oncall_url")}
	in.Domains = strings.FieldsFunc(form.Get("domains"), func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	for _, n := range contactRowNumbers(form) {
		p := fmt.Sprintf("contacts.%d.", n)
		name, email, phone := form.Get(p+"name"), form.Get(p+"email"), form.Get(p+"phone")
		if strings.TrimSpace(name+email+phone) == "" {
			continue
		}
		in.Contacts = append(in.Contacts, status.ContactInput{Name: name, Email: email, Phone: phone,
			PreferredChannel: status.ContactChannel(form.Get(p + "preferred_channel")), Role: status.ContactRole(form.Get(p + "role"))})
		rows = append(rows, n)
	}
	return in, rows
}

var (
	domainField      = regexp.MustCompile(`^domains\[([0-9]+)\]$`)
	contactListField = regexp.MustCompile(`^contacts\[([0-9]+)\]\.(name|email|phone|preferred_channel|role)$`)
)

// customerFields maps the service's field names to the form's: every
// domain's problem goes to the domains box, naming the domain; contact i's
// fields go to its form row.
func customerFields(fields map[string]string, in status.CustomerInput, rows []int) map[string]string {
	out := map[string]string{}
	var domainIdx []int
	for k, v := range fields {
		if m := domainField.FindStringSubmatch(k); m != nil {
			i, _ := strconv.Atoi(m[1])
			domainIdx = append(domainIdx, i)
			continue
		}
		if m := contactListField.FindStringSubmatch(k); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(rows) {
				out[fmt.Sprintf("contacts.%d.%s", rows[i], m[2])] = v
				continue
			}
		}
		out[k] = v
	}
	sort.Ints(domainIdx)
	var msgs []string
	for _, i := range domainIdx {
		d := ""
		if i < len(in.Domains) {
			d = in.Domains[i]
		}
		msgs = append(msgs, shortText(d, 100)+": "+fields[fmt.Sprintf("domains[%d]", i)])
	}
	if len(msgs) > 0 {
		if v, ok := out["domains"]; ok {
			msgs = append([]string{v}, msgs...)
		}
		out["domains"] = strings.Join(msgs, "; ")
	}
	return out
}

// shortText cuts v to at most n characters, marking the cut.
func shortText(v string, n int) string {
	r := []rune(v)
	if len(r) <= n {
		return v
	}
	return string(r[:n]) + "…"
}
