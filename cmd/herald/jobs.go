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

// How long jobs may run and when those of a dead process are taken up
// again. Each kind has its own timeout (a Timeout method beside its
// worker; jobTimeout for the rest). River rescues a job left running by a
// process that died once rescueAfter and the kind's timeout have passed
// since it started, looking every 30 s, so work in flight at a crash is
// done again within about a minute and a half. rescueAfter is at least
// every kind's timeout: a live attempt is never doubled.
const (
	jobTimeout  = 30 * time.Second
	rescueAfter = 45 * time.Second
	// dueTimeout bounds the clock job and the due job: a few queries
	// and transactions each.
	dueTimeout = 30 * time.Second
	// maxClockSkew is how far behind the database's clock the service's
	// may be for a due job to wait for it.
	maxClockSkew = 2 * time.Second
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
// escalations). It is the safety net of the due jobs.
func (w *MaintenanceTickWorker) Work(ctx context.Context, _ *river.Job[MaintenanceTickArgs]) error {
	_, err := w.svc.AdvanceMaintenances(ctx)
	_, perr := w.svc.PublishDueUpdates(ctx)
	return errors.Join(err, perr, w.watch.Run(ctx))
}

// Timeout is how long one tick may take.
func (*MaintenanceTickWorker) Timeout(*river.Job[MaintenanceTickArgs]) time.Duration {
	return dueTimeout
}

// DueArgs asks for the work that falls due at the job's time: scheduled
// updates to publish, maintenance windows to start or end. One is queued
// for each such time, in the transaction that sets it; the clock tick
// does the same work, should a job be lost. The kind keeps the name it
// had when it published updates only, so queued jobs still run.
type DueArgs struct{}

// Kind is the job's stable name.
func (DueArgs) Kind() string { return "status.publish_due" }

// DueWorker does the work due at its time.
type DueWorker struct {
	river.WorkerDefaults[DueArgs]
	svc *status.Service
}

// Work moves due maintenance and publishes due updates. River starts it
// by the database's clock: should the service's be a moment behind, it
// waits for it (up to maxClockSkew) rather than find nothing due yet.
func (w *DueWorker) Work(ctx context.Context, job *river.Job[DueArgs]) error {
	if early := job.ScheduledAt.Sub(w.svc.Now()); early > 0 && early <= maxClockSkew {
		select {
		case <-time.After(early):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	_, err := w.svc.AdvanceMaintenances(ctx)
	_, perr := w.svc.PublishDueUpdates(ctx)
	return errors.Join(err, perr)
}

// Timeout is how long the due work may take.
func (*DueWorker) Timeout(*river.Job[DueArgs]) time.Duration { return dueTimeout }

// scheduleDue queues a Due job for at inside tx, so it exists exactly
// when what falls due then does.
func scheduleDue(ctx context.Context, c *river.Client[*sql.Tx], tx bun.Tx, at time.Time) error {
	if c == nil {
		return nil
	}
	if _, err := c.InsertTx(ctx, tx.Tx, DueArgs{}, &river.InsertOpts{ScheduledAt: at}); err != nil {
		return fmt.Errorf("queue the work due at %s: %w", at.Format(time.RFC3339), err)
	}
	return nil
}

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

// newRiver builds the job client on the same *sql.DB as bun, so jobs are
// inserted in the transaction of the change that causes them. With workers
// off it can still insert jobs for other replicas to run.
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
		if err := river.AddWorkerSafely(ws, &DueWorker{svc: w.svc}); err != nil {
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
		cfg.JobTimeout = jobTimeout
		cfg.RescueStuckJobsAfter = rescueAfter
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
