package web

import "github.com/gofiber/fiber/v2"

// pageRoutes registers the console's pages, groups, components and
// maintenance screens.
func (s *Server) pageRoutes(r fiber.Router) {}
