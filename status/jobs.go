package status

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// JobQueue queues background jobs inside a transaction, so that a job
// exists exactly when the change that asks for it commits. River's client
// (*river.Client[*sql.Tx]) is one; it is handed to each package at
// construction, and each package registers the workers of its own jobs.
type JobQueue interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Job timing of status's own jobs.
const (
	// dueTimeout bounds the clock job and the due job: a few queries and
	// transactions each.
	dueTimeout = 30 * time.Second
	// maxClockSkew is how far behind the database's clock the service's
	// may be for a due job to wait for it.
	maxClockSkew = 2 * time.Second
	// DefaultTick is how often the clock job runs by default.
	DefaultTick = 30 * time.Second
)

// TickArgs asks for due maintenance windows to start or end and due
// scheduled updates to be published. The kind keeps the name it had when
// it moved maintenance only, so queued jobs still run.
type TickArgs struct{}

// Kind is the job's stable name.
func (TickArgs) Kind() string { return "status.maintenance_tick" }

// TickWorker runs the clock job: the safety net of the due jobs.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	svc *Service
}

// Work starts and completes due maintenance and publishes due updates.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	return w.svc.doDue(ctx)
}

// Timeout is how long one tick may take.
func (*TickWorker) Timeout(*river.Job[TickArgs]) time.Duration { return dueTimeout }

// DueArgs asks for the work that falls due at the job's time: scheduled
// updates to publish, maintenance windows to start or end. One is queued
// for each such time, in the transaction that sets it; the clock job does
// the same work, should a job be lost. The kind keeps the name it had when
// it published updates only, so queued jobs still run.
type DueArgs struct{}

// Kind is the job's stable name.
func (DueArgs) Kind() string { return "status.publish_due" }

// DueWorker does the work due at its time.
type DueWorker struct {
	river.WorkerDefaults[DueArgs]
	svc *Service
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
	return w.svc.doDue(ctx)
}

// Timeout is how long the due work may take.
func (*DueWorker) Timeout(*river.Job[DueArgs]) time.Duration { return dueTimeout }

// doDue moves due maintenance and publishes due updates.
func (s *core) doDue(ctx context.Context) error {
	_, err := s.svc.Maintenances.Advance(ctx)
	_, perr := s.svc.Incidents.PublishDueUpdates(ctx)
	return errors.Join(err, perr)
}

// RegisterJobs adds the workers of status's jobs to ws and returns its
// periodic job: the clock job, every tick (DefaultTick when zero).
func (s *Service) RegisterJobs(ws *river.Workers, tick time.Duration) ([]*river.PeriodicJob, error) {
	if tick <= 0 {
		tick = DefaultTick
	}
	if err := river.AddWorkerSafely(ws, &TickWorker{svc: s}); err != nil {
		return nil, fmt.Errorf("register status jobs: %w", err)
	}
	if err := river.AddWorkerSafely(ws, &DueWorker{svc: s}); err != nil {
		return nil, fmt.Errorf("register status jobs: %w", err)
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(tick),
		func() (river.JobArgs, *river.InsertOpts) { return TickArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}, nil
}

// scheduleDue queues a due job for at inside tx, so it exists exactly when
// what falls due then does.
func (s *core) scheduleDue(ctx context.Context, tx bun.Tx, at time.Time) error {
	if s.jobs == nil {
		return nil
	}
	if _, err := s.jobs.InsertTx(ctx, tx.Tx, DueArgs{}, &river.InsertOpts{ScheduledAt: at}); err != nil {
		return fmt.Errorf("queue the work due at %s: %w", at.Format(time.RFC3339), err)
	}
	return nil
}
