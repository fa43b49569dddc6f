package status_test

import (
	"encoding/json"
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

// A dismissal can be undone for a day by the service clock, and only a
// dismissal.
func TestCanUndoDismissal(t *testing.T) {
	t.Parallel()
	at := epoch
	dismissed := &status.IntakeItem{State: status.IntakeDismissed, DecidedAt: &at}
	for _, tc := range []struct {
		name string
		item *status.IntakeItem
		now  time.Time
		want bool
	}{
		{"at once", dismissed, at, true},
		{"an hour later", dismissed, at.Add(time.Hour), true},
		{"a second before the day is over", dismissed, at.Add(24*time.Hour - time.Second), true},
		{"a day later", dismissed, at.Add(24 * time.Hour), false},
		{"a week later", dismissed, at.AddDate(0, 0, 7), false},
		{"a clock a little behind", dismissed, at.Add(-time.Minute), true},
		{"an open item", &status.IntakeItem{State: status.IntakeOpen}, at, false},
		{"an attached item", &status.IntakeItem{State: status.IntakeAttached, DecidedAt: &at}, at, false},
		{"a declared item", &status.IntakeItem{State: status.IntakeDeclared, DecidedAt: &at}, at, false},
		{"a dismissal without its time", &status.IntakeItem{State: status.IntakeDismissed}, at, false},
	} {
		require.Equal(t, tc.want, status.CanUndoDismissal(tc.item, tc.now), tc.name)
	}
	require.Equal(t, at.Add(24*time.Hour), dismissed.UndoUntil())
	require.True(t, (&status.IntakeItem{State: status.IntakeOpen}).UndoUntil().IsZero())
}

// desk is a notifier with a service desk: it records what it forwards
// and what it is told was taken back.
type desk struct {
	forwarded, undone []string
	failUndo          bool
}

func (d *desk) notifier(to string) *statustest.Notifier {
	fw := status.Forwarding{To: to}
	if to == "" {
		fw = status.Forwarding{Why: "no service desk address is set"}
	}
	return &statustest.Notifier{Desk: fw,
		Dismissed: func(item *status.IntakeItem) (status.Forwarding, error) {
			if fw.To != "" {
				d.forwarded = append(d.forwarded, item.ID)
			}
			return fw, nil
		},
		Undone: func(item *status.IntakeItem) error {
			if d.failUndo {
				return errors.New("outbox unavailable")
			}
			d.undone = append(d.undone, item.ID+" "+item.ForwardedTo)
			return nil
		}}
}

// Dismissing records where the item went; undoing within the day opens it
// again, records who and when on the item and in the audit log and tells
// the notifier what was forwarded; a second undo, an undo after the day
// and an undo of what was never dismissed are refused and change nothing.
func TestUndoDismissal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(epoch)
		d := &desk{}
		svc := status.New(bdb, status.Options{Now: clock.Now, Notifier: d.notifier("desk@example.com"), ConsoleTimeZone: "Europe/Berlin"})
		ada := status.WithActor(t.Context(), status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		bob := status.WithActor(t.Context(), status.Actor{Kind: status.ActorUser, ID: "u2", Name: "Bob"})
		item, _, err := svc.Intake.Create(ada, status.IntakeInput{Source: status.IntakeEmail, Title: "Invoice question",
			SenderEmail: "ann@acme.example"})
		require.NoError(t, err)

		plan, err := svc.Intake.DismissalPlan(ada, item.ID, "  Billing. ")
		require.NoError(t, err)
		require.Equal(t, "desk@example.com", plan.Forwarding.To)
		require.Equal(t, "Billing.", plan.Note)
		require.Empty(t, d.forwarded, "a plan forwards nothing")

		dismissed, err := svc.Intake.Dismiss(ada, item.ID, "Billing.")
		require.NoError(t, err)
		require.Equal(t, status.IntakeDismissed, dismissed.State)
		require.Equal(t, "desk@example.com", dismissed.ForwardedTo)
		require.Equal(t, "Billing.\nForwarded to desk@example.com.", dismissed.Note)
		require.Equal(t, []string{item.ID}, d.forwarded)

		clock.Advance(23 * time.Hour)
		reopened, err := svc.Intake.UndoDismissal(bob, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, reopened.State)
		got, err := svc.Intake.Item(ada, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, got.State)
		require.Empty(t, got.ForwardedTo)
		require.Empty(t, got.DecidedBy)
		require.Nil(t, got.DecidedAt)
		require.Empty(t, got.Note)
		require.Equal(t, []string{item.ID + " desk@example.com"}, d.undone, "told where it had gone")
		entries, err := svc.Intake.Entries(ada, item.ID)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		require.Equal(t, "Bob", entries[0].Actor)
		requireTime(t, epoch.Add(23*time.Hour), entries[0].At)
		require.Contains(t, entries[0].Body, "undone")
		require.Contains(t, entries[0].Body, "dismissed by Ada at Mar 10, 2026 13:00 CET and forwarded to desk@example.com")
		require.Contains(t, entries[0].Body, "Its note said: Billing.")
		log, err := svc.AuditLog(ada, status.AuditFilter{SubjectType: "intake", SubjectID: item.ID})
		require.NoError(t, err)
		require.Equal(t, "undo_dismissal", log[0].Action)
		require.Equal(t, "Bob", log[0].ActorName)
		var before status.IntakeItem
		require.NoError(t, json.Unmarshal([]byte(log[0].Before), &before))
		require.Equal(t, status.IntakeDismissed, before.State)

		// Twice is refused; so is an item never dismissed, or decided otherwise.
		_, err = svc.Intake.UndoDismissal(bob, item.ID)
		requireKind(t, err, status.KindConflict)
		require.Contains(t, status.Message(err), "nothing to undo")
		require.Len(t, d.undone, 1)
		_, err = svc.Intake.UndoDismissal(bob, status.NewID())
		requireKind(t, err, status.KindNotFound)
		_, err = svc.Intake.UndoDismissal(bob, "../x")
		requireKind(t, err, status.KindNotFound)

		// Dismissed again, it is forwarded again; a day later the undo is refused.
		_, err = svc.Intake.Dismiss(ada, item.ID, "")
		require.NoError(t, err)
		require.Equal(t, []string{item.ID, item.ID}, d.forwarded)
		clock.Advance(24 * time.Hour)
		_, err = svc.Intake.UndoDismissal(bob, item.ID)
		requireKind(t, err, status.KindConflict)
		require.Contains(t, status.Message(err), "can no longer be undone")
		require.Contains(t, status.Message(err), "Mar 11, 2026 12:00 CET", "in the console's zone")
		got, err = svc.Intake.Item(ada, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeDismissed, got.State, "a refused undo changes nothing")
		require.Equal(t, "desk@example.com", got.ForwardedTo)

		// An undo whose notice fails changes nothing either.
		other, _, err := svc.Intake.Create(ada, status.IntakeInput{Source: status.IntakeEmail, Title: "Second"})
		require.NoError(t, err)
		_, err = svc.Intake.Dismiss(ada, other.ID, "")
		require.NoError(t, err)
		d.failUndo = true
		_, err = svc.Intake.UndoDismissal(bob, other.ID)
		require.ErrorContains(t, err, "outbox unavailable")
		got, err = svc.Intake.Item(ada, other.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeDismissed, got.State)
		entries, err = svc.Intake.Entries(ada, other.ID)
		require.NoError(t, err)
		require.Empty(t, entries)
		d.failUndo = false

		// The undo goes on the timeline of the incident the item joins.
		_, err = svc.Intake.UndoDismissal(bob, other.ID)
		require.NoError(t, err)
		p := statustest.Page(t, svc, nil)
		inc := statustest.Incident(t, svc, p.ID, nil)
		require.NoError(t, svc.Intake.Attach(ada, other.ID, p.ID, inc.ID))
		tl, err := svc.Incidents.Timeline(ada, p.ID, inc.ID)
		require.NoError(t, err)
		require.Contains(t, timelineText(tl), "Dismissal as not an incident undone")

		// Refusals of the plan.
		_, err = svc.Intake.DismissalPlan(ada, other.ID, "")
		requireKind(t, err, status.KindConflict)
		_, err = svc.Intake.DismissalPlan(ada, status.NewID(), "")
		requireKind(t, err, status.KindNotFound)
		third, _, err := svc.Intake.Create(ada, status.IntakeInput{Source: status.IntakeEmail, Title: "Third"})
		require.NoError(t, err)
		_, err = svc.Intake.DismissalPlan(ada, third.ID, strings.Repeat("n", 2001))
		requireField(t, err, status.KindInvalid, "note")
		_, err = svc.Intake.DismissalPlan(ada, third.ID, "a\x00b")
		requireField(t, err, status.KindInvalid, "note")
	})
}

// Without a service desk address nothing is forwarded, the note says why,
// and an undo has nobody to tell.
func TestDismissWithoutServiceDesk(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(epoch)
		d := &desk{}
		svc := status.New(bdb, status.Options{Now: clock.Now, Notifier: d.notifier("")})
		ctx := status.WithActor(t.Context(), status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		item, _, err := svc.Intake.Create(ctx, status.IntakeInput{Source: status.IntakePhone, Title: "Password reset", SenderName: "Ann"})
		require.NoError(t, err)
		plan, err := svc.Intake.DismissalPlan(ctx, item.ID, "")
		require.NoError(t, err)
		require.Empty(t, plan.Forwarding.To)
		require.Equal(t, "no service desk address is set", plan.Forwarding.Why)

		dismissed, err := svc.Intake.Dismiss(ctx, item.ID, "")
		require.NoError(t, err)
		require.Empty(t, dismissed.ForwardedTo)
		require.Equal(t, "Not forwarded: no service desk address is set.", dismissed.Note)
		require.Empty(t, d.forwarded)

		clock.Advance(time.Minute)
		_, err = svc.Intake.UndoDismissal(ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, []string{item.ID + " "}, d.undone, "told, with nowhere it had gone")
		entries, err := svc.Intake.Entries(ctx, item.ID)
		require.NoError(t, err)
		require.Len(t, entries, 1)
		require.NotContains(t, entries[0].Body, "forwarded to")
	})
}

// A person recording a call may choose the caller's customer, and one of
// its contacts: the item then has that customer, and the contact fills
// what was not typed. What does not exist is a field error.
func TestIntakeChosenCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"},
			Contacts: []status.ContactInput{{Name: "Wile", Email: "Wile@acme.example", Phone: "+49 30 1234-567", Role: status.ContactPrimary}}})
		other := statustest.Customer(t, b.svc, nil)
		call := func(in status.IntakeInput) (*status.IntakeItem, error) {
			in.Source, in.Title = status.IntakePhone, "Cannot log in"
			item, _, err := b.svc.Intake.Create(b.ctx, in)
			return item, err
		}

		item, err := call(status.IntakeInput{CustomerID: acme.ID, ContactID: acme.Contacts[0].ID})
		require.NoError(t, err)
		require.Equal(t, acme.ID, item.CustomerID)
		require.True(t, item.CustomerChosen)
		require.Equal(t, status.MatchChosen, item.Matched())
		require.Equal(t, "Wile", item.SenderName, "the contact fills what was not typed")
		require.Equal(t, "wile@acme.example", item.SenderEmail)
		require.Equal(t, "+49 30 1234-567", item.SenderPhone)
		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, item.CustomerID, got.CustomerID)
		require.Equal(t, status.MatchChosen, got.Matched())

		item, err = call(status.IntakeInput{SenderName: "Someone at Acme", SenderPhone: "+1 555 0100", CustomerID: acme.ID})
		require.NoError(t, err)
		require.Equal(t, acme.ID, item.CustomerID)
		require.Equal(t, status.MatchChosen, item.Matched())
		require.Equal(t, "Someone at Acme", item.SenderName)
		require.Equal(t, "+1 555 0100", item.SenderPhone, "what was typed stays")
		require.Empty(t, item.SenderEmail)

		item, err = call(status.IntakeInput{SenderName: "Wile", SenderEmail: "wile@acme.example"})
		require.NoError(t, err)
		require.Equal(t, status.MatchContact, item.Matched(), "without a choice the address decides, as before")

		gone := statustest.Customer(t, b.svc, nil)
		require.NoError(t, b.svc.Customers.Delete(b.ctx, gone.ID))
		for _, tc := range []struct {
			name  string
			in    status.IntakeInput
			field string
		}{
			{"a customer that is not an id", status.IntakeInput{SenderName: "x", CustomerID: "../etc"}, "customer"},
			{"a deleted customer", status.IntakeInput{SenderName: "x", CustomerID: gone.ID}, "customer"},
			{"an unknown customer", status.IntakeInput{SenderName: "x", CustomerID: status.NewID()}, "customer"},
			{"a contact without its customer", status.IntakeInput{SenderName: "x", ContactID: acme.Contacts[0].ID}, "contact"},
			{"another customer's contact", status.IntakeInput{SenderName: "x", CustomerID: other.ID, ContactID: acme.Contacts[0].ID}, "contact"},
			{"a contact that is not an id", status.IntakeInput{SenderName: "x", CustomerID: acme.ID, ContactID: "' OR 1=1"}, "contact"},
			{"a customer but nobody", status.IntakeInput{CustomerID: acme.ID}, "sender_name"},
		} {
			_, err := call(tc.in)
			requireField(t, err, status.KindInvalid, tc.field)
		}
		n, err := b.svc.Intake.OpenCount(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n, "nothing stored for bad input")
	})
}
