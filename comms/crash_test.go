package comms_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/wneessen/go-mail"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// freezing is a mailer that, after `after` emails, hands the next ones to
// the server and then never returns: the sender was killed between the
// server's acceptance and recording it.
type freezing struct {
	comms.Mailer
	after int64
	sent  atomic.Int64
	stop  chan struct{}
}

func (f *freezing) Send(ctx context.Context, msg *mail.Msg) error {
	err := f.Mailer.Send(ctx, msg)
	if f.sent.Add(1) > f.after {
		<-f.stop // killed: the outcome is never recorded
		return context.Canceled
	}
	return err
}

// The sender is killed in the middle of a fan-out to 1,000 subscribers and
// started again: every subscriber gets the email, and only the emails the
// server had accepted in the instant of the kill (at most one per
// connection) reach their subscriber twice.
func TestFanOutSurvivesAKilledSender(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		ctx := t.Context()
		svc := status.New(bdb, status.Options{Now: func() time.Time { return h.now }})
		p := statustest.Page(t, svc, nil)
		inc := statustest.Incident(t, svc, p.ID, nil)
		calls := 0
		f := &comms.FanOut{Service: svc, Outbox: h.box, Audience: fakeAudience(1000, &calls), Batch: 250}
		require.NoError(t, f.Run(ctx, comms.FanOutArgs{PageID: p.ID, IncidentID: inc.ID, UpdateID: inc.Updates[0].ID}))
		var ids []string
		require.NoError(t, bdb.NewSelect().Model((*comms.Email)(nil)).Column("id").Scan(ctx, &ids))
		require.Len(t, ids, 1000)

		// First run: four senders; the mailer freezes after 400 emails.
		const senders = 4
		real := comms.NewSMTPMailer(comms.SMTPConfig{Host: h.smtp.Host, Port: h.smtp.Port, TLS: comms.TLSNone},
			comms.MailerOptions{Timeout: 5 * time.Second, Connections: senders})
		frozen := &freezing{Mailer: real, after: 400, stop: make(chan struct{})}
		first := comms.NewOutbox(bdb, comms.OutboxOptions{From: "status@status.example", Mailer: frozen, Now: func() time.Time { return h.now }})
		work := make(chan string)
		var wg sync.WaitGroup
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range work {
					_ = first.Deliver(ctx, id)
				}
			}()
		}
		go func() {
			defer close(work)
			for _, id := range ids {
				select {
				case work <- id:
				case <-frozen.stop:
					return
				}
			}
		}()
		require.Eventually(t, func() bool { return frozen.sent.Load() >= 400+senders }, 30*time.Second, 10*time.Millisecond)
		close(frozen.stop) // the process dies; its goroutines end without recording anything
		wg.Wait()

		// Restarted after the claims went stale: deliver whatever is not sent.
		h.now = h.now.Add(10 * time.Minute)
		var left []string
		require.NoError(t, bdb.NewSelect().Model((*comms.Email)(nil)).Column("id").Where("status <> ?", comms.EmailSent).Scan(ctx, &left))
		for _, id := range left {
			require.NoError(t, h.box.Deliver(ctx, id))
		}
		n, err := bdb.NewSelect().Model((*comms.Email)(nil)).Where("status = ?", comms.EmailSent).Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1000, n, "every email is sent")

		got := map[string]int{}
		for _, m := range h.smtp.Messages() {
			got[m.To[0]]++
		}
		require.Len(t, got, 1000, "every subscriber got it")
		dups := 0
		for _, c := range got {
			dups += c - 1
		}
		t.Logf("duplicates after killing the sender mid fan-out: %d (emails accepted by the server but not yet recorded when it died)", dups)
		require.LessOrEqual(t, dups, senders, "at most one per email in flight at the kill")
	})
}
