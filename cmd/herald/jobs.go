package main

import (
	"database/sql"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
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
)

// newRiver builds the job client on the same *sql.DB as bun, so jobs are
// inserted in the transaction of the change that causes them. The client
// is made before the packages whose jobs it runs: they get it to queue
// jobs, then register their workers in workers, before it starts. With
// workers off it only inserts jobs, for other replicas to run.
func newRiver(bdb *bun.DB, log *slog.Logger, cfg *Config, workers *river.Workers) (*river.Client[*sql.Tx], error) {
	var driver riverdriver.Driver[*sql.Tx]
	if db.DialectOf(bdb) == db.Postgres {
		driver = riverdatabasesql.New(bdb.DB)
	} else {
		driver = riversqlite.New(bdb.DB)
	}
	rc := &river.Config{Logger: log}
	if cfg.Workers {
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}
		maps.Copy(rc.Queues, comms.Queues(cfg.mailer.Connections))
		// River fetches at most one batch per FetchCooldown, as many jobs
		// as a queue has free workers: with River's default 100 ms that
		// would cap email at 40 a second. A short cooldown keeps the SMTP
		// connections busy.
		rc.FetchCooldown = 5 * time.Millisecond
		rc.JobTimeout = jobTimeout
		rc.RescueStuckJobsAfter = rescueAfter
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("create job client: %w", err)
	}
	return c, nil
}
