package comms

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/herald-status/herald/status"
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

// WatchArgs asks for the process's internal notices to be sent: cadence
// reminders, escalations, maintenance reminders (see Watch).
type WatchArgs struct{}

// Kind is the job's stable name.
func (WatchArgs) Kind() string { return "comms.watch" }

// WatchWorker runs the watch.
type WatchWorker struct {
	river.WorkerDefaults[WatchArgs]
	Watch *Watch
}

// Work checks every open incident once.
func (w *WatchWorker) Work(ctx context.Context, _ *river.Job[WatchArgs]) error {
	return w.Watch.Run(ctx)
}

// Timeout is how long one watch may take: a few queries per open
// incident.
func (*WatchWorker) Timeout(*river.Job[WatchArgs]) time.Duration { return 30 * time.Second }

// Jobs is what comms's background jobs work with.
type Jobs struct {
	Outbox *Outbox
	FanOut *FanOut
	Watch  *Watch
	// Tick is how often the watch runs; status.DefaultTick when zero.
	Tick time.Duration
}

// Register adds the workers of comms's jobs to ws and returns its periodic
// job: the watch, every tick.
func (j Jobs) Register(ws *river.Workers) ([]*river.PeriodicJob, error) {
	tick := j.Tick
	if tick <= 0 {
		tick = status.DefaultTick
	}
	for _, add := range []func() error{
		func() error { return river.AddWorkerSafely(ws, &SendEmailWorker{Outbox: j.Outbox}) },
		func() error { return river.AddWorkerSafely(ws, &FanOutWorker{FanOut: j.FanOut}) },
		func() error { return river.AddWorkerSafely(ws, &MaintenanceFanOutWorker{FanOut: j.FanOut}) },
		func() error { return river.AddWorkerSafely(ws, &ReplyNoticeWorker{Watch: j.Watch}) },
		func() error { return river.AddWorkerSafely(ws, &WatchWorker{Watch: j.Watch}) },
	} {
		if err := add(); err != nil {
			return nil, fmt.Errorf("register comms jobs: %w", err)
		}
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(tick),
		func() (river.JobArgs, *river.InsertOpts) { return WatchArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}, nil
}

// emailWorkersPerConnection is how many email jobs run at once per SMTP
// connection: they wait for a free connection in the mailer, so that the
// connections are never idle between two jobs.
const emailWorkersPerConnection = 8

// Queues is the River queue configuration comms's jobs need: emails have
// their own queue, so a large fan-out does not hold up the clock and
// other jobs, with eight workers per SMTP connection.
func Queues(connections int) map[string]river.QueueConfig {
	return map[string]river.QueueConfig{EmailQueue: {MaxWorkers: emailWorkersPerConnection * max(1, connections)}}
}
