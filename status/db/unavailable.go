package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// IsUnavailable reports whether err says the database could not be used
// at all, rather than that it refused one statement: PostgreSQL could not
// be connected to (refused, unreachable, shutting down, or the connect ran
// into its deadline), a connection broke mid-statement, database/sql
// found its connection bad; or SQLite's database stayed locked by another
// writer beyond the busy timeout. What the failed transaction wrote was
// not committed, and the same request may well succeed a minute later.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr *net.OpError
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-03: the server is shutting
		// down, crashed or not yet accepting connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		switch sqErr.Code() & 0xff { // the primary code of an extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// answered reports whether err, from a query, shows that the database
// answered: no error, no row, or a statement it refused.
func answered(err error) bool {
	var pgErr *pgconn.PgError
	var sqErr *sqlite.Error
	return err == nil || errors.Is(err, sql.ErrNoRows) || errors.As(err, &pgErr) || errors.As(err, &sqErr)
}

// LogOutages logs, through log, when bdb's queries start failing because
// the database is unavailable (IsUnavailable) and when it answers again:
// one line each per outage, however many queries fail meanwhile, so
// callers need not log these errors themselves.
func LogOutages(bdb *bun.DB, log *slog.Logger) {
	// WithQueryHook returns a copy with the hook (AddQueryHook, which
	// changed bdb itself, is deprecated); storing the copy in *bdb keeps
	// this function's contract that bdb itself logs, as callers may have
	// handed it out already. A bun.DB shares its state through a pointer,
	// so the copy is the same database.
	*bdb = *bdb.WithQueryHook(&outageLog{log: log})
}

// outageLog is the query hook of LogOutages.
type outageLog struct {
	log *slog.Logger

	mu    sync.Mutex // protects since
	since time.Time  // start of the current outage; zero: none
}

func (o *outageLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (o *outageLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	switch {
	case IsUnavailable(e.Err):
		o.mu.Lock()
		first := o.since.IsZero()
		if first {
			o.since = time.Now()
		}
		o.mu.Unlock()
		if first {
			o.log.Error("The database is not reachable; requests that need it answer 503 until it is back", "err", e.Err)
		}
	case answered(e.Err):
		o.mu.Lock()
		since := o.since
		o.since = time.Time{}
		o.mu.Unlock()
		if !since.IsZero() {
			o.log.Info("The database is reachable again", "down_for", time.Since(since).Round(time.Second).String())
		}
	}
}
