// Package db opens Herald's database (PostgreSQL or the embedded SQLite),
// applies migrations for both Herald and River, and normalises driver errors.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names as used for migration directories and River drivers.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Target is a parsed HERALD_DATABASE_URL.
type Target struct {
	Dialect string // Postgres or SQLite
	DSN     string // what the database/sql driver receives
	Path    string // SQLite file path ("" for PostgreSQL)
}

// ParseURL parses a database URL: postgres://… (or postgresql://…) or
// sqlite://PATH, where PATH may be relative ("sqlite://herald.db") or
// absolute ("sqlite:///var/lib/herald/herald.db").
func ParseURL(raw string) (Target, error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		if _, err := url.Parse(raw); err != nil {
			return Target{}, fmt.Errorf("not a valid URL: %w", err)
		}
		return Target{Dialect: Postgres, DSN: raw}, nil
	case strings.HasPrefix(raw, "sqlite://"):
		rest := strings.TrimPrefix(raw, "sqlite://")
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return Target{}, errors.New("sqlite URL needs a file path, as in sqlite://herald.db")
		}
		if query != "" {
			return Target{}, errors.New("sqlite URL takes no options; Herald sets them itself")
		}
		return Target{Dialect: SQLite, DSN: sqliteDSN(path), Path: path}, nil
	default:
		return Target{}, errors.New("must start with postgres:// or sqlite://")
	}
}

// sqliteDSN turns a file path into a modernc.org/sqlite DSN with the pragmas
// Herald relies on: foreign keys, WAL, a busy timeout and UTC-only times.
func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Open connects to the database named by rawURL and checks that it answers.
// For SQLite the directory of the file must exist; the file is created.
func Open(ctx context.Context, rawURL string) (*bun.DB, error) {
	t, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var bdb *bun.DB
	switch t.Dialect {
	case Postgres:
		cfg, err := pgx.ParseConfig(t.DSN)
		if err != nil {
			return nil, fmt.Errorf("parse postgres URL: %w", err)
		}
		cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		// Scan timestamptz as UTC, as SQLite gives them, whatever the
		// server's or the process's time zone.
		sqldb := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
			conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
				Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
			return nil
		}))
		sqldb.SetMaxOpenConns(20)
		// As many idle as open: closing a connection above the idle count
		// and opening a new one (a new server process) under load costs
		// more than the query.
		sqldb.SetMaxIdleConns(20)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		bdb = bun.NewDB(sqldb, pgdialect.New())
	case SQLite:
		if dir := filepath.Dir(t.Path); dir != "." {
			if _, err := os.Stat(dir); err != nil {
				return nil, fmt.Errorf("sqlite directory %s: %w", dir, err)
			}
		}
		sqldb, err := sql.Open("sqlite", t.DSN)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// SQLite has one writer; one connection avoids SQLITE_BUSY between
		// Herald and River (see riversqlite's package doc). Code must never
		// use the *bun.DB while one of its own transactions is open.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetConnMaxIdleTime(0)
		sqldb.SetConnMaxLifetime(0)
		bdb = bun.NewDB(sqldb, sqlitedialect.New())
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := bdb.PingContext(pingCtx); err != nil {
		_ = bdb.Close() // the ping's error is the one to report
		return nil, fmt.Errorf("connect to %s database: %w", t.Dialect, err)
	}
	return bdb, nil
}

// DialectOf returns Postgres or SQLite for an open database.
func DialectOf(db bun.IDB) string {
	if db.Dialect().Name().String() == "pg" {
		return Postgres
	}
	return SQLite
}

// IsUniqueViolation reports whether err is a unique or primary key
// constraint violation on either database.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		c := sqErr.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKeyViolation reports whether err is a foreign key violation.
func IsForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
