package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/herald-status/herald/migrations"
)

// migrationLockKey is the PostgreSQL advisory lock that serialises schema
// changes across replicas ("herald" in ASCII).
const migrationLockKey = 0x68657261_6c64

// Migrator applies Herald's SQL migrations and River's own schema.
type Migrator struct {
	db  *bun.DB
	fs  fs.FS
	log *slog.Logger
}

// NewMigrator returns a migrator for db using the embedded migrations of its
// dialect. A nil logger discards.
func NewMigrator(db *bun.DB, log *slog.Logger) (*Migrator, error) {
	fsys, err := migrations.FS(DialectOf(db))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return NewMigratorFS(db, fsys, log), nil
}

// NewMigratorFS is NewMigrator with another set of migration files (tests).
func NewMigratorFS(db *bun.DB, fsys fs.FS, log *slog.Logger) *Migrator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Migrator{db: db, fs: fsys, log: log}
}

func (m *Migrator) bun() (*migrate.Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(m.fs); err != nil {
		return nil, fmt.Errorf("discover migrations: %w", err)
	}
	return migrate.NewMigrator(m.db, ms,
		migrate.WithTableName("herald_migrations"),
		migrate.WithLocksTableName("herald_migration_locks"),
		// Record a migration only once it has run: a migration killed
		// halfway stays pending and its transaction rolls back.
		migrate.WithMarkAppliedOnSuccess(true),
	), nil
}

func (m *Migrator) riverDriver() riverdriver.Driver[*sql.Tx] {
	if DialectOf(m.db) == Postgres {
		return riverdatabasesql.New(m.db.DB)
	}
	return riversqlite.New(m.db.DB)
}

// withLock runs fn while holding the cluster-wide migration lock. On
// PostgreSQL that is a session advisory lock on a dedicated connection, so
// replicas starting together wait for the first one instead of failing; on
// SQLite the single connection and IMMEDIATE transactions serialise writers.
func (m *Migrator) withLock(ctx context.Context, fn func() error) error {
	if DialectOf(m.db) != Postgres {
		return fn()
	}
	conn, err := m.db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("reserve connection for migration lock: %w", err)
	}
	// Closing hands the connection back to the pool; the lock is released
	// before that (or ends with the session if the unlock failed).
	defer func() { _ = conn.Close() }()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// Unlock with a fresh context: the caller's may be cancelled.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
	}()
	return fn()
}

// Up applies every pending migration, Herald's and River's. It is safe to
// call from several processes at once.
func (m *Migrator) Up(ctx context.Context) error {
	return m.withLock(ctx, func() error {
		bm, err := m.bun()
		if err != nil {
			return err
		}
		if err := bm.Init(ctx); err != nil {
			return fmt.Errorf("create migration tables: %w", err)
		}
		group, err := bm.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		if !group.IsZero() {
			m.log.Info("database migrated", "group", group.ID, "applied", len(group.Migrations), "last", group.Migrations[len(group.Migrations)-1].Name)
		}
		rm, err := rivermigrate.New(m.riverDriver(), &rivermigrate.Config{Logger: m.log})
		if err != nil {
			return fmt.Errorf("river migrator: %w", err)
		}
		res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return fmt.Errorf("apply job queue migrations: %w", err)
		}
		if len(res.Versions) > 0 {
			m.log.Info("job queue migrated", "versions", len(res.Versions))
		}
		return nil
	})
}

// Down rolls back the last group of Herald migrations (River's schema is
// left in place). It returns the names rolled back.
func (m *Migrator) Down(ctx context.Context) ([]string, error) {
	var names []string
	err := m.withLock(ctx, func() error {
		bm, err := m.bun()
		if err != nil {
			return err
		}
		if err := bm.Init(ctx); err != nil {
			return fmt.Errorf("create migration tables: %w", err)
		}
		group, err := bm.Rollback(ctx)
		if err != nil {
			return fmt.Errorf("roll back: %w", err)
		}
		for _, mg := range group.Migrations {
			names = append(names, mg.Name)
		}
		return nil
	})
	return names, err
}

// MigrationState is one migration and whether it has been applied.
type MigrationState struct {
	Name    string
	Applied bool
}

// Status lists every known migration, oldest first, and whether River's
// schema is current.
func (m *Migrator) Status(ctx context.Context) (states []MigrationState, riverCurrent bool, err error) {
	bm, err := m.bun()
	if err != nil {
		return nil, false, err
	}
	if err := bm.Init(ctx); err != nil {
		return nil, false, fmt.Errorf("create migration tables: %w", err)
	}
	ms, err := bm.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("read migration status: %w", err)
	}
	for _, mg := range ms {
		states = append(states, MigrationState{Name: mg.Name, Applied: mg.IsApplied()})
	}
	rm, err := rivermigrate.New(m.riverDriver(), &rivermigrate.Config{Logger: m.log})
	if err != nil {
		return nil, false, fmt.Errorf("river migrator: %w", err)
	}
	vr, err := rm.Validate(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("validate job queue schema: %w", err)
	}
	return states, vr.OK, nil
}

// Pending returns how many migrations (Herald's, plus one if River's schema
// is behind) are not applied. It reads without creating anything, so it is
// safe for readiness checks.
func (m *Migrator) Pending(ctx context.Context) (int, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(m.fs); err != nil {
		return 0, fmt.Errorf("discover migrations: %w", err)
	}
	var applied []string
	if err := m.db.NewSelect().Table("herald_migrations").Column("name").Scan(ctx, &applied); err != nil {
		return 0, fmt.Errorf("read applied migrations: %w", err)
	}
	done := make(map[string]bool, len(applied))
	for _, n := range applied {
		done[n] = true
	}
	pending := 0
	for _, mg := range ms.Sorted() {
		if !done[mg.Name] {
			pending++
		}
	}
	return pending, nil
}

// Ready reports whether Herald can serve from the database: it answers,
// and no migration is pending.
func (m *Migrator) Ready(ctx context.Context) error {
	if err := m.db.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	n, err := m.Pending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d migrations pending", n)
	}
	return nil
}

// Migrations returns the embedded migrations of dialect, for tools and
// tests that apply only some of them.
func Migrations(dialect string) (fs.FS, error) { return migrations.FS(dialect) }
