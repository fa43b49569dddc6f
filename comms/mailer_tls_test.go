package comms_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/wneessen/go-mail"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// testLog is a logger whose records a test can count by level.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *testLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lines returns the records at level (INFO, ERROR…).
func (l *testLog) lines(level string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.SplitSeq(l.buf.String(), "\n") {
		if strings.Contains(line, "level="+level+" ") {
			out = append(out, line)
		}
	}
	return out
}

func testMsg(t *testing.T, to string) *mail.Msg {
	t.Helper()
	m := mail.NewMsg()
	require.NoError(t, m.From("status@example.com"))
	require.NoError(t, m.To(to))
	m.Subject("Hello")
	m.SetBodyString(mail.TypeTextPlain, "Hi")
	return m
}

// A server whose certificate a private CA signed is trusted once the CA is
// given (HERALD_TLS_CA_FILE), with STARTTLS and with implicit TLS; without
// it, or with a certificate for another name, the connection is refused
// with a certificate error, a configuration problem rather than a passing
// one.
func TestSMTPMailerTrustsAPrivateCA(t *testing.T) {
	t.Parallel()
	ca := mailtest.NewCA(t)
	srv := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t)))
	other := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t, "mail.example.com")))
	trusted := &tls.Config{RootCAs: ca.Pool()}
	for _, tc := range []struct {
		name    string
		srv     *mailtest.Server
		mode    string
		tls     *tls.Config
		wantErr string
	}{
		{"starttls with the CA", srv, comms.TLSStartTLS, trusted, ""},
		{"implicit tls with the CA", srv, comms.TLSImplicit, trusted, ""},
		{"starttls with the system roots only", srv, comms.TLSStartTLS, nil, "certificate signed by unknown authority"},
		{"implicit tls with the system roots only", srv, comms.TLSImplicit, nil, "certificate signed by unknown authority"},
		{"starttls to a certificate for another name", other, comms.TLSStartTLS, trusted, "127.0.0.1"},
		{"implicit tls to a certificate for another name", other, comms.TLSImplicit, trusted, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := tc.srv.Port
			if tc.mode == comms.TLSImplicit {
				port = tc.srv.TLSPort
			}
			m := comms.NewSMTPMailer(comms.SMTPConfig{Host: tc.srv.Host, Port: port, TLS: tc.mode},
				comms.MailerOptions{Timeout: 5 * time.Second, TLSConfig: tc.tls})
			t.Cleanup(func() { _ = m.Close() })
			to := strings.ReplaceAll(tc.name, " ", "-") + "@example.net"
			err := m.Send(t.Context(), testMsg(t, to))
			if tc.wantErr == "" {
				require.NoError(t, err)
				var got []string
				for _, msg := range tc.srv.Messages() {
					got = append(got, msg.To...)
				}
				require.Contains(t, got, to)
				return
			}
			var f *comms.SendFailure
			require.ErrorAs(t, err, &f)
			require.Equal(t, comms.ProblemTLS, f.Problem, "a certificate the client does not trust is a configuration problem")
			require.Contains(t, f.Reply, "certificate")
			require.Contains(t, f.Reply, tc.wantErr)
		})
	}
}

// The trusted roots are the system's plus the CA: the caller's tls.Config
// is not changed by the mailer (its ServerName stays unset).
func TestSMTPMailerLeavesTheTLSConfigAlone(t *testing.T) {
	t.Parallel()
	ca := mailtest.NewCA(t)
	srv := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t)))
	cfg := &tls.Config{RootCAs: ca.Pool()}
	m := comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSStartTLS},
		comms.MailerOptions{Timeout: 5 * time.Second, TLSConfig: cfg})
	t.Cleanup(func() { _ = m.Close() })
	require.NoError(t, m.Send(t.Context(), testMsg(t, "ann@example.net")))
	require.Empty(t, cfg.ServerName)
}

// A refused login (535), or mail refused for want of one (530), is a
// configuration problem with the server's words; the right password sends.
func TestSMTPMailerRefusedLoginIsAConfigurationProblem(t *testing.T) {
	t.Parallel()
	ca := mailtest.NewCA(t)
	srv := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t)), mailtest.WithUser("herald", "right"))
	for _, tc := range []struct {
		name, user, password string
		want                 string
	}{
		{"wrong password", "herald", "wrong", "Authentication credentials invalid"},
		{"no credentials", "", "", "Authentication required"},
		{"right password", "herald", "right", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSStartTLS, Username: tc.user, Password: tc.password},
				comms.MailerOptions{Timeout: 5 * time.Second, TLSConfig: &tls.Config{RootCAs: ca.Pool()}})
			t.Cleanup(func() { _ = m.Close() })
			err := m.Send(t.Context(), testMsg(t, "ann@example.net"))
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			var f *comms.SendFailure
			require.ErrorAs(t, err, &f)
			require.Equal(t, comms.ProblemAuth, f.Problem, "%s", f.Reply)
			require.Contains(t, f.Reply, tc.want, "the server's words")
		})
	}
}

// A configuration problem is logged at ERROR once however many emails meet
// it, and its end once at INFO; meanwhile emails fail at once with it
// instead of each dialling the server.
func TestSMTPMailerLogsAConfigurationProblemOnce(t *testing.T) {
	t.Parallel()
	ca := mailtest.NewCA(t)
	srv := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t)), mailtest.WithUser("herald", "right"))
	var logs testLog
	newMailer := func(recheck time.Duration) *comms.SMTPMailer {
		m := comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSStartTLS, Username: "herald", Password: "old"},
			comms.MailerOptions{Timeout: 5 * time.Second, Connections: 3, TLSConfig: &tls.Config{RootCAs: ca.Pool()},
				Log: logs.logger(), Recheck: recheck})
		t.Cleanup(func() { _ = m.Close() })
		return m
	}

	// Every send dials (no grace): one ERROR for 20 emails.
	m := newMailer(time.Nanosecond)
	sendAll := func(m *comms.SMTPMailer, n int) []error {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { errs[i] = m.Send(t.Context(), testMsg(t, fmt.Sprintf("sub%d@example.net", i))) })
		}
		wg.Wait()
		return errs
	}
	for _, err := range sendAll(m, 20) {
		var f *comms.SendFailure
		require.ErrorAs(t, err, &f)
		require.Equal(t, comms.ProblemAuth, f.Problem)
	}
	errs := logs.lines("ERROR")
	require.Len(t, errs, 1, "once per cause, not once per email:\n%s", strings.Join(errs, "\n"))
	require.Contains(t, errs[0], "Authentication credentials invalid")
	require.Contains(t, errs[0], srv.Addr)

	// The administrator fixes the server: the next email goes, and the
	// end of the problem is said once.
	srv.SetPassword("old")
	for _, err := range sendAll(m, 5) {
		require.NoError(t, err)
	}
	require.Len(t, logs.lines("ERROR"), 1)
	require.Len(t, logs.lines("INFO"), 1, "resolved, once")
	require.Contains(t, logs.lines("INFO")[0], "resolved")

	// Within the recheck time, emails fail with the known problem without
	// a connection each.
	srv.SetPassword("new")
	m2 := newMailer(time.Hour)
	before := srv.Connections()
	for _, err := range sendAll(m2, 30) {
		var f *comms.SendFailure
		require.ErrorAs(t, err, &f)
		require.Equal(t, comms.ProblemAuth, f.Problem)
		require.Contains(t, f.Reply, "Authentication credentials invalid")
	}
	require.LessOrEqual(t, srv.Connections()-before, 3, "one dial per connection slot at most, not one per email")
	require.Len(t, logs.lines("ERROR"), 2, "a new occurrence is told again, once")
}

// tlsHarness is an outbox delivering to a TLS server signed by a private
// CA, with a mailer that does not (yet) trust it.
type tlsHarness struct {
	*harness
	ca   *mailtest.CA
	srv  *mailtest.Server
	logs *testLog
}

func newTLSHarness(t *testing.T, bdb *bun.DB) *tlsHarness {
	h := &tlsHarness{harness: newHarness(t, bdb, false), ca: mailtest.NewCA(t), logs: &testLog{}}
	h.srv = mailtest.Start(t, mailtest.WithTLS(h.ca.Issue(t)))
	h.box = h.outbox(nil)
	return h
}

// outbox is the outbox as Herald starts with roots (nil: the system's),
// as after a restart with a new configuration.
func (h *tlsHarness) outbox(roots *tls.Config) *comms.Outbox {
	mailer := comms.NewSMTPMailer(comms.SMTPConfig{Host: h.srv.Host, Port: h.srv.Port, TLS: comms.TLSStartTLS},
		comms.MailerOptions{Timeout: 5 * time.Second, TLSConfig: roots, Log: h.logs.logger()})
	return comms.NewOutbox(h.db, comms.OutboxOptions{From: "Northwind Status <status@status.northwind.example>",
		Now: func() time.Time { return h.now }, Mailer: mailer, Log: h.logs.logger(), RetryFor: 24 * time.Hour,
		Jobs: &statustest.Jobs{}})
}

// An untrusted certificate holds the email: it stays retrying with the
// error, its job is snoozed (River does not count a snooze as an attempt)
// instead of failed, however long it lasts, and Console → Email can show
// the problem. Once the CA is trusted the email goes, once, and the problem
// is over.
func TestDeliverHoldsEmailOnAConfigurationProblem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newTLSHarness(t, bdb)
		ctx := t.Context()
		e := update("update:tls:ann@example.com", "ann@example.com")
		require.True(t, h.queue(t, e))
		p, err := h.box.Problem(ctx)
		require.NoError(t, err)
		require.Nil(t, p, "no problem before any attempt")

		for range 3 {
			err := h.box.Deliver(ctx, e.ID)
			var snooze *rivertype.JobSnoozeError
			require.ErrorAs(t, err, &snooze, "snoozed, not retried as a temporary failure")
			require.GreaterOrEqual(t, snooze.Duration, time.Minute)
			got := h.email(t, e.ID)
			require.Equal(t, comms.EmailRetrying, got.Status)
			require.Contains(t, got.LastError, "certificate signed by unknown authority")
			h.now = h.now.Add(20 * time.Hour) // well past HERALD_MAIL_RETRY_FOR in the end
		}
		require.Empty(t, h.srv.Messages())
		require.Len(t, h.logs.lines("ERROR"), 1, "one ERROR for the cause, not one per attempt")

		p, err = h.box.Problem(ctx)
		require.NoError(t, err)
		require.NotNil(t, p, h.logs.buf.String())
		require.Equal(t, comms.ProblemTLS, p.Kind)
		require.Contains(t, p.Reply, "certificate signed by unknown authority")
		require.Equal(t, 1, p.Waiting)
		require.True(t, p.LastAt.Equal(h.now.Add(-20*time.Hour)), "last met at the last attempt: %v", p.LastAt)

		// Herald restarts with HERALD_TLS_CA_FILE: the email goes once.
		h.box = h.outbox(&tls.Config{RootCAs: h.ca.Pool()})
		require.NoError(t, h.box.Deliver(ctx, e.ID))
		require.Equal(t, comms.EmailSent, h.email(t, e.ID).Status)
		require.NoError(t, h.box.Deliver(ctx, e.ID), "a second run of the job sends nothing")
		require.Len(t, h.srv.Messages(), 1)
		p, err = h.box.Problem(ctx)
		require.NoError(t, err)
		require.Nil(t, p, "an email went out since: the problem is over")

		// The same cause later is a new problem, since then.
		h.now = h.now.Add(time.Hour)
		h.box = h.outbox(nil)
		again := update("update:tls:bob@example.com", "bob@example.com")
		require.True(t, h.queue(t, again))
		require.Error(t, h.box.Deliver(ctx, again.ID))
		p, err = h.box.Problem(ctx)
		require.NoError(t, err)
		require.NotNil(t, p)
		require.True(t, p.Since.Equal(h.now), "since %v, want %v", p.Since, h.now)
	})
}

// The retry window for temporary failures starts again when a
// configuration problem ends: an email held for two days by it is not
// given up at its first temporary failure afterwards.
func TestDeliverRetryWindowRestartsAfterAConfigurationProblem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newTLSHarness(t, bdb)
		ctx := t.Context()
		e := update("update:held:bob@example.com", "bob@example.com")
		require.True(t, h.queue(t, e))
		var snooze *rivertype.JobSnoozeError
		require.ErrorAs(t, h.box.Deliver(ctx, e.ID), &snooze)
		h.now = h.now.Add(47 * time.Hour)
		require.ErrorAs(t, h.box.Deliver(ctx, e.ID), &snooze)

		h.now = h.now.Add(5 * time.Minute)
		h.box = h.outbox(&tls.Config{RootCAs: h.ca.Pool()})
		h.srv.Refuse(func(string) error { return mailtest.Temporary() })
		err := h.box.Deliver(ctx, e.ID)
		require.Error(t, err)
		require.NotErrorAs(t, err, &snooze)
		require.Equal(t, comms.EmailRetrying, h.email(t, e.ID).Status, "retried, not given up")

		h.now = h.now.Add(25 * time.Hour)
		require.Error(t, h.box.Deliver(ctx, e.ID))
		require.Equal(t, comms.EmailFailed, h.email(t, e.ID).Status, "the window still ends")
	})
}
