package web

import "github.com/gofiber/fiber/v2"

// subscriberRoutes registers a page's subscribe form and its confirm,
// manage and unsubscribe links under prefix ("" or "/p/:slug").
func (s *Server) subscriberRoutes(r fiber.Router, prefix string) {}
