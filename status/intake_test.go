package status_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// New items are checked, matched to their sender's customer, and a portal
// ticket sent twice is one item.
func TestCreateIntake(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com"},
			Contacts: []status.ContactInput{{Email: "wile@gmail.example", Role: status.ContactPrimary}}})

		byContact, created, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakeEmail,
			Title: "  Is   the API down? ", Body: "Since 10:00.", SenderName: "Wile", SenderEmail: "Wile@Gmail.example"})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "Is the API down?", byContact.Title, "whitespace folded")
		require.Equal(t, status.IntakeOpen, byContact.State)
		require.Equal(t, acme.ID, byContact.CustomerID)
		require.Equal(t, status.MatchContact, byContact.CustomerMatch)
		require.Equal(t, "wile@gmail.example", byContact.SenderEmail)

		b.clock.Advance(time.Second)
		byDomain, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakeEmail, Title: "Errors", SenderEmail: "ops@eu.acme.com"})
		require.NoError(t, err)
		require.Equal(t, acme.ID, byDomain.CustomerID)
		require.Equal(t, status.MatchDomain, byDomain.CustomerMatch)

		b.clock.Advance(time.Second)
		stranger, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakeEmail, Title: "Hello", SenderEmail: "x@elsewhere.example"})
		require.NoError(t, err)
		require.Empty(t, stranger.CustomerID)
		require.Equal(t, status.MatchUnknown, stranger.CustomerMatch)

		b.clock.Advance(time.Second)
		call, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakePhone, Title: "Customer cannot log in",
			SenderName: "Ann from Acme", SenderPhone: "+49 30 1234567", RecordedBy: "Ada"})
		require.NoError(t, err)
		require.Equal(t, "Ada", call.RecordedBy)

		b.clock.Advance(time.Second)
		ticket := status.IntakeInput{Source: status.IntakePortal, Title: "Checkout fails", Reference: "T-1001", SenderEmail: "buyer@acme.com"}
		first, created, err := b.svc.Intake.Create(b.ctx, ticket)
		require.NoError(t, err)
		require.True(t, created)
		again, created, err := b.svc.Intake.Create(b.ctx, ticket)
		require.NoError(t, err)
		require.False(t, created, "a ticket sent twice is one item")
		require.Equal(t, first.ID, again.ID)

		n, err := b.svc.Intake.OpenCount(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 5, n)
		page, err := b.svc.Intake.Items(b.ctx, status.IntakeFilter{State: status.IntakeOpen, Limit: 3})
		require.NoError(t, err)
		require.Len(t, page, 3)
		rest, err := b.svc.Intake.Items(b.ctx, status.IntakeFilter{State: status.IntakeOpen, Before: page[2].ID})
		require.NoError(t, err)
		require.Len(t, rest, 2)
		require.Equal(t, byContact.ID, rest[1].ID, "newest first")

		for _, tc := range []struct {
			name  string
			in    status.IntakeInput
			field string
		}{
			{"no source", status.IntakeInput{Title: "x"}, "source"},
			{"unknown source", status.IntakeInput{Source: "fax", Title: "x"}, "source"},
			{"no title", status.IntakeInput{Source: status.IntakeEmail, Title: "   "}, "title"},
			{"title too long", status.IntakeInput{Source: status.IntakeEmail, Title: strings.Repeat("t", 201)}, "title"},
			{"body too long", status.IntakeInput{Source: status.IntakeEmail, Title: "x", Body: strings.Repeat("b", 40*1024)}, "body"},
			{"NUL in body", status.IntakeInput{Source: status.IntakeEmail, Title: "x", Body: "a\x00b"}, "body"},
			{"invalid UTF-8", status.IntakeInput{Source: status.IntakeEmail, Title: "\xff\xfe"}, "title"},
			{"line break in sender", status.IntakeInput{Source: status.IntakeEmail, Title: "x", SenderEmail: "a@b.example\r\nBcc: c@d"}, "sender_email"},
			{"anonymous call", status.IntakeInput{Source: status.IntakePhone, Title: "x"}, "sender_name"},
		} {
			_, _, err := b.svc.Intake.Create(b.ctx, tc.in)
			requireField(t, err, status.KindInvalid, tc.field)
		}
		n, err = b.svc.Intake.OpenCount(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 5, n, "nothing stored for bad input")
		_, err = b.svc.Intake.Item(b.ctx, "zzzzzzzzzzzz")
		requireKind(t, err, status.KindNotFound)
		_, err = b.svc.Intake.Item(b.ctx, "' OR 1=1 --")
		requireKind(t, err, status.KindNotFound)
	})
}

// Attaching puts the item on the incident's timeline once; declaring from
// an item does the same in the declaration's transaction; dismissing runs
// the forwarding hook in its transaction.
func TestIntakeDecisions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(epoch)
		var forwarded []string
		failForward := false
		svc := status.New(bdb, status.Options{Now: clock.Now, Notifier: &statustest.Notifier{
			Dismissed: func(item *status.IntakeItem) (status.Forwarding, error) {
				if failForward {
					return status.Forwarding{}, errors.New("service desk unreachable")
				}
				forwarded = append(forwarded, item.ID+" "+item.Note)
				return status.Forwarding{To: "desk@example.com"}, nil
			}}})
		ctx := status.WithActor(t.Context(), status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		p := statustest.Page(t, svc, nil)
		other := statustest.Page(t, svc, nil)
		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "API errors"})
		item := func(title string) *status.IntakeItem {
			it, _, err := svc.Intake.Create(ctx, status.IntakeInput{Source: status.IntakeEmail, Title: title, Body: "It fails.",
				SenderName: "Wile", SenderEmail: "wile@acme.example"})
			require.NoError(t, err)
			return it
		}

		// Attach.
		a := item("Is it down?")
		clock.Advance(time.Minute)
		require.NoError(t, svc.Intake.Attach(ctx, a.ID, p.ID, inc.ID))
		got, err := svc.Intake.Item(ctx, a.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeAttached, got.State)
		require.Equal(t, inc.ID, got.IncidentID)
		require.Equal(t, "Ada", got.DecidedBy)
		require.NotNil(t, got.DecidedAt)
		tl, err := svc.Incidents.Timeline(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var entry *status.TimelineEntry
		for _, e := range tl {
			if e.Kind == status.TimelineCustomer {
				entry = e
			}
		}
		require.NotNil(t, entry)
		require.Equal(t, a.ID, entry.Ref)
		require.Contains(t, entry.Text(), "Email from Wile: Is it down?")
		require.True(t, entry.At.Equal(a.CreatedAt), "at the time it came in")
		requireKind(t, svc.Intake.Attach(ctx, a.ID, p.ID, inc.ID), status.KindConflict)

		// The wrong page, a resolved incident, an unknown incident.
		b := item("Second")
		requireKind(t, svc.Intake.Attach(ctx, b.ID, other.ID, inc.ID), status.KindNotFound)
		requireKind(t, svc.Intake.Attach(ctx, b.ID, p.ID, "zzzzzzzzzzzz"), status.KindNotFound)
		done := statustest.Incident(t, svc, p.ID, nil)
		_, err = svc.Incidents.PostUpdate(ctx, p.ID, done.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		requireKind(t, svc.Intake.Attach(ctx, b.ID, p.ID, done.ID), status.KindConflict)
		got, err = svc.Intake.Item(ctx, b.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, got.State, "refusals change nothing")

		// Declare from an item.
		declared, err := svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{Title: "Checkout down", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "Investigating.", IntakeID: b.ID, Source: status.SourceEmail})
		require.NoError(t, err)
		got, err = svc.Intake.Item(ctx, b.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeDeclared, got.State)
		require.Equal(t, declared.ID, got.IncidentID)
		tl, err = svc.Incidents.Timeline(ctx, p.ID, declared.ID)
		require.NoError(t, err)
		require.Contains(t, timelineText(tl), "Email from Wile: Second")
		incs, err := svc.Incidents.List(ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		before := len(incs)
		_, err = svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{Title: "Again", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "x", IntakeID: b.ID, Source: status.SourceEmail})
		requireKind(t, err, status.KindConflict)
		incs, err = svc.Incidents.List(ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Len(t, incs, before, "no incident from a decided item")

		// Dismiss: the hook forwards it; when it fails nothing changes.
		c := item("Invoice question")
		failForward = true
		_, err = svc.Intake.Dismiss(ctx, c.ID, "Billing, not an incident.")
		require.ErrorContains(t, err, "service desk unreachable")
		got, err = svc.Intake.Item(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, got.State)
		failForward = false
		_, err = svc.Intake.Dismiss(ctx, c.ID, strings.Repeat("n", 3000))
		requireField(t, err, status.KindInvalid, "note")
		dismissed, err := svc.Intake.Dismiss(ctx, c.ID, "Billing, not an incident.")
		require.NoError(t, err)
		require.Equal(t, status.IntakeDismissed, dismissed.State)
		require.Equal(t, "Billing, not an incident.\nForwarded to desk@example.com.", dismissed.Note)
		require.Equal(t, []string{c.ID + " Billing, not an incident."}, forwarded)
		_, err = svc.Intake.Dismiss(ctx, c.ID, "")
		requireKind(t, err, status.KindConflict)
		n, err := svc.Intake.OpenCount(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func timelineText(tl []*status.TimelineEntry) string {
	var sb strings.Builder
	for _, e := range tl {
		sb.WriteString(e.Text() + "\n")
	}
	return sb.String()
}

// A customer's message on the timeline confirms the services are back in
// one step; other entries cannot.
func TestConfirmFromCustomerMessage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		b.clock.Advance(10 * time.Minute)
		require.NoError(t, b.svc.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
			return tx.AddCustomerMessage(ctx, p.ID, inc.ID, status.CustomerMessage{From: "Wile <wile@acme.example>",
				Title: "Re: API errors", Text: "Works again, thanks!", At: b.clock.Now()})
		}))
		tl, err := b.svc.Incidents.Timeline(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var customer, other *status.TimelineEntry
		for _, e := range tl {
			if e.Kind == status.TimelineCustomer {
				customer = e
			} else {
				other = e
			}
		}
		require.NotNil(t, customer)
		requireKind(t, b.svc.Incidents.ConfirmFromEntry(ctx, p.ID, inc.ID, other.ID, status.ConfirmInput{By: "Wile", Method: "email"}), status.KindInvalid)
		requireKind(t, b.svc.Incidents.ConfirmFromEntry(ctx, p.ID, inc.ID, "zzzzzzzzzzzz", status.ConfirmInput{By: "Wile", Method: "email"}), status.KindNotFound)
		requireKind(t, b.svc.Incidents.ConfirmFromEntry(ctx, p.ID, inc.ID, "'; DROP TABLE x", status.ConfirmInput{By: "Wile", Method: "email"}), status.KindNotFound)
		other2 := statustest.Incident(t, b.svc, p.ID, nil)
		requireKind(t, b.svc.Incidents.ConfirmFromEntry(ctx, p.ID, other2.ID, customer.ID, status.ConfirmInput{By: "Wile", Method: "email"}), status.KindNotFound)
		conf, err := b.svc.Incidents.ConfirmationFrom(ctx, p.ID, inc.ID, customer.ID)
		require.NoError(t, err)
		require.Equal(t, "Wile <wile@acme.example>", conf.By, "the sender, not who recorded it")
		require.Equal(t, "email", conf.Method)
		require.Contains(t, conf.Quote, "Email from Wile")
		_, err = b.svc.Incidents.ConfirmationFrom(ctx, p.ID, inc.ID, other.ID)
		requireKind(t, err, status.KindInvalid)
		requireKind(t, b.svc.Incidents.ConfirmFromEntry(ctx, p.ID, inc.ID, customer.ID, status.ConfirmInput{By: "", Method: "email"}), status.KindInvalid)
		requireKind(t, b.svc.Incidents.ConfirmFromEntry(ctx, p.ID, inc.ID, customer.ID, status.ConfirmInput{By: "Wile", Method: "telepathy"}), status.KindInvalid)
		require.NoError(t, b.svc.Incidents.ConfirmFromEntry(ctx, p.ID, inc.ID, customer.ID, status.ConfirmInput{By: conf.By, Method: conf.Method}))
		got, err := b.svc.Incidents.ByID(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "Wile <wile@acme.example>", got.ConfirmedBy)
		require.Equal(t, "email", got.ConfirmationMethod)
		require.Equal(t, customer.ID, got.ConfirmationRef)
		require.Equal(t, "customer", got.ConfirmationSource)
		require.True(t, got.ConfirmedAt.Equal(customer.At))
		tl, err = b.svc.Incidents.Timeline(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Contains(t, tl[len(tl)-1].Text(), "Services confirmed back by Wile <wile@acme.example> (customer contact, by email)")
	})
}
