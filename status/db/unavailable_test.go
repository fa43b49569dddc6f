package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
)

// The errors of an unreachable PostgreSQL are told apart from a statement
// the server refused: a cut connection, a refused one, a connect that
// times out, and a pool connection found broken.
func TestIsUnavailablePostgres(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	px := dbtest.NewProxy(t)
	bdb, err := db.Open(ctx, px.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bdb.Close() }) // its connections may have been cut

	_, err = bdb.ExecContext(ctx, "SELECT * FROM no_such_table")
	require.Error(t, err)
	require.False(t, db.IsUnavailable(err), "a refused statement is no outage: %v", err)
	_, err = bdb.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', 'v'), ('k', 'v')")
	require.True(t, db.IsUniqueViolation(err), "%v", err)
	require.False(t, db.IsUnavailable(err))
	require.False(t, db.IsUnavailable(nil))
	require.False(t, db.IsUnavailable(sql.ErrNoRows))
	require.False(t, db.IsUnavailable(context.Canceled))

	// A transaction open when the connection is cut.
	tx, err := bdb.BeginTx(ctx, nil)
	require.NoError(t, err)
	px.Cut()
	_, err = tx.ExecContext(ctx, "SELECT 1")
	require.Error(t, err)
	require.True(t, db.IsUnavailable(err), "cut mid-transaction: %v", err)
	_ = tx.Rollback()

	// New work while it stays cut.
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "SELECT 1")
		return err
	})
	require.Error(t, err)
	require.True(t, db.IsUnavailable(fmt.Errorf("save something: %w", err)), "no connection to be had: %v", err)

	px.Restore()
	require.Eventually(t, func() bool { return bdb.PingContext(ctx) == nil }, 10*time.Second, 50*time.Millisecond, "back after the cut")

	// A server that accepts the connection and never answers: the connect
	// runs into its deadline.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() }) // a fake server: its errors are not the test
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	_, err = db.Open(ctx, "postgres://herald@"+ln.Addr().String()+"/herald?sslmode=disable&connect_timeout=1")
	require.Error(t, err)
	require.True(t, db.IsUnavailable(err), "connect timed out: %v", err)
	require.True(t, db.IsUnavailable(fmt.Errorf("query: %w", driver.ErrBadConn)))
}

// SQLite is unavailable when another writer holds the database beyond the
// busy timeout.
func TestIsUnavailableSQLiteBusy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "busy.db")
	holder, err := db.Open(ctx, "sqlite://"+path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, holder.Close()) })
	_, err = holder.ExecContext(ctx, "CREATE TABLE t (x INTEGER)")
	require.NoError(t, err)
	tx, err := holder.BeginTx(ctx, nil) // immediate: holds the write lock
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	_, err = tx.ExecContext(ctx, "INSERT INTO t VALUES (1)")
	require.NoError(t, err)

	// A second process's connection, with a short busy timeout.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)&_txlock=immediate")
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() }) // it saw the database busy on purpose
	_, err = other.ExecContext(ctx, "INSERT INTO t VALUES (2)")
	require.Error(t, err)
	require.True(t, db.IsUnavailable(err), "busy beyond the timeout: %v", err)

	_, err = other.ExecContext(ctx, "SELECT * FROM no_such_table")
	require.Error(t, err)
	require.False(t, db.IsUnavailable(err), "a refused statement is no outage: %v", err)
}

// An outage is logged once when it begins and once when it ends, however
// many queries fail meanwhile.
func TestOutageIsLoggedOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	px := dbtest.NewProxy(t)
	bdb, err := db.Open(ctx, px.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bdb.Close() }) // its connections may have been cut
	var logs bytes.Buffer
	db.LogOutages(bdb, slog.New(slog.NewTextHandler(&logs, nil)))

	var n int
	require.NoError(t, bdb.NewSelect().ColumnExpr("1").Scan(ctx, &n))
	px.Cut()
	for range 5 {
		err := bdb.NewSelect().ColumnExpr("1").Scan(ctx, &n)
		require.True(t, db.IsUnavailable(err), "%v", err)
	}
	px.Restore()
	require.Eventually(t, func() bool { return bdb.NewSelect().ColumnExpr("1").Scan(ctx, &n) == nil }, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, bdb.NewSelect().ColumnExpr("1").Scan(ctx, &n))
	out := logs.String()
	require.Equal(t, 1, strings.Count(out, "The database is not reachable"), out)
	require.Equal(t, 1, strings.Count(out, "The database is reachable again"), out)
	require.Equal(t, 1, strings.Count(out, "level=ERROR"), out)
}
