package comms_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/wneessen/go-mail"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status/db/dbtest"
)

// hanging is a mailer whose sends never end: the process dies mid-send.
type hanging struct{ started chan struct{} }

func (h *hanging) Send(ctx context.Context, _ *mail.Msg) error {
	close(h.started)
	<-ctx.Done()
	return ctx.Err()
}

// A send job rescued after its process died mid-delivery finds its email
// still claimed by the dead attempt. It waits while a live attempt could
// still hold that claim, then sends the email, once; a later run sends
// nothing more. (Before, the rescued job ended at once and left the email
// unsent.)
func TestRescuedSendJobSendsOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		require.True(t, h.queue(t, update("update:1:ann@example.net", "ann@example.net")))
		id := h.jobs[0]

		// The first attempt claims the email and dies mid-send.
		dying, cancel := context.WithCancel(t.Context())
		hang := &hanging{started: make(chan struct{})}
		dead := comms.NewOutbox(bdb, comms.OutboxOptions{From: "status@status.example", Mailer: hang, Now: func() time.Time { return h.now }})
		done := make(chan struct{})
		t.Cleanup(func() { cancel(); <-done })
		go func() {
			defer close(done)
			_ = (&comms.SendEmailWorker{Outbox: dead}).Work(dying, sendJob(id, 1))
		}()
		<-hang.started
		require.Equal(t, comms.EmailSending, h.email(t, id).Status)

		// River rescues the job 45 s later; the restarted process
		// runs it.
		w := &comms.SendEmailWorker{Outbox: h.box}
		h.now = h.now.Add(45 * time.Second)
		err := w.Work(t.Context(), sendJob(id, 2))
		var snooze *rivertype.JobSnoozeError
		require.ErrorAs(t, err, &snooze, "waits while a live attempt could still hold the claim")
		require.Positive(t, snooze.Duration)
		require.Empty(t, h.smtp.Messages())

		h.now = h.now.Add(snooze.Duration)
		require.NoError(t, w.Work(t.Context(), sendJob(id, 3)))
		require.Len(t, h.smtp.Messages(), 1, "sent")
		require.Equal(t, comms.EmailSent, h.email(t, id).Status)
		require.NoError(t, w.Work(t.Context(), sendJob(id, 4)))
		require.Len(t, h.smtp.Messages(), 1, "once")
	})
}

func sendJob(emailID string, attempt int) *river.Job[comms.SendEmailArgs] {
	return &river.Job[comms.SendEmailArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, Kind: comms.SendEmailArgs{}.Kind()},
		Args: comms.SendEmailArgs{EmailID: emailID}}
}
