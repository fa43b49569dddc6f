package status_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// customerInput is a valid input to start cases from.
func customerInput() status.CustomerInput {
	return status.CustomerInput{
		Name:    "Acme Corp",
		Domains: []string{"acme.com"},
		Contacts: []status.ContactInput{
			{Name: "Wile E. Coyote", Email: "wile@acme.com", Role: status.ContactPrimary},
		},
		AccountManagerEmail: "am@herald.example",
		OncallNotes:         "Call the **NOC** first.",
	}
}

func TestCreateCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		in := customerInput()
		in.Name = "  Acme Corp "
		in.Domains = []string{" Acme.COM. ", "@eu.acme.com", "acme.co.uk"}
		in.Contacts = append(in.Contacts, status.ContactInput{Email: " noc@acme.com ", Role: status.ContactTechnical})

		c, err := b.svc.Customers.Create(ctx, in)
		require.NoError(t, err)
		require.True(t, status.ValidID(c.ID))
		require.Equal(t, "Acme Corp", c.Name)
		require.Equal(t, []string{"acme.co.uk", "acme.com", "eu.acme.com"}, c.Domains, "normalised and sorted")
		require.Len(t, c.Contacts, 2)
		require.Equal(t, "Wile E. Coyote", c.Contacts[0].Name)
		require.Equal(t, status.ContactPrimary, c.Contacts[0].Role)
		require.Equal(t, "noc@acme.com", c.Contacts[1].Email)
		require.Equal(t, "noc@acme.com", c.Contacts[1].DisplayName(), "a contact without a name shows its address")
		require.Equal(t, "am@herald.example", c.AccountManagerEmail)
		require.Equal(t, "Call the **NOC** first.", c.OncallNotes)
		require.Equal(t, 1, c.Version)
		requireTime(t, epoch, c.CreatedAt)

		got, err := b.svc.Customers.ByID(b.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c, got)

		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "customer", SubjectID: c.ID})
		require.NoError(t, err)
		require.Len(t, log, 1)
		require.Equal(t, "create", log[0].Action)
		require.Equal(t, "Ada", log[0].ActorName)
		require.Empty(t, log[0].Before)
		var after status.Customer
		require.NoError(t, json.Unmarshal([]byte(log[0].After), &after))
		require.Equal(t, "Acme Corp", after.Name)
		require.Equal(t, c.Domains, after.Domains)
		require.Len(t, after.Contacts, 2)
	})
}

func TestCustomerValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		manyDomains := make([]string, status.MaxCustomerDomains+1)
		for i := range manyDomains {
			manyDomains[i] = fmt.Sprintf("d%d.example", i)
		}
		cases := []struct {
			name  string
			edit  func(*status.CustomerInput)
			field string
		}{
			{"name is required", func(in *status.CustomerInput) { in.Name = "  " }, "name"},
			{"name of 201 bytes is too long", func(in *status.CustomerInput) { in.Name = strings.Repeat("a", 201) }, "name"},
			{"name of 10 000 characters is too long", func(in *status.CustomerInput) { in.Name = strings.Repeat("x", 10000) }, "name"},
			{"name with a NUL", func(in *status.CustomerInput) { in.Name = "Acme\x00" }, "name"},
			{"name with a newline", func(in *status.CustomerInput) { in.Name = "Ac\nme" }, "name"},
			{"name that is not UTF-8", func(in *status.CustomerInput) { in.Name = "Acme \xff" }, "name"},
			{"domain without a dot", func(in *status.CustomerInput) { in.Domains = []string{"localhost"} }, "domains[0]"},
			{"domain with a space", func(in *status.CustomerInput) { in.Domains = []string{"acme.com", "ac me.com"} }, "domains[1]"},
			{"domain with a scheme", func(in *status.CustomerInput) { in.Domains = []string{"https://acme.com"} }, "domains[0]"},
			{"domain with an empty label", func(in *status.CustomerInput) { in.Domains = []string{"acme..com"} }, "domains[0]"},
			{"domain with a leading dash", func(in *status.CustomerInput) { in.Domains = []string{"-acme.com"} }, "domains[0]"},
			{"domain with a port", func(in *status.CustomerInput) { in.Domains = []string{"acme.com:25"} }, "domains[0]"},
			{"domain of an address", func(in *status.CustomerInput) { in.Domains = []string{"wile@acme.com"} }, "domains[0]"},
			{"domain in Unicode", func(in *status.CustomerInput) { in.Domains = []string{"bücher.example"} }, "domains[0]"},
			{"domain label of 64 characters", func(in *status.CustomerInput) { in.Domains = []string{strings.Repeat("a", 64) + ".com"} }, "domains[0]"},
			{"empty domain", func(in *status.CustomerInput) { in.Domains = []string{""} }, "domains[0]"},
			{"domain listed twice, ignoring case", func(in *status.CustomerInput) { in.Domains = []string{"acme.com", "ACME.com"} }, "domains[1]"},
			{"51 domains", func(in *status.CustomerInput) { in.Domains = manyDomains }, "domains"},
			{"contact without email", func(in *status.CustomerInput) { in.Contacts[0].Email = "" }, "contacts[0].email"},
			{"contact with a bad email", func(in *status.CustomerInput) { in.Contacts[0].Email = "not an address" }, "contacts[0].email"},
			{"contact with a display-name email", func(in *status.CustomerInput) { in.Contacts[0].Email = "Wile <wile@acme.com>" }, "contacts[0].email"},
			{"contact with a script email", func(in *status.CustomerInput) { in.Contacts[0].Email = `"><script>alert(1)</script>` }, "contacts[0].email"},
			{"contact with a long name", func(in *status.CustomerInput) { in.Contacts[0].Name = strings.Repeat("n", 201) }, "contacts[0].name"},
			{"contact with a control character", func(in *status.CustomerInput) { in.Contacts[0].Name = "Wile\x07" }, "contacts[0].name"},
			{"contact with an unknown role", func(in *status.CustomerInput) { in.Contacts[0].Role = "boss" }, "contacts[0].role"},
			{"contact without role", func(in *status.CustomerInput) { in.Contacts[0].Role = "" }, "contacts[0].role"},
			{"contact listed twice", func(in *status.CustomerInput) { in.Contacts = append(in.Contacts, in.Contacts[0]) }, "contacts[1].email"},
			{"101 contacts", func(in *status.CustomerInput) {
				for i := range status.MaxCustomerContacts {
					in.Contacts = append(in.Contacts, status.ContactInput{Email: fmt.Sprintf("c%d@acme.com", i), Role: status.ContactTechnical})
				}
			}, "contacts"},
			{"bad account manager email", func(in *status.CustomerInput) { in.AccountManagerEmail = "am@" }, "account_manager_email"},
			{"huge account manager email", func(in *status.CustomerInput) {
				in.AccountManagerEmail = strings.Repeat("a", 10000) + "@example.com"
			}, "account_manager_email"},
			{"notes of 10 001 characters", func(in *status.CustomerInput) { in.OncallNotes = strings.Repeat("ü", 10001) }, "oncall_notes"},
			{"notes with a NUL", func(in *status.CustomerInput) { in.OncallNotes = "a\x00b" }, "oncall_notes"},
		}
		for _, tc := range cases {
			in := customerInput()
			in.Contacts = append([]status.ContactInput{}, in.Contacts...)
			tc.edit(&in)
			_, err := b.svc.Customers.Create(b.ctx, in)
			requireField(t, err, status.KindInvalid, tc.field)
		}
		cs, err := b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Empty(t, cs, "nothing invalid was saved")

		// What is allowed at the edges.
		in := customerInput()
		in.Name = strings.Repeat("n", status.MaxNameLen)
		in.OncallNotes = strings.Repeat("ü", status.MaxOncallNotesLen) // 10 000 characters, 20 000 bytes
		in.AccountManagerEmail = ""
		in.Domains, in.Contacts = nil, nil
		c, err := b.svc.Customers.Create(b.ctx, in)
		require.NoError(t, err)
		require.Empty(t, c.Domains)
		require.Empty(t, c.Contacts)
		in = customerInput()
		in.Name = "Multi-line notes"
		in.Domains = []string{"xn--bcher-kva.example", "a.b.c.d.example"}
		in.Contacts = append(in.Contacts, status.ContactInput{Email: "wile@acme.com", Role: status.ContactEscalation})
		in.OncallNotes = "line one\r\n\tline two"
		_, err = b.svc.Customers.Create(b.ctx, in)
		require.NoError(t, err, "the same address with another role, punycode and tabs in notes are fine")
	})
}

func TestCustomerUniqueness(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com"}})
		globex := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Globex", Domains: []string{"globex.com"}})

		_, err := b.svc.Customers.Create(b.ctx, status.CustomerInput{Name: "Initech", Domains: []string{"initech.com", "ACME.com"}})
		e := requireKindError(t, err, status.KindConflict)
		require.Equal(t, "already belongs to Acme", e.Fields["domains[1]"])
		require.NotContains(t, e.Fields, "domains[0]")

		_, err = b.svc.Customers.Create(b.ctx, status.CustomerInput{Name: "aCME"})
		e = requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Fields["name"], "Acme", "names are unique ignoring case")

		// Saving a customer with its own domains and name is fine; taking
		// another's is not.
		_, err = b.svc.Customers.Update(b.ctx, acme.ID, status.CustomerInput{Name: "ACME", Domains: []string{"acme.com"}})
		require.NoError(t, err)
		_, err = b.svc.Customers.Update(b.ctx, globex.ID, status.CustomerInput{Name: "Globex", Domains: []string{"globex.com", "acme.com"}})
		requireField(t, err, status.KindConflict, "domains[1]")
		_, err = b.svc.Customers.Update(b.ctx, globex.ID, status.CustomerInput{Name: "acme"})
		requireField(t, err, status.KindConflict, "name")

		// A subdomain of another customer's domain may belong to someone
		// else (a subsidiary); the more specific domain wins.
		_, err = b.svc.Customers.Create(b.ctx, status.CustomerInput{Name: "Acme Europe", Domains: []string{"eu.acme.com"}})
		require.NoError(t, err)
	})
}

func TestUpdateCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		c, err := b.svc.Customers.Create(b.ctx, customerInput())
		require.NoError(t, err)
		b.clock.Advance(60e9)

		in := status.CustomerInput{Name: "Acme Corporation", Domains: []string{"acme.org"},
			Contacts:    []status.ContactInput{{Name: "Road Runner", Email: "rr@acme.org", Role: status.ContactEscalation}},
			OncallNotes: "Beep beep.", Version: c.Version}
		got, err := b.svc.Customers.Update(b.ctx, c.ID, in)
		require.NoError(t, err)
		require.Equal(t, "Acme Corporation", got.Name)
		require.Equal(t, []string{"acme.org"}, got.Domains)
		require.Len(t, got.Contacts, 1)
		require.Equal(t, "Road Runner", got.Contacts[0].Name)
		require.Empty(t, got.AccountManagerEmail)
		require.Equal(t, 2, got.Version)
		requireTime(t, epoch, got.CreatedAt)
		requireTime(t, b.clock.Now(), got.UpdatedAt)

		// acme.com is free again.
		_, err = b.svc.Customers.Create(b.ctx, status.CustomerInput{Name: "Other", Domains: []string{"acme.com"}})
		require.NoError(t, err)

		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "customer", SubjectID: c.ID})
		require.NoError(t, err)
		require.Len(t, log, 2)
		require.Equal(t, "update", log[0].Action)
		var before, after status.Customer
		require.NoError(t, json.Unmarshal([]byte(log[0].Before), &before))
		require.NoError(t, json.Unmarshal([]byte(log[0].After), &after))
		require.Equal(t, "Acme Corp", before.Name)
		require.Equal(t, []string{"acme.com"}, before.Domains)
		require.Equal(t, "wile@acme.com", before.Contacts[0].Email)
		require.Equal(t, "Acme Corporation", after.Name)
		require.Equal(t, 2, after.Version)

		_, err = b.svc.Customers.Update(b.ctx, status.NewID(), in)
		requireKind(t, err, status.KindNotFound)
		_, err = b.svc.Customers.Update(b.ctx, "../x", in)
		requireKind(t, err, status.KindNotFound)
		in.Name = ""
		_, err = b.svc.Customers.Update(b.ctx, c.ID, in)
		requireField(t, err, status.KindInvalid, "name")
	})
}

func TestUpdateCustomerStaleVersion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		c := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com"}})

		// Two people open the form at version 1; the first saves.
		first := status.CustomerInput{Name: "Acme", Domains: []string{"acme.com"}, OncallNotes: "first", Version: c.Version}
		_, err := b.svc.Customers.Update(b.ctx, c.ID, first)
		require.NoError(t, err)

		second := status.CustomerInput{Name: "Acme Second", Domains: []string{"acme.net"}, OncallNotes: "second", Version: c.Version}
		_, err = b.svc.Customers.Update(b.ctx, c.ID, second)
		e := requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Message, "Someone else changed this customer")
		require.Contains(t, e.Message, "nothing was saved")

		got, err := b.svc.Customers.ByID(b.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme", got.Name, "nothing overwritten")
		require.Equal(t, "first", got.OncallNotes)
		require.Equal(t, []string{"acme.com"}, got.Domains)
		require.Equal(t, 2, got.Version)
		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "customer", SubjectID: c.ID})
		require.NoError(t, err)
		require.Len(t, log, 2, "the refused save is not audited")

		// With the current version it goes through.
		second.Version = got.Version
		_, err = b.svc.Customers.Update(b.ctx, c.ID, second)
		require.NoError(t, err)
	})
}

func TestDeleteCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		c := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com"}})
		other := statustest.Customer(t, b.svc, nil)
		require.NoError(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{c.ID, other.ID}))

		require.NoError(t, b.svc.Customers.Delete(b.ctx, c.ID))
		_, err := b.svc.Customers.ByID(b.ctx, c.ID)
		requireKind(t, err, status.KindNotFound)
		requireKind(t, b.svc.Customers.Delete(b.ctx, c.ID), status.KindNotFound)
		requireKind(t, b.svc.Customers.Delete(b.ctx, "bad id"), status.KindNotFound)

		linked, err := b.svc.Incidents.Customers(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Len(t, linked, 1, "the link went with the customer")
		require.Equal(t, other.ID, linked[0].ID)
		_, err = b.svc.Customers.Create(b.ctx, status.CustomerInput{Name: "acme", Domains: []string{"acme.com"}})
		require.NoError(t, err, "name and domain are free again")

		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "customer", SubjectID: c.ID})
		require.NoError(t, err)
		require.Equal(t, "delete", log[0].Action)
		require.Contains(t, log[0].Before, `"acme.com"`)
		require.Empty(t, log[0].After)
	})
}

func TestCustomersList(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for _, n := range []string{"globex", "Acme", "initech"} {
			statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: n})
		}
		cs, err := b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, cs, 3)
		require.Equal(t, []string{"Acme", "globex", "initech"}, []string{cs[0].Name, cs[1].Name, cs[2].Name}, "sorted by name, ignoring case")
		for _, c := range cs {
			require.Len(t, c.Domains, 1)
			require.Len(t, c.Contacts, 1)
		}
	})
}

func TestCustomerForEmail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com", "acme.co.uk"},
			Contacts: []status.ContactInput{{Email: "Wile.Coyote@Gmail.example", Role: status.ContactPrimary}}})
		eu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme Europe", Domains: []string{"eu.acme.com"}})
		statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Shared A", Domains: []string{"a.example"},
			Contacts: []status.ContactInput{{Email: "shared@freemail.example", Role: status.ContactPrimary}}})
		statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Shared B", Domains: []string{"b.example"},
			Contacts: []status.ContactInput{{Email: "shared@freemail.example", Role: status.ContactPrimary}}})
		// A consultant writing from Acme's domain for another customer is
		// that customer's: the contact list comes first.
		road := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Roadrunner",
			Contacts: []status.ContactInput{{Email: "consultant@acme.com", Role: status.ContactTechnical}}})

		matches := map[string]string{
			"wile@acme.com":                    acme.ID,
			"WILE@ACME.COM":                    acme.ID,
			"Wile E. Coyote <wile@Acme.Com>":   acme.ID,
			"noc@mail.acme.com":                acme.ID,
			"noc@deep.mail.acme.co.uk":         acme.ID,
			"ops@eu.acme.com":                  eu.ID,
			"ops@fr.eu.acme.com":               eu.ID,
			"wile.coyote@gmail.example":        acme.ID,
			"  wile@acme.com.  ":               acme.ID,
			`"odd, name" <x@ACME.co.uk>`:       acme.ID,
			"Wile.Coyote@gmail.example (home)": acme.ID,
			"Consultant@ACME.com":              road.ID,
		}
		for addr, want := range matches {
			c, err := b.svc.Customers.ForEmail(b.ctx, addr)
			require.NoError(t, err, addr)
			require.Equal(t, want, c.ID, addr)
		}
		got, err := b.svc.Customers.ForEmail(b.ctx, "wile@acme.com")
		require.NoError(t, err)
		require.NotEmpty(t, got.Contacts, "the customer comes with its contacts")
		for addr, want := range map[string]status.CustomerMatch{"wile.coyote@gmail.example": status.MatchContact,
			"consultant@acme.com": status.MatchContact, "noc@mail.acme.com": status.MatchDomain, "shared@freemail.example": status.MatchUnknown,
			"a\x00b@acme.com": status.MatchUnknown, "\xff@acme.com": status.MatchUnknown} {
			require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
				_, how, _ := tx.MatchCustomer(ctx, addr)
				require.Equal(t, want, how, addr)
				return nil
			}))
		}

		for _, addr := range []string{"x@notacme.com", "x@acme.com.evil.example", "x@com", "x@other.example",
			"someone@gmail.example", "shared@freemail.example"} {
			_, err := b.svc.Customers.ForEmail(b.ctx, addr)
			requireKind(t, err, status.KindNotFound)
		}
		for _, addr := range []string{"", "acme.com", "@acme.com", "not an address", strings.Repeat("a", 300) + "@acme.com"} {
			_, err := b.svc.Customers.ForEmail(b.ctx, addr)
			requireKind(t, err, status.KindInvalid)
		}
	})
}

func TestSetIncidentCustomers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		globex := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "globex"})
		initech := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Initech"})

		require.NoError(t, b.svc.Incidents.SetCustomers(ctx, p.ID, inc.ID, []string{globex.ID, acme.ID}))
		cs, err := b.svc.Incidents.Customers(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"Acme", "globex"}, []string{cs[0].Name, cs[1].Name})
		require.NotEmpty(t, cs[0].Contacts)

		b.clock.Advance(60e9)
		require.NoError(t, b.svc.Incidents.SetCustomers(ctx, p.ID, inc.ID, []string{acme.ID, initech.ID}))
		cs, err = b.svc.Incidents.Customers(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"Acme", "Initech"}, []string{cs[0].Name, cs[1].Name})

		// The same set again changes nothing and writes nothing.
		require.NoError(t, b.svc.Incidents.SetCustomers(ctx, p.ID, inc.ID, []string{initech.ID, acme.ID}))

		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var changes []*status.TimelineEntry
		for _, e := range tl {
			if e.Kind == status.TimelineChange {
				changes = append(changes, e)
			}
		}
		require.Len(t, changes, 2)
		require.Equal(t, "Affected customers changed: 2 added, 0 removed, 2 in all.", changes[0].Text())
		require.Equal(t, "Affected customers changed: 1 added, 1 removed, 2 in all.", changes[1].Text())
		require.Equal(t, "Ada", changes[1].Actor)
		for _, e := range tl {
			require.NotContains(t, e.Text(), "Acme", "the timeline feeds the post-mortem draft: no customer names")
		}

		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "incident", SubjectID: inc.ID})
		require.NoError(t, err)
		var sets []*status.AuditEntry
		for _, e := range log {
			if e.Action == "set_customers" {
				sets = append(sets, e)
			}
		}
		require.Len(t, sets, 2)
		require.Equal(t, p.ID, sets[0].PageID)
		require.Contains(t, sets[0].Before, "globex")
		require.NotContains(t, sets[0].After, "globex")
		require.Contains(t, sets[0].After, "Initech")

		open, err := b.svc.Customers.OpenIncidents(b.ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]int{acme.ID: 1, initech.ID: 1}, open)
		incs, err := b.svc.Customers.Incidents(b.ctx, acme.ID)
		require.NoError(t, err)
		require.Len(t, incs, 1)
		require.Equal(t, inc.ID, incs[0].ID)
		incs, err = b.svc.Customers.Incidents(b.ctx, globex.ID)
		require.NoError(t, err)
		require.Empty(t, incs)
		_, err = b.svc.Customers.Incidents(b.ctx, status.NewID())
		requireKind(t, err, status.KindNotFound)

		// Clearing the list unlinks everyone.
		require.NoError(t, b.svc.Incidents.SetCustomers(ctx, p.ID, inc.ID, nil))
		cs, err = b.svc.Incidents.Customers(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Empty(t, cs)
	})
}

func TestSetIncidentCustomersBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		acme := statustest.Customer(t, b.svc, nil)

		err := b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{acme.ID, status.NewID()})
		e := requireKindError(t, err, status.KindInvalid)
		require.Equal(t, "no such customer", e.Fields["customers[1]"])

		err = b.svc.Incidents.SetCustomers(b.ctx, other.ID, inc.ID, []string{acme.ID})
		e = requireKindError(t, err, status.KindNotFound)
		require.Contains(t, e.Message, "Incident "+inc.ID+" not found")
		requireKind(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, status.NewID(), []string{acme.ID}), status.KindNotFound)

		requireField(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{acme.ID, acme.ID}), status.KindInvalid, "customers[1]")
		requireField(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{"'; DROP TABLE customers; --"}), status.KindInvalid, "customers[0]")

		cs, err := b.svc.Incidents.Customers(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Empty(t, cs, "nothing was linked by the refused calls")
		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		for _, e := range tl {
			require.NotEqual(t, status.TimelineChange, e.Kind)
		}
	})
}
