package web

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

type phonePage struct {
	consoleBase
	Form   url.Values
	Fields map[string]string
	// Choices are the customers the picker offers: those the search
	// found, else every customer.
	Choices []callerChoice
	// Searched says what the search found; "" when there was none.
	Searched string
}

// callerChoice is a customer the phone form's picker offers, with the
// contacts whose number matched the search.
type callerChoice struct {
	Customer *status.Customer
	matched  map[string]bool
}

// Matched reports whether the contact's number matched the search.
func (ch callerChoice) Matched(ct *status.CustomerContact) bool { return ch.matched[ct.ID] }

// ContactValue is the picker's value for one of the customer's contacts.
func (ch callerChoice) ContactValue(ct *status.CustomerContact) string {
	return ch.Customer.ID + "/" + ct.ID
}

// Value returns the submitted value of a form field.
func (d phonePage) Value(name string) string { return d.Form.Get(name) }

// showPhoneForm serves GET /console/inbox/phone.
func (s *Server) showPhoneForm(c *fiber.Ctx) error {
	return s.renderPhoneForm(c, fiber.StatusOK, url.Values{}, nil, false)
}

// renderPhoneForm shows the phone form with what was typed; with search
// set, the picker offers what customer_q (else the caller's number) finds.
func (s *Server) renderPhoneForm(c *fiber.Ctx, code int, form url.Values, fields map[string]string, search bool) error {
	d := phonePage{consoleBase: s.consoleBase(c), Form: form, Fields: fields}
	if d.Fields == nil {
		d.Fields = map[string]string{}
	}
	q := strings.TrimSpace(form.Get("customer_q"))
	if search && q == "" {
		q = strings.TrimSpace(form.Get("sender_phone"))
		form.Set("customer_q", q)
	}
	if search && q != "" {
		hits, err := s.deps.Service.Customers.Search(c.UserContext(), q)
		switch {
		case status.KindOf(err) == status.KindInvalid:
			d.Fields["customer_q"] = "search for at most 200 characters of a name or number, without control characters"
			if d.Choices, err = s.allCallerChoices(c); err != nil {
				return err
			}
			return s.renderConsole(c, fiber.StatusUnprocessableEntity, "console/intake_phone.html", d)
		case err != nil:
			return err
		}
		for _, h := range hits {
			ch := callerChoice{Customer: h.Customer, matched: map[string]bool{}}
			for _, ct := range h.Contacts {
				ch.matched[ct.ID] = true
			}
			d.Choices = append(d.Choices, ch)
		}
		d.Searched = searchSummary(len(hits), q)
		preselect(form, d.Choices)
	}
	if len(d.Choices) == 0 {
		var err error
		if d.Choices, err = s.allCallerChoices(c); err != nil {
			return err
		}
	}
	return s.renderConsole(c, code, "console/intake_phone.html", d)
}

// allCallerChoices offers every customer, for a picker without a search
// (or whose search found nobody).
func (s *Server) allCallerChoices(c *fiber.Ctx) ([]callerChoice, error) {
	all, err := s.deps.Service.Customers.List(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := make([]callerChoice, len(all))
	for i, cu := range all {
		out[i] = callerChoice{Customer: cu}
	}
	return out, nil
}

// searchSummary says what a search for q found.
func searchSummary(n int, q string) string {
	switch n {
	case 0:
		return fmt.Sprintf("No customer matches %q: every customer is listed.", shortText(q, 60))
	case 1:
		return fmt.Sprintf("1 customer matches %q.", shortText(q, 60))
	}
	return fmt.Sprintf("%d customers match %q.", n, shortText(q, 60))
}

// preselect chooses the one customer a search found, or the one contact
// whose number it found, unless something is chosen already.
func preselect(form url.Values, choices []callerChoice) {
	if form.Get("customer") != "" || len(choices) != 1 {
		return
	}
	ch := choices[0]
	var matched []*status.CustomerContact
	for _, ct := range ch.Customer.Contacts {
		if ch.Matched(ct) {
			matched = append(matched, ct)
		}
	}
	if len(matched) == 1 {
		form.Set("customer", ch.ContactValue(matched[0]))
		return
	}
	form.Set("customer", ch.Customer.ID)
}

// recordPhoneCall serves POST /console/inbox/phone: the call becomes an
// open inbox item, recorded by the signed-in user, with the customer (and
// contact) chosen in the picker. The Find button (find=1) records nothing:
// it shows the form again with the customers the search finds.
func (s *Server) recordPhoneCall(c *fiber.Ctx) error {
	form := formValues(c)
	if form.Get("find") != "" {
		return s.renderPhoneForm(c, fiber.StatusOK, form, nil, true)
	}
	customerID, contactID, ok := pickedCustomer(form.Get("customer"))
	if !ok {
		return s.renderPhoneForm(c, fiber.StatusUnprocessableEntity, form,
			map[string]string{"customer": "choose a customer from the list, or unknown"}, false)
	}
	base := s.consoleBase(c)
	item, _, err := s.deps.Service.Intake.Create(c.UserContext(), status.IntakeInput{Source: status.IntakePhone,
		Title: form.Get("title"), Body: form.Get("body"), SenderName: form.Get("sender_name"),
		SenderPhone: form.Get("sender_phone"), RecordedBy: authorName(base.User), CustomerID: customerID, ContactID: contactID})
	if code, fields, ok := refusedForm(err); ok {
		if msg, bad := fields["contact"]; bad {
			fields["customer"] = msg // one picker for both
		}
		return s.renderPhoneForm(c, code, form, fields, false)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/console/inbox/"+item.ID+"?recorded=1", fiber.StatusSeeOther)
}

// pickedCustomer reads the picker's value: "" (unknown), a customer id,
// or a customer id and a contact id ("CUSTOMER/CONTACT").
func pickedCustomer(v string) (customerID, contactID string, ok bool) {
	if v == "" {
		return "", "", true
	}
	customerID, contactID, _ = strings.Cut(v, "/")
	if !status.ValidID(customerID) || (contactID != "" && !status.ValidID(contactID)) || strings.Count(v, "/") > 1 {
		return "", "", false
	}
	return customerID, contactID, true
}

// customerHitJSON is a customer the console's search found, for the
// phone form's picker.
type customerHitJSON struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	ByName   bool             `json:"by_name"`
	Contacts []contactHitJSON `json:"contacts"`
}

// contactHitJSON is a contact of a found customer; Matched says its
// number matched the search.
type contactHitJSON struct {
	ID               string                `json:"id"`
	Name             string                `json:"name"`
	Email            string                `json:"email"`
	Phone            string                `json:"phone"`
	Role             status.ContactRole    `json:"role"`
	PreferredChannel status.ContactChannel `json:"preferred_channel"`
	Matched          bool                  `json:"matched"`
}

// customerSearchJSON is the answer of the console's customer search.
type customerSearchJSON struct {
	Query     string            `json:"query"`
	Customers []customerHitJSON `json:"customers"`
	Error     string            `json:"error,omitempty"`
}

// searchCustomers serves GET /console/customers/search?q=…: the customers
// whose name contains q or with a contact whose number matches it, as
// JSON for the phone form's picker (the form finds them without
// JavaScript too). A bad q is a 422 with the reason in "error".
func (s *Server) searchCustomers(c *fiber.Ctx) error {
	q := strings.Clone(c.Query("q"))
	hits, err := s.deps.Service.Customers.Search(c.UserContext(), q)
	out := customerSearchJSON{Query: q, Customers: []customerHitJSON{}}
	if status.KindOf(err) == status.KindInvalid {
		out.Error = "Search for at most 200 characters of a name or number, without control characters."
		return c.Status(fiber.StatusUnprocessableEntity).JSON(out)
	}
	if err != nil {
		return err
	}
	for _, h := range hits {
		matched := map[string]bool{}
		for _, ct := range h.Contacts {
			matched[ct.ID] = true
		}
		hj := customerHitJSON{ID: h.Customer.ID, Name: h.Customer.Name, ByName: h.ByName(), Contacts: []contactHitJSON{}}
		for _, ct := range h.Customer.Contacts {
			hj.Contacts = append(hj.Contacts, contactHitJSON{ID: ct.ID, Name: ct.Name, Email: ct.Email, Phone: ct.Phone,
				Role: ct.Role, PreferredChannel: ct.PreferredChannel, Matched: matched[ct.ID]})
		}
		out.Customers = append(out.Customers, hj)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}
