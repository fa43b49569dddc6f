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

// Work delivers one email. A later attempt first takes over the email's
// claim from an earlier one cut off mid-delivery (a process killed, the
// job rescued), once that one cannot be at work any more, and waits
// until then: see releaseAbandoned.
func (w *SendEmailWorker) Work(ctx context.Context, job *river.Job[SendEmailArgs]) error {
	if job.Attempt > 1 {
		wait, err := w.Outbox.releaseAbandoned(ctx, job.Args.EmailID)
		if err != nil {
			return err
		}
		if wait > 0 {
			return river.JobSnooze(wait)
		}
	}
	return w.Outbox.Deliver(ctx, job.Args.EmailID)
}

// FanOutWorker queues the emails of a published update.
type FanOutWorker struct {
	river.WorkerDefaults[FanOutArgs]
	FanOut *FanOut
}

// Work runs the fan-out of one update.
func (w *FanOutWorker) Work(ctx context.Context, job *river.Job[FanOutArgs]) error {
	return w.FanOut.Run(ctx, job.Args)
}

// MaintenanceFanOutWorker queues the emails of a maintenance notice.
type MaintenanceFanOutWorker struct {
	river.WorkerDefaults[MaintenanceFanOutArgs]
	FanOut *FanOut
}

// Work runs the fan-out of one maintenance notice.
func (w *MaintenanceFanOutWorker) Work(ctx context.Context, job *river.Job[MaintenanceFanOutArgs]) error {
	return w.FanOut.RunMaintenance(ctx, job.Args)
}
