package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
)

// showPrivateIncident serves GET /incidents/:id/private/:token: the
// customer-facing updates of an incident that is not public, for the
// customer whose contacts got the link by email. Nothing internal is
// shown: the page is the public incident page's, and it works only while
// the link is valid and the customer is still linked to the incident.
func (s *Server) showPrivateIncident(c *fiber.Ctx) error {
	sn, root, err := s.pageFor(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Robots-Tag", "noindex")
	if len(s.deps.Secret) < 16 {
		return s.publicError(c, sn, root, fiber.StatusNotFound, "Link not valid", "This link is not valid.")
	}
	incID, customerID, err := comms.CheckPrivateLink(comms.NewTokens(s.deps.Secret), c.Params("token"), s.deps.Service.Now())
	switch {
	case errors.Is(err, comms.ErrTokenExpired):
		return s.publicError(c, sn, root, fiber.StatusGone, "This link has expired",
			"Links to an incident's updates work for 30 days. The latest email about the incident has a fresh one.")
	case err != nil || incID != c.Params("id"):
		return s.publicError(c, sn, root, fiber.StatusNotFound, "Link not valid", "This link is not valid. Use the link in the latest email about the incident.")
	}
	ctx := c.UserContext()
	// The link works while the customer is linked to the incident; what it
	// shows is that customer's view, never more.
	linked, err := s.deps.Service.Incidents.Customers(ctx, incID)
	if err != nil {
		return err
	}
	allowed := false
	for _, cu := range linked {
		allowed = allowed || cu.ID == customerID
	}
	inc, err := s.deps.Service.Incidents.View(ctx, status.CustomerAudience(customerID), sn.View.Page.ID, incID)
	if status.KindOf(err) == status.KindNotFound || (err == nil && !allowed) {
		return s.publicError(c, sn, root, fiber.StatusNotFound, "Incident not found", "This incident is no longer available.")
	}
	if err != nil {
		return err
	}
	b, err := sn.render.incidentPage(sn.View, root, sn.Stale, inc)
	if err != nil {
		return err
	}
	setHTMLSecurityHeaders(c)
	c.Set("Referrer-Policy", "no-referrer") // the token is in the URL
	c.Set(fiber.HeaderContentType, htmlType)
	return c.Send(b)
}
