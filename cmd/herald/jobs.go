package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/uptrace/bun"

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
	svc *status.Service
}

// Work starts and completes due maintenance.
func (w *MaintenanceTickWorker) Work(ctx context.Context, _ *river.Job[MaintenanceTickArgs]) error {
	_, err := w.svc.AdvanceMaintenances(ctx)
	return err
}

// newRiver builds the job client on the same *sql.DB as bun, so jobs are
// inserted in the transaction of the change that causes them. With workers
// off it can still insert jobs for other replicas to run.
func newRiver(bdb *bun.DB, svc *status.Service, log *slog.Logger, workers bool) (*river.Client[*sql.Tx], error) {
	var driver riverdriver.Driver[*sql.Tx]
	if db.DialectOf(bdb) == db.Postgres {
		driver = riverdatabasesql.New(bdb.DB)
	} else {
		driver = riversqlite.New(bdb.DB)
	}
	cfg := &river.Config{Logger: log}
	if workers {
		ws := river.NewWorkers()
		if err := river.AddWorkerSafely(ws, &MaintenanceTickWorker{svc: svc}); err != nil {
			return nil, fmt.Errorf("register workers: %w", err)
		}
		cfg.Workers = ws
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}
		cfg.JobTimeout = time.Minute
		// Rescue jobs of a crashed replica well within the 30-minute
		// update cadence (River's default is an hour).
		cfg.RescueStuckJobsAfter = 5 * time.Minute
		cfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(30*time.Second),
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
