package inbound

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// MailboxLockKey is the PostgreSQL advisory lock the replica watching the
// support mailbox holds, so that one replica reads it at a time.
const MailboxLockKey = 0x4865726d61696c // "Hermail"

// Mailbox watches the support mailbox from the one replica that holds the
// mailbox lock, and keeps its state in the database for the console.
type Mailbox struct {
	db      *bun.DB
	store   *Store
	watcher *Watcher
	name    string
	log     *slog.Logger
	retry   time.Duration // between attempts to take the lock
}

// NewMailbox returns the watch of the mailbox o.Config names, storing its
// messages in store.
func NewMailbox(bdb *bun.DB, store *Store, o WatcherOptions) *Mailbox {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mailbox{db: bdb, store: store, watcher: NewWatcher(store, o), name: o.Config.Mailbox, log: log,
		retry: 30 * time.Second}
}

// Run watches until ctx ends.
func (m *Mailbox) Run(ctx context.Context) {
	for {
		lockCtx, release, err := db.HoldLock(ctx, m.db, MailboxLockKey)
		switch {
		case err == nil:
			m.log.Info("watching the support mailbox", "mailbox", m.name)
			m.watch(lockCtx)
			release()
		case !errors.Is(err, db.ErrLockHeld):
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
func (m *Mailbox) watch(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.watcher.Run(ctx); err != nil {
			m.log.Warn("the mailbox watcher stopped", "err", err)
		}
	}()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var last MailboxState
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

func (m *Mailbox) record(st MailboxState) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.store.RecordState(ctx, m.name, st); err != nil {
		m.log.Warn("recording the mailbox state", "err", err)
	}
}
