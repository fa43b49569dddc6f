// Package dbtest gives each test a fresh, migrated PostgreSQL and SQLite
// database. It is imported from _test.go files only.
//
// PostgreSQL comes from HERALD_TEST_POSTGRES_URL when set (a role that may
// CREATE DATABASE); otherwise a throwaway server is started from the
// installed PostgreSQL binaries for the test process and stopped by Main.
package dbtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // tests run with an unusual local time zone

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// Main runs the tests of a package that uses Each and stops the throwaway
// PostgreSQL server afterwards. Call it from TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// It sets the process's local time zone to Pacific/Chatham (UTC+12:45) so
// that code which forgets UTC shows up in SQLite's text comparisons.
func Main(m *testing.M) {
	if loc, err := time.LoadLocation("Pacific/Chatham"); err == nil {
		time.Local = loc
	}
	code := m.Run()
	if server != nil {
		server.stop()
	}
	if sqliteTemplateDir != "" {
		if err := os.RemoveAll(sqliteTemplateDir); err != nil {
			fmt.Fprintf(os.Stderr, "dbtest: remove the SQLite template: %v\n", err)
		}
	}
	os.Exit(code)
}

// Dialects lists the databases Each runs on, in order.
var Dialects = []string{db.Postgres, db.SQLite}

// Each runs fn as two subtests, "postgres" and "sqlite", each with its own
// freshly migrated database that is dropped when the subtest ends.
func Each(t *testing.T, fn func(t *testing.T, bdb *bun.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated database of the given dialect.
func Open(t testing.TB, dialect string) *bun.DB {
	t.Helper()
	u := URL(t, dialect)
	ctx := context.Background()
	bdb, err := db.Open(ctx, u)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := bdb.Close(); err != nil {
			t.Errorf("dbtest: close %s: %v", dialect, err)
		}
	})
	return bdb
}

var counter atomic.Int64

// URL creates a fresh migrated database of the given dialect and returns
// its HERALD_DATABASE_URL. The database is removed when the test ends.
func URL(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case db.Postgres:
		return postgresURL(t)
	case db.SQLite:
		return sqliteURL(t)
	}
	t.Fatalf("dbtest: unknown dialect %q", dialect)
	return ""
}

// EmptyURL returns the URL of a new, empty (unmigrated) database.
func EmptyURL(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == db.SQLite {
		return "sqlite://" + filepath.Join(t.TempDir(), "empty.db")
	}
	admin := adminDB(t)
	name := fmt.Sprintf("herald_e_%d_%d", os.Getpid(), counter.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(admin, name) })
	return withDatabase(baseURL(t), name)
}

var (
	pgOnce     sync.Once
	pgErr      error
	pgBase     string
	pgAdmin    *sql.DB
	pgTemplate string
	pgCreateMu sync.Mutex // CREATE DATABASE … TEMPLATE needs the template idle
	server     *pgServer
)

func baseURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgErr = setupPostgres() })
	if pgErr != nil {
		t.Fatalf("dbtest: PostgreSQL is needed for this test and none could be had: %v\n"+
			"Set HERALD_TEST_POSTGRES_URL=postgres://user:pass@127.0.0.1:5432/postgres (a role allowed to CREATE DATABASE),\n"+
			"or install the PostgreSQL server binaries (Debian: apt-get install postgresql) so a throwaway server can be started.", pgErr)
	}
	return pgBase
}

func adminDB(t testing.TB) *sql.DB {
	baseURL(t)
	return pgAdmin
}

func setupPostgres() error {
	pgBase = os.Getenv("HERALD_TEST_POSTGRES_URL")
	if pgBase == "" {
		s, err := startServer()
		if err != nil {
			return err
		}
		server = s
		pgBase = s.url
	}
	admin, err := sql.Open("pgx", pgBase)
	if err != nil {
		return fmt.Errorf("open %s: %w", redact(pgBase), err)
	}
	if err := admin.Ping(); err != nil {
		return fmt.Errorf("connect to %s: %w", redact(pgBase), err)
	}
	pgAdmin = admin
	pgTemplate = fmt.Sprintf("herald_tpl_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	if _, err := admin.Exec("CREATE DATABASE " + pgTemplate); err != nil {
		return fmt.Errorf("create template database: %w", err)
	}
	if err := migrateURL(withDatabase(pgBase, pgTemplate)); err != nil {
		return err
	}
	return nil
}

func migrateURL(u string) (err error) {
	ctx := context.Background()
	bdb, err := db.Open(ctx, u)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, bdb.Close()) }()
	m, err := db.NewMigrator(bdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	if err := m.Up(ctx); err != nil {
		return fmt.Errorf("migrate test database: %w", err)
	}
	return nil
}

func postgresURL(t testing.TB) string {
	t.Helper()
	admin := adminDB(t)
	name := fmt.Sprintf("herald_t_%d_%d", os.Getpid(), counter.Add(1))
	pgCreateMu.Lock()
	_, err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + pgTemplate)
	pgCreateMu.Unlock()
	if err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(admin, name) })
	return withDatabase(baseURL(t), name)
}

func dropDatabase(admin *sql.DB, name string) {
	_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

var (
	sqliteOnce        sync.Once
	sqliteErr         error
	sqliteTemplateDir string
)

func sqliteURL(t testing.TB) string {
	t.Helper()
	sqliteOnce.Do(func() {
		dir, err := os.MkdirTemp("", "herald-sqlite-tpl-")
		if err != nil {
			sqliteErr = err
			return
		}
		sqliteTemplateDir = dir
		sqliteErr = migrateURL("sqlite://" + filepath.Join(dir, "template.db"))
	})
	if sqliteErr != nil {
		t.Fatalf("dbtest: prepare sqlite template: %v", sqliteErr)
	}
	b, err := os.ReadFile(filepath.Join(sqliteTemplateDir, "template.db"))
	if err != nil {
		t.Fatalf("dbtest: read sqlite template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "herald.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("dbtest: write sqlite database: %v", err)
	}
	return "sqlite://" + path
}
