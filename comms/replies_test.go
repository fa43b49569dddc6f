package comms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A reply's references find the incident of Herald's email; a delivery
// report marks the email it is about, once, and counts against the
// subscriber.
func TestRepliesAndReports(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		ctx := t.Context()
		var refused [][]string
		h.box.OnDelivered(func(_ context.Context, _ bun.IDB, es []*comms.Email, sent bool) error {
			if !sent {
				for _, e := range es {
					refused = append(refused, []string{e.ID, e.SubscriberID})
				}
			}
			return nil
		})
		e := update("update:u1:ann@example.com", "Ann@Example.com")
		e.PageID, e.IncidentID, e.SubscriberID = "page1", "inc1", "sub1"
		require.True(t, h.queue(t, e))
		other := update("update:u1:bob@example.com", "bob@example.com")
		require.True(t, h.queue(t, other)) // no incident

		page, inc, ok, err := h.box.ThreadOf(ctx, []string{"unknown@elsewhere", e.MessageID})
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, [2]string{"page1", "inc1"}, [2]string{page, inc})
		for _, ids := range [][]string{nil, {""}, {other.MessageID}, {"x\x00y"}, {strings.Repeat("a", 5000)}, {"' OR 1=1 --"}} {
			_, _, ok, err := h.box.ThreadOf(ctx, ids)
			require.NoError(t, err, ids)
			require.False(t, ok, ids)
		}
		many := make([]string, 1000)
		for i := range many {
			many[i] = "x" + strings.Repeat("y", i%50)
		}
		_, _, ok, err = h.box.ThreadOf(ctx, many)
		require.NoError(t, err)
		require.False(t, ok)

		report := func(id, rcpt string, permanent bool) bool {
			t.Helper()
			var found bool
			require.NoError(t, bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				var err error
				found, err = h.box.RecordReport(ctx, tx, id, rcpt, permanent, "5.1.1 user unknown")
				return err
			}))
			return found
		}
		require.False(t, report("never@sent.example", "ann@example.com", true))
		require.False(t, report(e.MessageID, "someone.else@example.com", true), "the recipient must match")
		require.False(t, report("x\x00y", "ann@example.com", true))
		require.False(t, report(e.MessageID, "ann@example.com\x00", true))

		require.True(t, report(e.MessageID, "ann@example.com", false))
		got := h.email(t, e.ID)
		require.Equal(t, comms.EmailQueued, got.Status, "a delay changes no state")
		require.Contains(t, got.LastError, "delayed: 5.1.1")

		require.True(t, report(e.MessageID, "ANN@example.com", true))
		got = h.email(t, e.ID)
		require.Equal(t, comms.EmailFailed, got.Status)
		require.Equal(t, "bounced: 5.1.1 user unknown", got.LastError)
		require.True(t, report(e.MessageID, "ann@example.com", true), "the same report again")
		require.Equal(t, [][]string{{e.ID, "sub1"}}, refused, "counted once")
	})
}

// An acknowledgement goes out once an hour per sender and incident, as an
// auto-reply that names the incident's reference and answers the
// customer's message.
func TestAcknowledgement(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		ctx := t.Context()
		svc := status.New(bdb, status.Options{Now: func() time.Time { return h.now }})
		p := statustest.Page(t, svc, &statustest.PageOpts{Name: "Shop", SupportEmail: "help@shop.example"})
		declared := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "Checkout down"})
		inc, err := svc.Incidents.View(ctx, status.Public(), p.ID, declared.ID)
		require.NoError(t, err)
		ack := func(a comms.Acknowledgement) {
			t.Helper()
			require.NoError(t, bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return h.box.Acknowledge(ctx, tx, a) }))
		}
		a := comms.Acknowledgement{To: "wile@acme.example", Subject: "Is checkout down?", MessageID: "q1@acme.example",
			Incident: inc, Page: p, PageURL: "https://status.shop.example", ReplyTo: p.SupportEmail, SentAt: h.now}
		ack(a)
		a.MessageID = "q2@acme.example"
		ack(a) // the same hour: no second answer
		triage := comms.Acknowledgement{To: "wile@acme.example", Subject: "Another question", SentAt: h.now, PageURL: "https://herald.example"}
		ack(triage)
		require.Len(t, h.jobs, 2)

		require.NoError(t, h.box.Deliver(ctx, h.jobs[0]))
		msgs := h.smtp.Messages()
		require.Len(t, msgs, 1)
		hd, parts := parseEmail(t, msgs[0].Data)
		subj, err := hd.Subject()
		require.NoError(t, err)
		require.Equal(t, "[Shop] Re: Is checkout down? ["+inc.Reference()+"]", subj)
		require.Equal(t, "auto-replied", hd.Get("Auto-Submitted"))
		require.Equal(t, "All", hd.Get("X-Auto-Response-Suppress"))
		irt, err := hd.MsgIDList("In-Reply-To")
		require.NoError(t, err)
		require.Equal(t, []string{"q1@acme.example"}, irt)
		require.Contains(t, parts[0], inc.Reference())
		require.Contains(t, parts[0], "https://status.shop.example")
		require.Contains(t, parts[0], "automatic reply")

		e := h.email(t, h.jobs[1])
		require.Equal(t, "[Support] Re: Another question", e.Subject)
		require.Empty(t, e.IncidentID)
	})
}
