package web

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// requestConsoleConfirmation serves POST
// /console/pages/:page/incidents/:id/confirmation-requests: ask the
// affected customers (request_kind customer) or a team member
// (request_kind internal, request_user) to confirm that the services are
// back, with an optional request_message. A refusal shows at the top of
// the page and beside the form, which keeps what was typed.
func (s *Server) requestConsoleConfirmation(c *fiber.Ctx) error {
	form := formValues(c)
	req, err := s.deps.Service.Incidents.RequestConfirmation(c.UserContext(), c.Params("page"), c.Params("id"),
		status.RequestConfirmationInput{Kind: status.ConfirmationKind(form.Get("request_kind")),
			UserID: form.Get("request_user"), Message: form.Get("request_message")})
	switch status.KindOf(err) {
	case status.KindInvalid, status.KindConflict:
		code, msg, f := classify(err)
		fields := map[string]string{"request": msg}
		if len(f) > 0 {
			fields["request"] = "Check the request form: " + strings.Join(sortedValues(f), " ")
		}
		for k, v := range f {
			fields["request_"+k] = v
		}
		c.Locals(localAlert, "Confirmation not requested. "+fields["request"])
		return s.renderConsoleIncident(c, code, form, fields)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id"))+"?requested="+url.QueryEscape(req.ID),
		fiber.StatusSeeOther)
}

// sortedValues lists the messages of field errors by field name, each
// with its field: "message: is too long".
func sortedValues(f map[string]string) []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = strings.ReplaceAll(k, "_", " ") + ": " + f[k] + "."
	}
	return out
}

// requestedFlash is the message at the top of the incident page after the
// request id was made: whom it asked.
func requestedFlash(rs []*status.ConfirmationRequest, id string) string {
	for _, r := range rs {
		if r.ID != id || id == "" {
			continue
		}
		if r.Kind == status.ConfirmationInternal {
			return "Confirmation requested from " + r.Asked() + ": they were sent an email notice."
		}
		out := "Confirmation requested by email from " + r.Asked() + "."
		if len(r.NotAsked) > 0 {
			out += " Not asked, without a primary contact: " + strings.Join(r.NotAsked, ", ") + "."
		}
		return out
	}
	return ""
}

// RepliesSince returns the customers' messages on the timeline that came
// at or after the request, to offer as its answer.
func (d incidentConsolePage) RepliesSince(r *status.ConfirmationRequest) []*status.TimelineEntry {
	var out []*status.TimelineEntry
	for _, e := range d.Timeline {
		if e.Kind == status.TimelineCustomer && !e.At.Before(r.RequestedAt) {
			out = append(out, e)
		}
	}
	return out
}

// PrimaryContacts counts the affected customers' primary contacts, whom a
// customer request writes to.
func (d incidentConsolePage) PrimaryContacts() int {
	n := 0
	for _, cu := range d.Customers {
		for _, ct := range cu.Contacts {
			if ct.Role == status.ContactPrimary {
				n++
			}
		}
	}
	return n
}

// CanAskCustomers reports whether a customer request would reach anyone:
// the request form starts from it, else from asking the team.
func (d incidentConsolePage) CanAskCustomers() bool {
	return d.PrimaryContacts() > 0 && d.Incident.Visibility != status.VisibilityInternal
}

// RequestAudience says whom a customer request would write to, for the
// request form.
func (d incidentConsolePage) RequestAudience() string {
	n, c := len(d.Customers), d.PrimaryContacts()
	switch {
	case n == 0:
		return "no customers are linked to this incident: ask internally"
	case c == 0:
		return "no affected customer has a primary contact: ask internally"
	case d.Incident.Visibility == status.VisibilityInternal:
		return "this incident is internal, its customers do not see it: ask internally"
	}
	return fmt.Sprintf("%d customer%s, %d primary contact%s; each email names only its own customer", n, plural(n), c, plural(c))
}
