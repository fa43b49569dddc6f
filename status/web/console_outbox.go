package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
)

var (
	// emailPageCSP is the console's policy plus framing its own origin:
	// the email page frames the email's HTML from /console/outbox/:id/html.
	emailPageCSP = string(valCSP) + "; frame-src 'self'"
	// emailHTMLCSP is the policy of an email's HTML shown in the console:
	// its inline styles apply (a srcdoc frame would inherit the console's
	// policy, which blocks them), nothing else does. No script runs, no
	// image, font or form reaches out from the console, only the console
	// may frame it, and the sandbox directive keeps it inert (no scripts,
	// an opaque origin) even when it is opened on its own.
	emailHTMLCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)

type outboxPage struct {
	consoleBase
	timeView
	Dev bool
	// Problem stops all delivery (an untrusted certificate, a refused
	// login); nil when there is none.
	Problem  *comms.DeliveryProblem
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
	d := outboxPage{consoleBase: s.consoleBase(c), timeView: s.timeView(c), Incident: c.Query("incident"), Status: c.Query("status"),
		To:       strings.TrimSpace(c.Query("to")),
		Statuses: []comms.EmailStatus{comms.EmailQueued, comms.EmailSending, comms.EmailSent, comms.EmailRetrying, comms.EmailFailed, comms.EmailOutbox}}
	if s.deps.Outbox == nil {
		return s.renderConsole(c, fiber.StatusOK, "console/outbox.html", d)
	}
	d.Dev = s.deps.Outbox.Dev()
	p, err := s.deps.Outbox.Problem(c.UserContext())
	if err != nil {
		return err
	}
	d.Problem = p
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
// part in a sandboxed frame (showEmailHTML).
func (s *Server) showEmail(c *fiber.Ctx) error {
	if s.deps.Outbox == nil {
		return fiber.ErrNotFound
	}
	e, err := s.deps.Outbox.Email(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	d := outboxPage{consoleBase: s.consoleBase(c), timeView: s.timeView(c), Email: e, Dev: s.deps.Outbox.Dev()}
	if err := s.renderConsole(c, fiber.StatusOK, "console/outbox_email.html", d); err != nil {
		return err
	}
	c.Response().Header.SetCanonical(hdrCSP, []byte(emailPageCSP))
	return nil
}

// showEmailHTML serves GET /console/outbox/:id/html: the email's HTML part
// exactly as stored and sent, as a document of its own under its own
// policy (emailHTMLCSP), so the email page's sandboxed frame shows it as
// recipients see it.
func (s *Server) showEmailHTML(c *fiber.Ctx) error {
	if s.deps.Outbox == nil {
		return fiber.ErrNotFound
	}
	e, err := s.deps.Outbox.Email(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if e.HTML == "" {
		return status.Errorf(status.KindNotFound, "This email has no HTML part.")
	}
	h := &c.Response().Header
	h.SetCanonical(hdrCSP, []byte(emailHTMLCSP))
	h.SetCanonical(hdrNoSniff, valNoSniff)
	h.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	h.Set(fiber.HeaderCacheControl, "no-store")
	h.Set(fiber.HeaderContentType, htmlType)
	return c.Status(fiber.StatusOK).SendString(e.HTML)
}
