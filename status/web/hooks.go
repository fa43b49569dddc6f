package web

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
)

// hookIgnored answers an event Herald does not act on.
type hookIgnored struct {
	Ignored string `json:"ignored"`
}

// receiveHook serves POST /hooks/{alertmanager,opsgenie,generic}: it
// checks the hook's token, parses the payload and stores its alerts.
func (s *Server) receiveHook(c *fiber.Ctx) error {
	hook := c.Params("hook")
	if s.deps.Alerts == nil || !alerts.ValidHook(hook) {
		return status.Errorf(status.KindNotFound, "There is no hook %q; the hooks are %s.", status.Cut(hook, 64, ""),
			strings.Join(alerts.Hooks, ", "))
	}
	ctx := status.WithActor(c.UserContext(), status.Actor{Kind: status.ActorSystem, Name: "Monitoring (" + hook + " hook)"})
	token := c.Params("token")
	if token == "" {
		token, _ = bearerToken(c)
	}
	if err := s.deps.Alerts.CheckToken(ctx, hook, token); err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="herald hooks"`)
		return err
	}
	var (
		batch   []alerts.Alert
		ignored string
		err     error
	)
	switch hook {
	case "alertmanager":
		batch, err = alerts.ParseAlertmanager(c.Body())
	case "opsgenie":
		batch, ignored, err = alerts.ParseOpsgenie(c.Body())
	default:
		batch, err = alerts.ParseGeneric(c.Body())
	}
	var pe *alerts.PayloadError
	if errors.As(err, &pe) {
		return fiber.NewError(fiber.StatusBadRequest, pe.Error())
	}
	if err != nil {
		return err
	}
	if ignored != "" {
		return c.Status(fiber.StatusAccepted).JSON(hookIgnored{Ignored: ignored})
	}
	res, err := s.deps.Alerts.Ingest(ctx, batch)
	if err != nil {
		return err
	}
	return c.JSON(res)
}
