package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status/db"
)

// mailboxLockKey is the PostgreSQL advisory lock the replica watching the
// support mailbox holds, so that one replica reads it at a time.
const mailboxLockKey = 0x4865726d61696c // "Hermail"

// mailbox watches the support mailbox from the one replica that holds the
// mailbox lock, and keeps its state in the database for the console.
type mailbox struct {
	db      *bun.DB
	store   *inbound.Store
	watcher *inbound.Watcher
	name    string
	log     *slog.Logger
	retry   time.Duration // between attempts to take the lock
}

// run watches until ctx ends.
func (m *mailbox) run(ctx context.Context) {
	for {
		lockCtx, release, err := holdLock(ctx, m.db, mailboxLockKey)
		switch {
		case err == nil:
			m.log.Info("watching the support mailbox", "mailbox", m.name)
			m.watch(lockCtx)
			release()
		case !errors.Is(err, errLockHeld):
			m.log.Warn("taking the mailbox lock", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.retry):
		}
	}
}

// watch runs the watcher and records its state when it changes (looked at
// every 2 s) and at least every 30 s, so the console sees it is alive,
// until ctx ends.
func (m *mailbox) watch(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.watcher.Run(ctx); err != nil {
			m.log.Warn("the mailbox watcher stopped", "err", err)
		}
	}()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var last inbound.MailboxState
	var lastAt time.Time
	for {
		select {
		case <-done:
			st := m.watcher.State()
			st.Connected, st.Idle = false, false
			m.record(st)
			return
		case <-tick.C:
			if st := m.watcher.State(); st != last || time.Since(lastAt) >= 30*time.Second {
				m.record(st)
				last, lastAt = st, time.Now()
			}
		}
	}
}

func (m *mailbox) record(st inbound.MailboxState) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.store.RecordState(ctx, m.name, st); err != nil {
		m.log.Warn("recording the mailbox state", "err", err)
	}
}

// errLockHeld means another replica holds the lock.
var errLockHeld = errors.New("another replica holds the lock")

// holdLock takes a session advisory lock on a connection of its own
// (PostgreSQL) and returns a context that ends when the lock is lost (the
// connection fails) or release is called. SQLite serves one process: the
// lock is always free.
func holdLock(ctx context.Context, bdb *bun.DB, key int64) (context.Context, func(), error) {
	if db.DialectOf(bdb) != db.Postgres {
		lctx, cancel := context.WithCancel(ctx)
		return lctx, cancel, nil
	}
	conn, err := bdb.DB.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("connect for the lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("take the lock: %w", err)
	}
	if !got {
		conn.Close()
		return nil, nil, errLockHeld
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
		conn.Close()
	}
	return lctx, release, nil
}
