package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthz serves GET /healthz: the process is up.
func (s *Server) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz serves GET /readyz: the database answers, migrations are current
// and the public snapshots are fresh. 503 otherwise, with the reason.
func (s *Server) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := fiber.Map{}
	ready := true
	if s.deps.Ready != nil {
		if err := s.deps.Ready(ctx); err != nil {
			ready = false
			checks["database"] = "unavailable"
			s.log.Warn("not ready", "err", err)
		} else {
			checks["database"] = "ok"
		}
	}
	lastOK, err := s.snapshots.Healthy()
	if err != nil {
		ready = false
		checks["snapshots"] = "stale since " + lastOK.UTC().Format(time.RFC3339)
	} else {
		checks["snapshots"] = "ok"
	}
	if !ready {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}
