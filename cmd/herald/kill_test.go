package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The kill test's sizes and its time budget: after a kill -9, the work
// the dead process had in flight is done within killRecoveryBound of the
// restart (River rescues its jobs once RescueStuckJobsAfter has passed
// since they started, looking every 30 s; an email a dead attempt had
// claimed goes out once the claim is older than a live attempt could hold
// it).
const (
	killRecoveryBound = 2 * time.Minute
	killSubscribers   = 200 // who get the published update
	killMessages      = 40  // written to the support mailbox, each acknowledged
)

// buildHerald builds the herald binary into dir.
func buildHerald(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "herald")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// stallingSMTP accepts connections and never says a word: every delivery
// hangs in the middle until the mailer's timeout.
func stallingSMTP(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close() // it and its connections go with the test
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// heraldProcess is "herald serve" running as a child process.
type heraldProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

// startHeraldProcess runs "herald serve" with env and waits until it is
// ready.
func startHeraldProcess(t *testing.T, bin string, logPath string, env ...string) *heraldProcess {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, logFile.Close()) })
	cmd := exec.Command(bin, "serve")
	cmd.Dir = filepath.Dir(logPath)
	cmd.Env = append(os.Environ(), append([]string{"HERALD_LISTEN=" + addr, "HERALD_BASE_URL=http://" + addr,
		"HERALD_LOG_LEVEL=warn", "HERALD_ADMIN_EMAIL=admin@herald.example"}, env...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	p := &heraldProcess{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	require.Eventually(t, func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close() // only the status matters
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 100*time.Millisecond, "herald serve ready")
	return p
}

// kill ends the process with SIGKILL and waits for it.
func (p *heraldProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// freeze holds every writer of the database for a moment, so that the
// test can look at a state that cannot change under it: SQLite's write
// lock, or on PostgreSQL River's job table (every transaction of a job
// that queues another, as routing and fan-out do, and every job's
// completion writes to it). It returns the transaction to end.
func freeze(ctx context.Context, conn *sql.DB, dialect string) (*sql.Tx, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if dialect != db.Postgres {
		return tx, nil // BEGIN IMMEDIATE (freezeConn's _txlock) took the write lock
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE river_job IN EXCLUSIVE MODE"); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// inFlight counts, inside tx, the routing jobs that are running with
// their message not yet routed, and the update's emails being sent.
func inFlight(ctx context.Context, tx *sql.Tx, dialect string) (routing, sending int, err error) {
	messageID := "json_extract(j.args, '$.message_id')"
	if dialect == db.Postgres {
		messageID = "j.args->>'message_id'"
	}
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM river_job j JOIN inbound_messages m ON m.id = `+messageID+`
		WHERE j.kind = 'inbound.route' AND j.state = 'running' AND m.status = 'new'`).Scan(&routing)
	if err != nil {
		return 0, 0, err
	}
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM emails WHERE kind <> 'acknowledgement' AND status = 'sending'`).Scan(&sending)
	return routing, sending, err
}

// Herald is killed with SIGKILL while it routes messages from the support
// mailbox and sends a published update (the SMTP server stalls, so emails
// hang mid-delivery), and started again on the same database: within
// killRecoveryBound every message is routed and acknowledged and every
// subscriber has the update, each exactly once.
func TestKilledMidRoutingAndPublishRecovers(t *testing.T) {
	t.Parallel()
	bin := buildHerald(t, t.TempDir())
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dir := t.TempDir()
			logPath := filepath.Join(dir, "herald.log")
			t.Cleanup(func() {
				if t.Failed() {
					b, _ := os.ReadFile(logPath)
					t.Logf("herald's log:\n%s", b)
				}
			})
			dbURL := dbtest.URL(t, d)
			bdb, err := db.Open(ctx, dbURL)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, bdb.Close()) })
			// The update is published before Herald starts (its fan-out
			// queued with it, as Herald's own notifier does), and the
			// mailbox is full: both are worked on from the start.
			jobs, err := newRiver(bdb, slog.New(slog.DiscardHandler), &Config{}, river.NewWorkers())
			require.NoError(t, err)
			svc := status.New(bdb, status.Options{Notifier: &comms.Notifier{Jobs: jobs}})
			p := statustest.Page(t, svc, &statustest.PageOpts{Slug: "shop", Name: "Shop"})
			inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "Checkout errors", Notify: statustest.Ptr(false)})
			addConfirmedSubscribers(t, bdb, p.ID, killSubscribers)
			_, err = svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, Body: "A fix is rolling out to the checkout service."})
			require.NoError(t, err)
			imap := imaptest.Start(t)
			for i := range killMessages {
				imap.Append(t, "INBOX", []byte(fmt.Sprintf("From: Person %d <person%02d@customers.example>\r\nTo: support@shop.example\r\n"+
					"Message-ID: <q%d@customers.example>\r\nDate: %s\r\nSubject: Checkout question %d\r\n\r\nIs checkout down?\r\n",
					i, i, i, time.Now().UTC().Format(time.RFC1123Z), i)))
			}
			common := []string{"HERALD_DATABASE_URL=" + dbURL, "HERALD_IMAP_URL=" + imapURL(imap), "HERALD_IMAP_INTERVAL=5s",
				"HERALD_MAIL_ACKNOWLEDGE=true", "HERALD_MAIL_FROM=Shop Status <status@shop.example>"}

			// First life: the SMTP server stalls, so the update's emails
			// hang mid-delivery, while the mailbox is routed.
			started := time.Now()
			first := startHeraldProcess(t, bin, logPath, append(common, "HERALD_SMTP_URL=smtp://"+stallingSMTP(t)+"?tls=none")...)

			// Kill it while a message is being routed and the update's
			// emails are being sent, as seen with every writer held.
			conn := freezeConn(t, d, dbURL)
			var routing, sending int
			var killedAt time.Time
			require.Eventually(t, func() bool {
				tx, err := freeze(ctx, conn, d)
				if err != nil {
					return false
				}
				defer func() { _ = tx.Rollback() }()
				routing, sending, err = inFlight(ctx, tx, d)
				if err != nil || routing == 0 || sending == 0 {
					return false
				}
				first.kill()
				killedAt = time.Now()
				return true
			}, time.Minute, 5*time.Millisecond, "caught routing and sending at once")
			t.Logf("%s: killed %.1f s after the start with %d routing jobs running and %d of the update's emails mid-delivery",
				d, killedAt.Sub(started).Seconds(), routing, sending)

			// Second life, with an SMTP server that answers.
			smtp := mailtest.Start(t)
			restartedAt := time.Now()
			startHeraldProcess(t, bin, logPath, append(common, "HERALD_SMTP_URL=smtp://"+smtp.Addr+"?tls=none")...)
			want := map[string]bool{}
			for i := range killSubscribers {
				want[subscriberAddress(i)] = true
			}
			for i := range killMessages {
				want[fmt.Sprintf("person%02d@customers.example", i)] = true
			}
			done := func() (bool, string) {
				got := map[string]bool{}
				for _, m := range smtp.Messages() {
					got[m.To[0]] = true
				}
				routed, err := bdb.NewSelect().Model((*inbound.StoredMessage)(nil)).Where("status <> ?", inbound.MessageNew).Count(ctx)
				if err != nil {
					return false, err.Error()
				}
				return routed == killMessages && len(got) >= len(want),
					fmt.Sprintf("%d of %d messages routed, %d of %d recipients reached", routed, killMessages, len(got), len(want))
			}
			waitFor(t, bdb, killRecoveryBound-time.Since(restartedAt), done, "all work done within %s of the restart", killRecoveryBound)
			t.Logf("%s: all done %.1f s after the restart (%.1f s after the kill)", d, time.Since(restartedAt).Seconds(), time.Since(killedAt).Seconds())

			// Exactly once: nothing is left that could send, and each
			// recipient got one email.
			waitFor(t, bdb, killRecoveryBound, func() (bool, string) {
				n, err := bdb.NewSelect().Table("river_job").Where("kind IN (?)", bun.List([]string{"comms.send_email", "comms.fan_out", "inbound.route"})).
					Where("state NOT IN ('completed', 'cancelled', 'discarded')").Count(ctx)
				return err == nil && n == 0, fmt.Sprintf("%d jobs left (%v)", n, err)
			}, "every job finished")
			got := map[string]int{}
			for _, m := range smtp.Messages() {
				require.Len(t, m.To, 1)
				if want[m.To[0]] {
					got[m.To[0]]++
				}
			}
			require.Len(t, got, len(want), "every recipient got its email")
			for to, n := range got {
				require.Equal(t, 1, n, "%s got its email once", to)
			}
		})
	}
}

// waitFor polls cond until it holds or within has passed, then fails
// with cond's account of where things stand, the emails' and the jobs'.
func waitFor(t *testing.T, bdb *bun.DB, within time.Duration, cond func() (bool, string), what string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var emails, jobs []struct {
				A, B string
				N    int
			}
			_ = bdb.NewRaw("SELECT kind AS a, status AS b, count(*) AS n FROM emails GROUP BY kind, status").Scan(t.Context(), &emails)
			_ = bdb.NewRaw("SELECT kind AS a, state AS b, count(*) AS n FROM river_job GROUP BY kind, state").Scan(t.Context(), &jobs)
			var unsent []struct {
				Status, LastError string
				Attempts          int
			}
			_ = bdb.NewRaw("SELECT status, last_error, attempts FROM emails WHERE status <> 'sent' LIMIT 5").Scan(t.Context(), &unsent)
			var left []struct {
				Kind, State string
				Attempt     int
				ScheduledAt time.Time
			}
			_ = bdb.NewRaw("SELECT kind, state, attempt, scheduled_at FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded') LIMIT 5").
				Scan(t.Context(), &left)
			t.Fatalf("%s: %s; emails %v; jobs %v; unsent %+v; jobs left %+v", fmt.Sprintf(what, args...), state, emails, jobs, unsent, left)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// freezeConn opens a connection of the test's own to the database, for
// freeze.
func freezeConn(t *testing.T, dialect, dbURL string) *sql.DB {
	t.Helper()
	var conn *sql.DB
	var err error
	if dialect == db.Postgres {
		conn, err = sql.Open("pgx", dbURL)
	} else {
		conn, err = sql.Open("sqlite", "file:"+strings.TrimPrefix(dbURL, "sqlite://")+"?_txlock=immediate&_pragma=busy_timeout(10000)")
	}
	require.NoError(t, err)
	conn.SetMaxOpenConns(1)
	t.Cleanup(func() { require.NoError(t, conn.Close()) })
	return conn
}

func subscriberAddress(i int) string { return fmt.Sprintf("sub%03d@subscribers.example", i) }

// addConfirmedSubscribers adds n confirmed subscribers of the whole page.
func addConfirmedSubscribers(t *testing.T, bdb *bun.DB, pageID string, n int) {
	t.Helper()
	now := time.Now().UTC()
	subs := make([]comms.Subscriber, n)
	for i := range subs {
		subs[i] = comms.Subscriber{ID: status.NewID(), PageID: pageID, Email: subscriberAddress(i),
			State: comms.SubscriberConfirmed, Scope: comms.ScopeAll, AddedBy: comms.AddedByImport,
			ConfirmedAt: &now, CreatedAt: now, UpdatedAt: now}
	}
	_, err := bdb.NewInsert().Model(&subs).Exec(t.Context())
	require.NoError(t, err)
}
