package statustest

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

// CustomerOpts are the options of Customer. An empty Name is made unique;
// nil Domains gives one unique domain; nil Contacts gives one primary
// contact at that domain. Empty (non-nil) lists stay empty.
type CustomerOpts struct {
	Name                string
	Domains             []string
	Contacts            []status.ContactInput
	AccountManagerEmail string
	OncallNotes         string
	OncallURL           string
}

// Customer creates a customer.
func Customer(t testing.TB, svc *status.Service, o *CustomerOpts) *status.Customer {
	t.Helper()
	if o == nil {
		o = &CustomerOpts{}
	}
	n := next()
	in := status.CustomerInput{Name: o.Name, Domains: o.Domains, Contacts: o.Contacts,
		AccountManagerEmail: o.AccountManagerEmail, OncallNotes: o.OncallNotes, OncallURL: o.OncallURL}
	if in.Name == "" {
		in.Name = fmt.Sprintf("Customer %d", n)
	}
	if in.Domains == nil {
		in.Domains = []string{fmt.Sprintf("customer%d.example", n)}
	}
	if in.Contacts == nil {
		in.Contacts = []status.ContactInput{{Name: fmt.Sprintf("Contact %d", n),
			Email: fmt.Sprintf("ops@customer%d.example", n), Role: status.ContactPrimary}}
	}
	c, err := svc.Customers.Create(t.Context(), in)
	require.NoError(t, err)
	return c
}
