package comms

import (
	"context"

	"github.com/riverqueue/river"
)

// SendEmailWorker delivers queued emails.
type SendEmailWorker struct {
	river.WorkerDefaults[SendEmailArgs]
	Outbox *Outbox
}

// Work delivers one email.
func (w *SendEmailWorker) Work(ctx context.Context, job *river.Job[SendEmailArgs]) error {
	return w.Outbox.Deliver(ctx, job.Args.EmailID)
}
