package status_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// askNotifier remembers the confirmation requests it hears of and can be
// made to fail.
type askNotifier struct {
	status.NopNotifier
	mu   sync.Mutex // protects the fields below
	asks []*status.ConfirmationAsked
	fail error
}

func (n *askNotifier) ConfirmationRequested(_ context.Context, _ *status.Tx, ask *status.ConfirmationAsked) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return n.fail
	}
	n.asks = append(n.asks, ask)
	return nil
}

func (n *askNotifier) heard() []*status.ConfirmationAsked {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*status.ConfirmationAsked(nil), n.asks...)
}

type askBundle struct {
	*testBundle
	notify *askNotifier
	page   *status.Page
}

func setupAsk(t *testing.T, bdb *bun.DB) *askBundle {
	t.Helper()
	b := setup(t, bdb)
	n := &askNotifier{}
	b.svc = status.New(bdb, status.Options{Now: b.clock.Now, Notifier: n})
	return &askBundle{testBundle: b, notify: n, page: statustest.Page(t, b.svc, nil)}
}

// entries returns the texts of an incident's timeline entries written by
// a confirmation request.
func (b *askBundle) requestEntries(t *testing.T, incidentID string) []string {
	t.Helper()
	tl, err := b.svc.Incidents.Timeline(b.ctx, b.page.ID, incidentID)
	require.NoError(t, err)
	var out []string
	for _, e := range tl {
		if strings.HasPrefix(string(e.Message), "confirmation_requested") {
			out = append(out, e.Text())
		}
	}
	return out
}

// A customer request asks each affected customer that has a primary
// contact, through that customer's own view, and writes to its primary
// contacts only; customers without one are named as not asked.
func TestRequestConfirmationFromCustomers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAsk(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Contacts: []status.ContactInput{
			{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary},
			{Name: "Road Runner", Email: "rr@acme.example", Role: status.ContactTechnical},
			{Email: "ops@acme.example", Role: status.ContactPrimary}}})
		globex := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Globex", Contacts: []status.ContactInput{
			{Name: "Hank", Email: "hank@globex.example", Role: status.ContactPrimary}}})
		initech := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Initech", Contacts: []status.ContactInput{
			{Name: "Bill", Email: "bill@initech.example", Role: status.ContactBusiness}}})
		inc := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Title: "Checkout errors",
			Visibility: status.VisibilityCustomers, Customers: []string{acme.ID, globex.ID, initech.ID}})
		_, err := b.svc.Incidents.AddNote(b.ctx, b.page.ID, inc.ID, "INTERNAL: restarted db1", "Casey", nil)
		require.NoError(t, err)
		b.clock.Advance(40 * time.Minute)

		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Max Commander"})
		req, err := b.svc.Incidents.RequestConfirmation(ctx, b.page.ID, inc.ID, status.RequestConfirmationInput{
			Kind: status.ConfirmationCustomer, Message: "  Please check the checkout.\nThanks!  "})
		require.NoError(t, err)
		require.Equal(t, status.ConfirmationCustomer, req.Kind)
		require.Equal(t, "Please check the checkout.\nThanks!", req.Message)
		require.Equal(t, "Max Commander", req.RequestedBy)
		requireTime(t, b.clock.Now(), req.RequestedAt)
		require.ElementsMatch(t, []string{acme.ID, globex.ID}, req.CustomerIDs)
		require.Equal(t, []string{"Acme: Wile <wile@acme.example>", "Acme: ops@acme.example", "Globex: Hank <hank@globex.example>"},
			[]string(req.Recipients))
		require.Equal(t, []string{"Initech"}, []string(req.NotAsked))
		require.False(t, req.Answered())
		require.Equal(t, "2 customers (3 primary contacts)", req.Asked())

		asks := b.notify.heard()
		require.Len(t, asks, 1)
		ask := asks[0]
		require.Nil(t, ask.User)
		require.Nil(t, ask.Team, "a customer request carries no team view")
		require.Equal(t, b.page.ID, ask.Page.ID)
		require.Len(t, ask.Customers, 2)
		for _, c := range ask.Customers {
			require.NotNil(t, c.View)
			require.Equal(t, "Checkout errors", c.View.Title, "the customer's view: its incident's title")
			for _, ct := range c.Contacts {
				require.Equal(t, status.ContactPrimary, ct.Role, "primary contacts only")
				require.True(t, strings.HasSuffix(ct.Email, "."+strings.ToLower(c.Name)+".example") ||
					strings.HasSuffix(ct.Email, "@"+strings.ToLower(c.Name)+".example"), "%s belongs to %s", ct.Email, c.Name)
			}
		}
		require.Equal(t, "Acme", ask.Customers[0].Name)
		require.Len(t, ask.Customers[0].Contacts, 2)
		require.Equal(t, "Globex", ask.Customers[1].Name)
		require.Len(t, ask.Customers[1].Contacts, 1)

		require.Equal(t, []string{"Confirmation that the services are back requested by email from 2 affected customers " +
			"(3 primary contacts). 1 affected customer without a primary contact was not asked. Message: Please check the checkout.\nThanks!"},
			b.requestEntries(t, inc.ID), "counts only: no customer is named on the timeline")

		rs, err := b.svc.Incidents.ConfirmationRequests(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Len(t, rs, 1)
		require.Equal(t, req.ID, rs[0].ID)
		require.Equal(t, req.Recipients, rs[0].Recipients)
		require.Equal(t, req.NotAsked, rs[0].NotAsked)
		require.Empty(t, rs[0].UserID)

		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "incident", SubjectID: inc.ID})
		require.NoError(t, err)
		require.Equal(t, "request_confirmation", log[0].Action)
		require.Equal(t, "Max Commander", log[0].ActorName)
		require.Contains(t, log[0].After, req.ID)

		desk, err := b.svc.Incidents.Desk(b.ctx, b.page.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, desk.Requests, 1, "the incident desk shows the requests")
	})
}

// An internal request asks one team member who can sign in.
func TestRequestConfirmationInternal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAsk(t, bdb)
		jane := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Jane Lead", Email: "jane@team.example"})
		gone := statustest.User(t, b.svc, &statustest.UserOpts{Email: "gone@team.example"})
		_, err := b.svc.Accounts.UpdateUser(b.ctx, gone.ID, status.UserPatch{Disabled: statustest.Ptr(true)})
		require.NoError(t, err)
		inc := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Title: "Queue stuck"})

		for name, tc := range map[string]struct {
			in    status.RequestConfirmationInput
			field string
		}{
			"no user":       {status.RequestConfirmationInput{Kind: status.ConfirmationInternal}, "user"},
			"malformed id":  {status.RequestConfirmationInput{Kind: status.ConfirmationInternal, UserID: "../admin"}, "user"},
			"unknown user":  {status.RequestConfirmationInput{Kind: status.ConfirmationInternal, UserID: "zzzzzzzzzzzz"}, "user"},
			"disabled user": {status.RequestConfirmationInput{Kind: status.ConfirmationInternal, UserID: gone.ID}, "user"},
		} {
			_, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, inc.ID, tc.in)
			requireField(t, err, status.KindInvalid, tc.field)
			if name == "disabled user" {
				require.Contains(t, requireKindError(t, err, status.KindInvalid).Fields["user"], "disabled")
			}
		}
		require.Empty(t, b.notify.heard(), "nothing is sent for a refused request")

		req, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, inc.ID, status.RequestConfirmationInput{
			Kind: status.ConfirmationInternal, UserID: jane.ID, Message: "Can you check the queue depth?"})
		require.NoError(t, err)
		require.Equal(t, jane.ID, req.UserID)
		require.Empty(t, req.CustomerIDs)
		require.Equal(t, []string{"Jane Lead <jane@team.example>"}, []string(req.Recipients))
		require.Equal(t, "Jane Lead <jane@team.example>", req.Asked())
		asks := b.notify.heard()
		require.Len(t, asks, 1)
		require.Equal(t, jane.ID, asks[0].User.ID)
		require.Empty(t, asks[0].Customers)
		require.Equal(t, "Queue stuck", asks[0].Team.Title)
		require.Equal(t, []string{"Confirmation that the services are back requested from Jane Lead (team member). " +
			"Message: Can you check the queue depth?"}, b.requestEntries(t, inc.ID))
	})
}

// Bad input and refusals: a clear error, nothing recorded, nothing sent.
func TestRequestConfirmationRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAsk(t, bdb)
		jane := statustest.User(t, b.svc, nil)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		noPrimary := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Initech", Contacts: []status.ContactInput{
			{Email: "bill@initech.example", Role: status.ContactTechnical}}})
		noContacts := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Umbrella", Contacts: []status.ContactInput{}})

		open := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Customers: []string{acme.ID}})
		alone := statustest.Incident(t, b.svc, b.page.ID, nil)
		unreachable := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Customers: []string{noPrimary.ID, noContacts.ID}})
		internal := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
			Customers: []string{acme.ID}})
		resolved := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Customers: []string{acme.ID}})
		_, err := b.svc.Incidents.Close(b.ctx, b.page.ID, resolved.ID, goodClose())
		require.NoError(t, err)

		customer := status.RequestConfirmationInput{Kind: status.ConfirmationCustomer}
		conflicts := []struct {
			name, incident string
			in             status.RequestConfirmationInput
			says           []string
		}{
			{"resolved", resolved.ID, customer, []string{"resolved"}},
			{"resolved, internally", resolved.ID, status.RequestConfirmationInput{Kind: status.ConfirmationInternal, UserID: jane.ID},
				[]string{"resolved"}},
			{"no customers", alone.ID, customer, []string{"affects no customers", "internally"}},
			{"no primary contacts", unreachable.ID, customer, []string{"primary contact", "Initech, Umbrella", "internally"}},
			{"internal incident", internal.ID, customer, []string{"internal", "internally"}},
		}
		for _, tc := range conflicts {
			_, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, tc.incident, tc.in)
			e := requireKindError(t, err, status.KindConflict)
			for _, s := range tc.says {
				require.Contains(t, e.Message, s, tc.name)
			}
		}

		invalid := []struct {
			name  string
			in    status.RequestConfirmationInput
			field string
		}{
			{"no kind", status.RequestConfirmationInput{}, "kind"},
			{"unknown kind", status.RequestConfirmationInput{Kind: "everyone"}, "kind"},
			{"huge message", status.RequestConfirmationInput{Kind: status.ConfirmationCustomer,
				Message: strings.Repeat("x", status.MaxRequestMessageLen+1)}, "message"},
			{"NUL in the message", status.RequestConfirmationInput{Kind: status.ConfirmationCustomer, Message: "ok\x00"}, "message"},
			{"control character", status.RequestConfirmationInput{Kind: status.ConfirmationCustomer, Message: "bell\a"}, "message"},
			{"broken UTF-8", status.RequestConfirmationInput{Kind: status.ConfirmationCustomer, Message: "\xff\xfe"}, "message"},
		}
		for _, tc := range invalid {
			_, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, open.ID, tc.in)
			requireField(t, err, status.KindInvalid, tc.field)
		}
		_, err = b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, "zzzzzzzzzzzz", customer)
		requireKind(t, err, status.KindNotFound)
		other := statustest.Page(t, b.svc, nil)
		_, err = b.svc.Incidents.RequestConfirmation(b.ctx, other.ID, open.ID, customer)
		requireKind(t, err, status.KindNotFound) // an incident of another page

		// A notifier that fails takes the request back with it.
		b.notify.mu.Lock()
		b.notify.fail = errors.New("outbox down")
		b.notify.mu.Unlock()
		_, err = b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, open.ID, customer)
		require.ErrorContains(t, err, "outbox down")

		require.Empty(t, b.notify.heard(), "nothing was sent")
		for _, inc := range []string{open.ID, alone.ID, unreachable.ID, internal.ID, resolved.ID} {
			rs, err := b.svc.Incidents.ConfirmationRequests(b.ctx, inc)
			require.NoError(t, err)
			require.Empty(t, rs, "nothing was recorded")
			require.Empty(t, b.requestEntries(t, inc))
		}
	})
}

// Asking twice is allowed: both requests are recorded and sent; a message
// written to look like markup is kept as typed (outputs escape it).
func TestRequestConfirmationTwice(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAsk(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		inc := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Customers: []string{acme.ID}})
		in := status.RequestConfirmationInput{Kind: status.ConfirmationCustomer, Message: `<script>alert("x")</script> {{.Secret}}`}
		first, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, inc.ID, in)
		require.NoError(t, err)
		b.clock.Advance(10 * time.Minute)
		second, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, inc.ID, in)
		require.NoError(t, err)
		require.NotEqual(t, first.ID, second.ID)
		rs, err := b.svc.Incidents.ConfirmationRequests(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Len(t, rs, 2)
		require.Equal(t, []string{first.ID, second.ID}, []string{rs[0].ID, rs[1].ID}, "oldest first")
		require.Equal(t, in.Message, rs[1].Message)
		require.Len(t, b.notify.heard(), 2)
		require.Len(t, b.requestEntries(t, inc.ID), 2)
	})
}

// A confirmation recorded from a customer's message answers the requests
// made before the message came, not those after; a confirmation given at
// closing answers the rest.
func TestConfirmationAnswersRequests(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAsk(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		inc := statustest.Incident(t, b.svc, b.page.ID, &statustest.IncidentOpts{Customers: []string{acme.ID}})
		customer := status.RequestConfirmationInput{Kind: status.ConfirmationCustomer}
		write := func(text string) string {
			t.Helper()
			require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
				return tx.AddCustomerMessage(ctx, b.page.ID, inc.ID, status.CustomerMessage{From: "Wile <wile@acme.example>",
					Title: "Re: confirm", Text: text, At: b.clock.Now()})
			}))
			tl, err := b.svc.Incidents.Timeline(b.ctx, b.page.ID, inc.ID)
			require.NoError(t, err)
			return tl[len(tl)-1].ID
		}
		early := write("Still broken here.")
		b.clock.Advance(time.Minute)
		first, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, inc.ID, customer)
		require.NoError(t, err)
		b.clock.Advance(time.Minute)

		// The message from before the request answers nothing.
		require.NoError(t, b.svc.Incidents.ConfirmFromEntry(b.ctx, b.page.ID, inc.ID, early,
			status.ConfirmInput{By: "Wile", Method: "email"}))
		rs, err := b.svc.Incidents.ConfirmationRequests(b.ctx, inc.ID)
		require.NoError(t, err)
		require.False(t, rs[0].Answered(), "a message from before the request does not answer it")

		b.clock.Advance(time.Minute)
		reply := write("All good again, thanks!")
		replyAt := b.clock.Now()
		b.clock.Advance(time.Minute)
		second, err := b.svc.Incidents.RequestConfirmation(b.ctx, b.page.ID, inc.ID, customer)
		require.NoError(t, err)
		b.clock.Advance(time.Minute)
		require.NoError(t, b.svc.Incidents.ConfirmFromEntry(b.ctx, b.page.ID, inc.ID, reply,
			status.ConfirmInput{By: "Wile E.", Method: "email"}))
		rs, err = b.svc.Incidents.ConfirmationRequests(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Equal(t, first.ID, rs[0].ID)
		require.True(t, rs[0].Answered())
		require.Equal(t, reply, rs[0].AnsweredEntry)
		require.Equal(t, "Wile E.", rs[0].AnsweredBy)
		requireTimePtr(t, replyAt, rs[0].AnsweredAt)
		require.Equal(t, second.ID, rs[1].ID)
		require.False(t, rs[1].Answered(), "asked after the reply came: still open")

		// Closing with a new confirmation answers what is still open.
		b.clock.Advance(time.Minute)
		in := goodClose()
		in.ConfirmedBy, in.ConfirmationSource, in.ConfirmationMethod = "Hank on the phone", "customer", "phone"
		_, err = b.svc.Incidents.Close(b.ctx, b.page.ID, inc.ID, in)
		require.NoError(t, err)
		rs, err = b.svc.Incidents.ConfirmationRequests(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Equal(t, reply, rs[0].AnsweredEntry, "an answered request keeps its answer")
		require.True(t, rs[1].Answered())
		require.Equal(t, "Hank on the phone", rs[1].AnsweredBy)
		requireTimePtr(t, b.clock.Now(), rs[1].AnsweredAt)
		tl, err := b.svc.Incidents.Timeline(b.ctx, b.page.ID, inc.ID)
		require.NoError(t, err)
		var confirmed string
		for _, e := range tl {
			if e.Message == status.MsgServicesConfirmed {
				confirmed = e.ID
			}
		}
		require.Equal(t, confirmed, rs[1].AnsweredEntry, "the closing confirmation's entry")
	})
}
