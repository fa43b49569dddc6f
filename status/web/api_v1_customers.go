package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// listCustomersAPI serves GET /api/v1/customers: every customer with its
// domains, contacts (phone numbers and preferred channels included), on-call
// notes and on-call wiki link, sorted by name. The team's data: it needs a
// token like every admin API route.
func (s *Server) listCustomersAPI(c *fiber.Ctx) error {
	cs, err := s.deps.Service.Customers.List(c.UserContext())
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []*status.Customer{}
	}
	return c.JSON(cs)
}

// getCustomerAPI serves GET /api/v1/customers/:id.
func (s *Server) getCustomerAPI(c *fiber.Ctx) error {
	cu, err := s.deps.Service.Customers.ByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(cu)
}
