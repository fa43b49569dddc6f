package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/comms"
)

// outboxRoutes registers the console's view of outbound email: every email
// Herald sent or would send (the dev outbox when no SMTP server is set),
// with its delivery state.
func (s *Server) outboxRoutes(r fiber.Router) {
	r.Get("/outbox", s.listEmails)
	r.Get("/outbox/:id", s.showEmail)
}

type outboxPage struct {
	consoleBase
	Dev      bool
	Emails   []*comms.Email
	Email    *comms.Email
	Incident string // the incident filter
	Status   string // the status filter
	To       string // the recipient filter
	Older    string // id to continue from, "" at the end
	Statuses []comms.EmailStatus
}

// listEmails serves GET /console/outbox.
func (s *Server) listEmails(c *fiber.Ctx) error {
	d := outboxPage{consoleBase: s.consoleBase(c), Incident: c.Query("incident"), Status: c.Query("status"),
		To:       strings.TrimSpace(c.Query("to")),
		Statuses: []comms.EmailStatus{comms.EmailQueued, comms.EmailSending, comms.EmailSent, comms.EmailRetrying, comms.EmailFailed, comms.EmailOutbox}}
	if s.deps.Outbox == nil {
		return s.renderConsole(c, fiber.StatusOK, "console/outbox.html", d)
	}
	d.Dev = s.deps.Outbox.Dev()
	const perPage = 50
	es, err := s.deps.Outbox.Emails(c.UserContext(), comms.EmailFilter{IncidentID: c.Query("incident"),
		Status: comms.EmailStatus(d.Status), To: d.To, Before: c.Query("before"), Limit: perPage})
	if err != nil {
		return err
	}
	d.Emails = es
	if len(es) == perPage {
		d.Older = es[len(es)-1].ID
	}
	return s.renderConsole(c, fiber.StatusOK, "console/outbox.html", d)
}

// showEmail serves GET /console/outbox/:id: headers, text and the HTML
// part in a sandboxed frame.
func (s *Server) showEmail(c *fiber.Ctx) error {
	if s.deps.Outbox == nil {
		return fiber.ErrNotFound
	}
	e, err := s.deps.Outbox.Email(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	d := outboxPage{consoleBase: s.consoleBase(c), Email: e, Dev: s.deps.Outbox.Dev()}
	return s.renderConsole(c, fiber.StatusOK, "console/outbox_email.html", d)
}
