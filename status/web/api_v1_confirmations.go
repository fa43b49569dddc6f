package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// confirmationRequestBody asks for confirmation that the services are
// back: kind "customer" (the affected customers' primary contacts, by
// email) or "internal" (user, a team member's id), with an optional
// message.
type confirmationRequestBody struct {
	Kind    *status.ConfirmationKind `json:"kind"`
	User    *string                  `json:"user"`
	Message *string                  `json:"message"`
}

// requestConfirmation serves POST
// /api/v1/pages/:page/incidents/:id/confirmation-requests: 201 with the
// request as recorded (whom it asked, whom it could not).
func (s *Server) requestConfirmation(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var body confirmationRequestBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"kind": body.Kind != nil})
	if err := f.Err(); err != nil {
		return err
	}
	req, err := s.deps.Service.Incidents.RequestConfirmation(c.UserContext(), p.ID, c.Params("id"),
		status.RequestConfirmationInput{Kind: *body.Kind, UserID: deref(body.User), Message: deref(body.Message)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(req)
}
