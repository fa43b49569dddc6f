package web

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

// localConsoleLoc is the request local caching consoleLoc.
const localConsoleLoc = "console_loc"

// consoleLoc is the console's time zone (status.Service.ConsoleLocation),
// for the times people read that belong to no page: the inbox, intake
// items, stored email, customers, the audit log, users, tokens, the
// outbox. Looked up once a request.
func (s *Server) consoleLoc(c *fiber.Ctx) *time.Location {
	if loc, ok := c.Locals(localConsoleLoc).(*time.Location); ok {
		return loc
	}
	loc, err := s.deps.Service.ConsoleLocation(c.UserContext())
	if err != nil {
		s.log.Warn("finding the console's time zone", "err", err)
	}
	c.Locals(localConsoleLoc, loc)
	return loc
}
