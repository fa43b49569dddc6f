package web

import "github.com/gofiber/fiber/v2"

// customerRoutes registers the console's customer screens.
func (s *Server) customerRoutes(r fiber.Router) {}
