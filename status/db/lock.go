package db

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ErrLockHeld means another replica holds the lock.
var ErrLockHeld = errors.New("another replica holds the lock")

// HoldLock takes a session advisory lock on a connection of its own
// (PostgreSQL) and returns a context that ends when the lock is lost (the
// connection fails) or release is called. SQLite serves one process: the
// lock is always free.
func HoldLock(ctx context.Context, bdb *bun.DB, key int64) (context.Context, func(), error) {
	if DialectOf(bdb) != Postgres {
		lctx, cancel := context.WithCancel(ctx)
		return lctx, cancel, nil
	}
	conn, err := bdb.DB.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect for the lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("take the lock: %w", err)
	}
	if !got {
		_ = conn.Close()
		return nil, nil, ErrLockHeld
	}
	lctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
				if err := conn.PingContext(lctx); err != nil && lctx.Err() == nil {
					cancel() // the session, and with it the lock, is gone
					return
				}
			}
		}
	}()
	release := func() {
		cancel()
		<-stopped
		uctx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		var released bool
		_ = conn.QueryRowContext(uctx, "SELECT pg_advisory_unlock($1)", key).Scan(&released)
		_ = conn.Close() // the lock is not held: nothing to give back
	}
	return lctx, release, nil
}
