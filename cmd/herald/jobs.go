package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
)

// MaintenanceTickArgs asks for due maintenance windows to start or end.
type MaintenanceTickArgs struct{}

// Kind is the job's stable name.
func (MaintenanceTickArgs) Kind() string { return "status.maintenance_tick" }

// MaintenanceTickWorker moves maintenance along its window.
type MaintenanceTickWorker struct {
	river.WorkerDefaults[MaintenanceTickArgs]
	svc   *status.Service
	watch *comms.Watch
}

// Work starts and completes due maintenance, publishes due scheduled
// updates and sends the process's internal notices (reminders,
// escalations).
func (w *MaintenanceTickWorker) Work(ctx context.Context, _ *river.Job[MaintenanceTickArgs]) error {
	_, err := w.svc.AdvanceMaintenances(ctx)
	_, perr := w.svc.PublishDueUpdates(ctx)
	return errors.Join(err, perr, w.watch.Run(ctx))
}

// PublishDueArgs asks for scheduled incident updates whose time has come
// to be published. One is queued for each scheduled update's time; the
// clock tick publishes them too, should a job be lost.
type PublishDueArgs struct{}

// Kind is the job's stable name.
func (PublishDueArgs) Kind() string { return "status.publish_due" }

// PublishDueWorker publishes due scheduled updates.
type PublishDueWorker struct {
	river.WorkerDefaults[PublishDueArgs]
	svc *status.Service
}

// Work publishes what is due.
func (w *PublishDueWorker) Work(ctx context.Context, _ *river.Job[PublishDueArgs]) error {
	_, err := w.svc.PublishDueUpdates(ctx)
	return err
}

// schedulePublish queues a PublishDue job for at inside tx, so it exists
// exactly when the scheduled update does.
func schedulePublish(ctx context.Context, c *river.Client[*sql.Tx], tx bun.Tx, at time.Time) error {
	if c == nil {
		return nil
	}
	if _, err := c.InsertTx(ctx, tx.Tx, PublishDueArgs{}, &river.InsertOpts{ScheduledAt: at}); err != nil {
		return fmt.Errorf("queue publishing at %s: %w", at.Format(time.RFC3339), err)
	}
	return nil
}

// newRiver builds the job client on the same *sql.DB as bun, so jobs are
// inserted in the transaction of the change that causes them. With workers
// off it can still insert jobs for other replicas to run.
// jobWorkers is what the background jobs work with.
type jobWorkers struct {
	svc     *status.Service
	outbox  *comms.Outbox
	fanOut  *comms.FanOut
	watch   *comms.Watch
	router  *inbound.Router
	tick    time.Duration // the clock job's interval; default 30 s
	senders int           // email deliveries at once
}

// emailWorkersPerConnection is how many email jobs run at once per SMTP
// connection.
const emailWorkersPerConnection = 8

func newRiver(bdb *bun.DB, log *slog.Logger, workers bool, w jobWorkers) (*river.Client[*sql.Tx], error) {
	tick := w.tick
	if tick <= 0 {
		tick = 30 * time.Second
	}
	var driver riverdriver.Driver[*sql.Tx]
	if db.DialectOf(bdb) == db.Postgres {
		driver = riverdatabasesql.New(bdb.DB)
	} else {
		driver = riversqlite.New(bdb.DB)
	}
	cfg := &river.Config{Logger: log}
	if workers {
		ws := river.NewWorkers()
		if err := river.AddWorkerSafely(ws, &MaintenanceTickWorker{svc: w.svc, watch: w.watch}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		if err := river.AddWorkerSafely(ws, &PublishDueWorker{svc: w.svc}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		if err := river.AddWorkerSafely(ws, &comms.SendEmailWorker{Outbox: w.outbox}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		if err := river.AddWorkerSafely(ws, &comms.FanOutWorker{FanOut: w.fanOut}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		if err := river.AddWorkerSafely(ws, &comms.MaintenanceFanOutWorker{FanOut: w.fanOut}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		if err := river.AddWorkerSafely(ws, &inbound.RouteWorker{Router: w.router}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		if err := river.AddWorkerSafely(ws, &comms.ReplyNoticeWorker{Watch: w.watch}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		cfg.Workers = ws
		// Email has its own queue, so a large fan-out does not hold up the
		// clock and other jobs. River fetches at most one batch per
		// FetchCooldown, as many jobs as the queue has free workers: with
		// as many workers as SMTP connections and River's default 100 ms,
		// that would cap email at 40 a second. Eight workers per
		// connection (they wait for a free connection in the mailer) and
		// a short cooldown keep the connections busy.
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4},
			comms.EmailQueue: {MaxWorkers: emailWorkersPerConnection * max(1, w.senders)}}
		cfg.FetchCooldown = 5 * time.Millisecond
		cfg.JobTimeout = time.Minute
		// Rescue jobs of a crashed replica well within the 30-minute
		// update cadence (River's default is an hour).
		cfg.RescueStuckJobsAfter = 5 * time.Minute
		cfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(tick),
				func() (river.JobArgs, *river.InsertOpts) { return MaintenanceTickArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		}
	}
	c, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return c, nil
}
