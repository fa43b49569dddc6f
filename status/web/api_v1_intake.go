package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// intakeJSON is a triage item in the admin API.
type intakeJSON struct {
	ID               string              `json:"id"`
	Source           status.IntakeSource `json:"source"`
	State            status.IntakeState  `json:"state"`
	Title            string              `json:"title"`
	Body             string              `json:"body"`
	SenderName       string              `json:"sender_name"`
	SenderEmail      string              `json:"sender_email"`
	SenderPhone      string              `json:"sender_phone"`
	CustomerID       *string             `json:"customer_id"`
	CustomerMatch    string              `json:"customer_match"`
	UnverifiedThread bool                `json:"unverified_thread"`
	Reference        string              `json:"reference"`
	IncidentID       *string             `json:"incident_id"`
	DecidedBy        string              `json:"decided_by"`
	DecidedAt        *time.Time          `json:"decided_at"`
	Note             string              `json:"note"`
	// ForwardedTo is where the item's dismissal forwarded it.
	ForwardedTo string `json:"forwarded_to"`
	// What an alert item's alerts suggest.
	Components     []string        `json:"components"`
	Severity       status.Severity `json:"severity"`
	Link           string          `json:"link"`
	AcknowledgedBy string          `json:"acknowledged_by"`
	AcknowledgedAt *time.Time      `json:"acknowledged_at"`
	CreatedAt      time.Time       `json:"created_at"`
}

func toIntakeJSON(it *status.IntakeItem) intakeJSON {
	orNil := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	return intakeJSON{ID: it.ID, Source: it.Source, State: it.State, Title: it.Title, Body: it.Body, SenderName: it.SenderName,
		SenderEmail: it.SenderEmail, SenderPhone: it.SenderPhone, CustomerID: orNil(it.CustomerID), CustomerMatch: string(it.Matched()),
		UnverifiedThread: it.UnverifiedThread, Reference: it.Reference, IncidentID: orNil(it.IncidentID), DecidedBy: it.DecidedBy,
		DecidedAt: it.DecidedAt, Note: it.Note, ForwardedTo: it.ForwardedTo, Components: append([]string{}, it.ComponentIDs()...), Severity: it.Severity,
		Link: it.Link, AcknowledgedBy: it.AcknowledgedBy, AcknowledgedAt: it.AcknowledgedAt, CreatedAt: it.CreatedAt}
}

// ticketRequest is a ticket from the customer portal.
type ticketRequest struct {
	Reference   *string `json:"reference"`
	Title       *string `json:"title"`
	Body        *string `json:"body"`
	SenderName  *string `json:"sender_name"`
	SenderEmail *string `json:"sender_email"`
	SenderPhone *string `json:"sender_phone"`
}

// createTicket serves POST /api/v1/intake/tickets: a portal ticket becomes
// a triage item. The ticket's reference makes it idempotent: sending it
// again answers 200 with the item made the first time.
func (s *Server) createTicket(c *fiber.Ctx) error {
	var req ticketRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"reference": req.Reference != nil && *req.Reference != "", "title": req.Title != nil})
	if err := f.Err(); err != nil {
		return err
	}
	item, created, err := s.deps.Service.Intake.Create(c.UserContext(), status.IntakeInput{Source: status.IntakePortal,
		Reference: *req.Reference, Title: *req.Title, Body: deref(req.Body), SenderName: deref(req.SenderName),
		SenderEmail: deref(req.SenderEmail), SenderPhone: deref(req.SenderPhone), RecordedBy: status.ActorFrom(c.UserContext()).Name})
	if err != nil {
		return err
	}
	code := fiber.StatusCreated
	if !created {
		code = fiber.StatusOK
	}
	return c.Status(code).JSON(toIntakeJSON(item))
}

// listIntake serves GET /api/v1/intake?state=open&limit=N&before=ID.
func (s *Server) listIntake(c *fiber.Ctx) error {
	fe := status.FieldErrors{}
	f := status.IntakeFilter{State: status.IntakeState(c.Query("state")), Before: c.Query("before"),
		Limit: queryInt(c, fe, "limit", 50, 1, 500)}
	if f.State != "" && !f.State.Valid() {
		fe.Add("state", status.OneOf(status.IntakeStates))
	}
	if err := fe.Err(); err != nil {
		return err
	}
	items, err := s.deps.Service.Intake.Items(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]intakeJSON, 0, len(items))
	for _, it := range items {
		out = append(out, toIntakeJSON(it))
	}
	return c.JSON(out)
}

// getIntake serves GET /api/v1/intake/:id.
func (s *Server) getIntake(c *fiber.Ctx) error {
	item, err := s.deps.Service.Intake.Item(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toIntakeJSON(item))
}

// acknowledgeIntake serves POST /api/v1/intake/:id/acknowledge: the
// token's holder says they are on it. The first acknowledgement stands.
func (s *Server) acknowledgeIntake(c *fiber.Ctx) error {
	item, err := s.deps.Service.Intake.Acknowledge(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toIntakeJSON(item))
}
