package inbound_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
)

// imapSink is a Sink that stores each Message-ID once, as the real one must.
type imapSink struct {
	mu         sync.Mutex
	validity   uint32
	last       uint32
	ok         bool
	stored     map[string]int // Message-ID → times stored (must stay 1)
	calls      map[string]int // Message-ID → Deliver calls
	order      []uint32       // UIDs in Deliver order
	got        []imapGot
	doneCalls  int
	deliverErr func(m *inbound.Fetched) error // called after reading, before storing
	afterStore func(m *inbound.Fetched)
	doneErr    func(uid uint32) error
}

type imapGot struct {
	UID      uint32
	Validity uint32
	ID       string
	Size     int64
	TooLarge bool
	Raw      []byte // first 64 KiB
	N        int64  // bytes read from Raw
	Flags    []string
}

func newIMAPSink() *imapSink {
	return &imapSink{stored: map[string]int{}, calls: map[string]int{}}
}

func (s *imapSink) Checkpoint(ctx context.Context, mailbox string) (uint32, uint32, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validity, s.last, s.ok, nil
}

func (s *imapSink) Deliver(ctx context.Context, m *inbound.Fetched) error {
	var head bytes.Buffer
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := m.Raw.Read(buf)
		n += int64(k)
		if head.Len() < 64<<10 {
			head.Write(buf[:min(k, 64<<10-head.Len())])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read message: %w", err)
		}
	}
	id := ""
	if msg, err := mail.ReadMessage(bytes.NewReader(head.Bytes())); err == nil {
		id = msg.Header.Get("Message-Id")
	}
	g := imapGot{UID: m.UID, Validity: m.UIDValidity, ID: id, Size: m.Size, TooLarge: m.TooLarge, Raw: head.Bytes(), N: n, Flags: m.Flags}
	s.mu.Lock()
	s.calls[id]++
	s.order = append(s.order, m.UID)
	f := s.deliverErr
	s.mu.Unlock()
	if f != nil {
		if err := f(m); err != nil {
			return err
		}
	}
	s.mu.Lock()
	if s.stored[id] == 0 {
		s.stored[id] = 1
		s.got = append(s.got, g)
	}
	after := s.afterStore
	s.mu.Unlock()
	if after != nil {
		after(m)
	}
	return nil
}

func (s *imapSink) Done(ctx context.Context, mailbox string, validity, uid uint32, _ int) error {
	s.mu.Lock()
	f := s.doneErr
	s.mu.Unlock()
	if f != nil {
		if err := f(uid); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doneCalls++
	if s.ok && s.validity == validity && uid <= s.last {
		return fmt.Errorf("Done(%d) goes back from %d", uid, s.last)
	}
	s.validity, s.last, s.ok = validity, uid, true
	return nil
}

func (s *imapSink) checkpoint() (uint32, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validity, s.last, s.ok
}

func (s *imapSink) deliveries() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

func (s *imapSink) storedIDs() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.stored {
		out[k] = v
	}
	return out
}

func (s *imapSink) callsFor(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[id]
}

func (s *imapSink) gotFor(id string) (imapGot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.got {
		if g.ID == id {
			return g, true
		}
	}
	return imapGot{}, false
}

func imapMsg(id, body string) []byte {
	return []byte("From: Alice <alice@example.test>\r\n" +
		"To: support@example.test\r\n" +
		"Subject: " + id + "\r\n" +
		"Message-ID: <" + id + "@example.test>\r\n" +
		"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n" +
		"\r\n" + body + "\r\n")
}

func imapID(id string) string { return "<" + id + "@example.test>" }

func imapTestLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(imapTestWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type imapTestWriter struct{ t testing.TB }

func (w imapTestWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func imapOptions(t testing.TB, srv *imaptest.Server) inbound.WatcherOptions {
	return inbound.WatcherOptions{
		Config: inbound.IMAPConfig{
			Host: srv.Host(), Port: srv.Port(), TLS: "none",
			Username: srv.Username, Password: srv.Password, Mailbox: "INBOX",
		},
		Timeout:    5 * time.Second,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		Log:        imapTestLog(t),
	}
}

func imapWaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// imapRun runs w.Run until the test ends and checks that it stops promptly.
func imapRun(t testing.TB, w *inbound.Watcher) (cancel func()) {
	ctx, cancelCtx := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancelCtx()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("Run did not return within 3s of cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}

func hasFlag(flags []string, f string) bool { return slices.Contains(flags, f) }

// closeWatcher closes w and fails the test if that fails.
func closeWatcher(t testing.TB, w *inbound.Watcher) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Errorf("close watcher: %v", err)
	}
}

func TestWatcherDeliversOnceInUIDOrderAndFlagsSeen(t *testing.T) {
	srv := imaptest.Start(t)
	old := srv.Append(t, "INBOX", imapMsg("old", "already read"), `\Seen`)
	u1 := srv.Append(t, "INBOX", imapMsg("m1", "first"))
	u2 := srv.Append(t, "INBOX", imapMsg("m2", "second"), `\Flagged`)
	sink := newIMAPSink()
	o := imapOptions(t, srv)
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	o.Now = func() time.Time { return at }
	w := inbound.NewWatcher(sink, o)
	defer closeWatcher(t, w)
	ctx := context.Background()

	if err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := sink.deliveries(), []uint32{old, u1, u2}; !slices.Equal(got, want) {
		t.Fatalf("delivered UIDs %v, want %v", got, want)
	}
	for _, uid := range []uint32{old, u1, u2} {
		if f := srv.Flags(t, "INBOX", uid); !hasFlag(f, `\Seen`) {
			t.Errorf("UID %d flags %v, want \\Seen", uid, f)
		}
	}
	g, ok := sink.gotFor(imapID("m2"))
	if !ok || !bytes.Contains(g.Raw, []byte("second")) || g.Validity != srv.UIDValidity(t, "INBOX") || !hasFlag(g.Flags, `\Flagged`) || g.TooLarge {
		t.Errorf("m2 delivered as %+v", g)
	}
	if g.Size != int64(len(imapMsg("m2", "second"))) || g.N != g.Size {
		t.Errorf("m2 size %d, read %d, want %d", g.Size, g.N, len(imapMsg("m2", "second")))
	}
	if v, last, ok := sink.checkpoint(); !ok || last != u2 || v != srv.UIDValidity(t, "INBOX") {
		t.Errorf("checkpoint %d/%d/%v, want %d/%d", v, last, ok, srv.UIDValidity(t, "INBOX"), u2)
	}
	st := w.State()
	if !st.Connected || st.Idle || st.LastSeenUID != u2 || st.Processed != 3 || !st.LastMessageAt.Equal(at) || st.LastError != "" {
		t.Errorf("state %+v", st)
	}

	// A second pass finds nothing new; a later message comes alone.
	if err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.deliveries()); n != 3 {
		t.Fatalf("second Poll delivered again: %v", sink.deliveries())
	}
	u3 := srv.Append(t, "INBOX", imapMsg("m3", "third"))
	if err := w.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := sink.deliveries(), []uint32{old, u1, u2, u3}; !slices.Equal(got, want) {
		t.Fatalf("delivered UIDs %v, want %v", got, want)
	}
}

func TestWatcherMovesProcessedMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []imaptest.Option
	}{{"MOVE", nil}, {"COPY fallback", []imaptest.Option{imaptest.WithoutMove()}}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := imaptest.Start(t, tc.opts...)
			srv.Append(t, "INBOX", imapMsg("a", "a"))
			srv.Append(t, "INBOX", imapMsg("b", "b"))
			keep := srv.Append(t, "INBOX", []byte("Message-ID: <keep@x>\r\n\r\nmarked deleted by someone else\r\n"))
			sink := newIMAPSink()
			sink.deliverErr = func(m *inbound.Fetched) error {
				if m.UID == keep {
					return errors.New("not now")
				}
				return nil
			}
			o := imapOptions(t, srv)
			o.Processed = "Herald/Done"
			w := inbound.NewWatcher(sink, o)
			defer closeWatcher(t, w)
			if err := w.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "not now") {
				t.Fatalf("Poll: %v, want the sink's error", err)
			}
			if got := srv.UIDs(t, "INBOX"); !slices.Equal(got, []uint32{keep}) {
				t.Errorf("INBOX holds %v, want only %d", got, keep)
			}
			done := srv.Messages(t, "Herald/Done")
			if len(done) != 2 {
				t.Fatalf("Processed folder holds %+v, want 2 messages", done)
			}
			for _, m := range done {
				if !hasFlag(m.Flags, `\Seen`) || hasFlag(m.Flags, `\Deleted`) {
					t.Errorf("moved message flags %v", m.Flags)
				}
			}
			if len(sink.storedIDs()) != 2 {
				t.Errorf("stored %v", sink.storedIDs())
			}
		})
	}
}

func TestWatcherDeliverFailureLosesNothing(t *testing.T) {
	srv := imaptest.Start(t)
	u1 := srv.Append(t, "INBOX", imapMsg("m1", "one"))
	u2 := srv.Append(t, "INBOX", imapMsg("m2", "two"))
	u3 := srv.Append(t, "INBOX", imapMsg("m3", "three"))
	sink := newIMAPSink()
	var fail atomic.Bool
	fail.Store(true)
	sink.deliverErr = func(m *inbound.Fetched) error {
		if m.UID == u2 && fail.Load() {
			return errors.New("database is down")
		}
		return nil
	}
	w := inbound.NewWatcher(sink, imapOptions(t, srv))
	defer closeWatcher(t, w)

	err := w.Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "database is down") || !strings.Contains(err.Error(), fmt.Sprint("UID ", u2)) {
		t.Fatalf("Poll: %v, want the sink's error for UID %d", err, u2)
	}
	if got := sink.deliveries(); !slices.Equal(got, []uint32{u1, u2}) {
		t.Fatalf("delivered %v, want %d then %d and nothing after the failure", got, u1, u2)
	}
	if !hasFlag(srv.Flags(t, "INBOX", u1), `\Seen`) {
		t.Error("message 1 not flagged \\Seen")
	}
	for _, uid := range []uint32{u2, u3} {
		if hasFlag(srv.Flags(t, "INBOX", uid), `\Seen`) {
			t.Errorf("UID %d flagged \\Seen although it was not delivered", uid)
		}
	}
	if _, last, _ := sink.checkpoint(); last != u1 {
		t.Errorf("checkpoint at %d, want %d", last, u1)
	}
	st := w.State()
	if !strings.Contains(st.LastError, "database is down") || st.LastErrorAt.IsZero() || st.Connected {
		t.Errorf("state after failure %+v", st)
	}

	fail.Store(false)
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.deliveries(); !slices.Equal(got, []uint32{u1, u2, u2, u3}) {
		t.Fatalf("delivered %v, want 2 retried then 3", got)
	}
	if len(sink.storedIDs()) != 3 {
		t.Errorf("stored %v", sink.storedIDs())
	}
	if st := w.State(); st.LastError != "" || !st.Connected {
		t.Errorf("state after recovery %+v", st)
	}
}

func TestWatcherCrashBetweenDeliverAndFlag(t *testing.T) {
	t.Run("Done fails", func(t *testing.T) {
		srv := imaptest.Start(t)
		u1 := srv.Append(t, "INBOX", imapMsg("m1", "one"))
		u2 := srv.Append(t, "INBOX", imapMsg("m2", "two"))
		sink := newIMAPSink()
		var fail atomic.Bool
		fail.Store(true)
		sink.doneErr = func(uint32) error {
			if fail.Load() {
				return errors.New("checkpoint write failed")
			}
			return nil
		}
		w := inbound.NewWatcher(sink, imapOptions(t, srv))
		defer closeWatcher(t, w)
		if err := w.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "checkpoint write failed") {
			t.Fatalf("Poll: %v", err)
		}
		fail.Store(false)
		if err := w.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The batch was flagged but not recorded done: it comes again.
		if got := sink.deliveries(); !slices.Equal(got, []uint32{u1, u2, u1, u2}) {
			t.Fatalf("delivered %v, want both twice", got)
		}
		if got := sink.storedIDs(); len(got) != 2 || got[imapID("m1")] != 1 || got[imapID("m2")] != 1 {
			t.Errorf("stored %v, want each message once", got)
		}
	})
	t.Run("stopped after Deliver", func(t *testing.T) {
		srv := imaptest.Start(t)
		u1 := srv.Append(t, "INBOX", imapMsg("m1", "one"))
		u2 := srv.Append(t, "INBOX", imapMsg("m2", "two"))
		sink := newIMAPSink()
		ctx, cancel := context.WithCancel(context.Background())
		sink.afterStore = func(m *inbound.Fetched) {
			if m.UID == u1 {
				cancel() // the process dies right after the sink stored it
			}
		}
		w := inbound.NewWatcher(sink, imapOptions(t, srv))
		if err := w.Poll(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Poll: %v, want context.Canceled", err)
		}
		if st := w.State(); st.LastError != "" || st.Connected {
			t.Errorf("state after a stop %+v, want disconnected and no error", st)
		}
		closeWatcher(t, w)
		if hasFlag(srv.Flags(t, "INBOX", u1), `\Seen`) {
			t.Fatal("message 1 flagged although the watcher stopped before flagging")
		}
		if _, _, ok := sink.checkpoint(); ok {
			t.Fatal("checkpoint advanced although the watcher stopped before Done")
		}

		// The next run sees message 1 again; the sink dedupes it.
		sink.afterStore = nil
		w2 := inbound.NewWatcher(sink, imapOptions(t, srv))
		defer closeWatcher(t, w2)
		if err := w2.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := sink.deliveries(); !slices.Equal(got, []uint32{u1, u1, u2}) {
			t.Fatalf("delivered %v, want message 1 twice", got)
		}
		if sink.callsFor(imapID("m1")) != 2 {
			t.Errorf("Deliver calls for m1: %d, want 2", sink.callsFor(imapID("m1")))
		}
		if got := sink.storedIDs(); len(got) != 2 || got[imapID("m1")] != 1 || got[imapID("m2")] != 1 {
			t.Errorf("stored %v, want each message once", got)
		}
		for _, uid := range []uint32{u1, u2} {
			if !hasFlag(srv.Flags(t, "INBOX", uid), `\Seen`) {
				t.Errorf("UID %d not flagged after the second run", uid)
			}
		}
	})
}

func TestWatcherReconnectsAfterDrop(t *testing.T) {
	srv := imaptest.Start(t)
	srv.Append(t, "INBOX", imapMsg("before", "x"))
	sink := newIMAPSink()
	o := imapOptions(t, srv)
	o.Interval = time.Minute
	w := inbound.NewWatcher(sink, o)
	imapRun(t, w)
	imapWaitFor(t, 5*time.Second, "first message", func() bool { return sink.callsFor(imapID("before")) == 1 })
	imapWaitFor(t, 5*time.Second, "idle", func() bool { return w.State().Idle })
	accepted := srv.Accepted()

	if n := srv.DropConnections(); n == 0 {
		t.Fatal("no connection to drop")
	}
	imapWaitFor(t, 5*time.Second, "reconnection", func() bool { return srv.Accepted() > accepted && w.State().Idle })
	srv.Append(t, "INBOX", imapMsg("after", "y"))
	imapWaitFor(t, 5*time.Second, "message appended after the drop", func() bool { return sink.callsFor(imapID("after")) == 1 })
	if got := sink.storedIDs(); len(got) != 2 || got[imapID("before")] != 1 {
		t.Errorf("stored %v", got)
	}
}

func TestWatcherIdleDeliversWithoutWaitingForPoll(t *testing.T) {
	srv := imaptest.Start(t)
	sink := newIMAPSink()
	o := imapOptions(t, srv)
	o.Interval = time.Minute
	w := inbound.NewWatcher(sink, o)
	stop := imapRun(t, w)
	imapWaitFor(t, 5*time.Second, "idle", func() bool { return w.State().Idle })
	if st := w.State(); !st.Connected || st.Processed != 0 {
		t.Errorf("state while idle %+v", st)
	}

	start := time.Now()
	uid := srv.Append(t, "INBOX", imapMsg("live", "hello"))
	imapWaitFor(t, 2*time.Second, "delivery while idling", func() bool { return sink.callsFor(imapID("live")) == 1 })
	t.Logf("delivered %v after append", time.Since(start))
	imapWaitFor(t, 2*time.Second, "state update", func() bool {
		st := w.State()
		return st.LastSeenUID == uid && st.Processed == 1 && st.Idle
	})
	stop()
	if st := w.State(); st.Connected || st.Idle {
		t.Errorf("state after Run returned %+v", st)
	}
}

// imapNoIdleConn hides the server's IDLE capability (renamed XDLE).
type imapNoIdleConn struct{ net.Conn }

func (c imapNoIdleConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	copy(b[:n], bytes.ReplaceAll(b[:n], []byte(" IDLE"), []byte(" XDLE")))
	return n, err
}

func TestWatcherPollsWithoutIdle(t *testing.T) {
	srv := imaptest.Start(t)
	sink := newIMAPSink()
	o := imapOptions(t, srv)
	o.Interval = 50 * time.Millisecond
	o.Dial = func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr())
		if err != nil {
			return nil, err
		}
		return imapclient.New(imapNoIdleConn{conn}, opts), nil
	}
	w := inbound.NewWatcher(sink, o)
	imapRun(t, w)
	imapWaitFor(t, 5*time.Second, "connection", func() bool { return w.State().Connected })
	for i := range 3 {
		id := fmt.Sprint("p", i)
		srv.Append(t, "INBOX", imapMsg(id, "x"))
		imapWaitFor(t, 2*time.Second, "polled delivery", func() bool { return sink.callsFor(imapID(id)) == 1 })
		if w.State().Idle {
			t.Fatal("idle although the server offers no IDLE")
		}
	}
	if srv.Accepted() != 1 {
		t.Errorf("%d connections for polling, want 1", srv.Accepted())
	}
}

func TestWatcherTLSModes(t *testing.T) {
	srv := imaptest.Start(t, imaptest.WithTLS())
	_, tlsPort, _ := net.SplitHostPort(srv.TLSAddr())
	implicitPort, err := strconv.Atoi(tlsPort)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mode    string
		port    int
		trust   bool
		wantErr string
	}{
		{"starttls", srv.Port(), true, ""},
		{"tls", implicitPort, true, ""},
		{"starttls", srv.Port(), false, "certificate"},
		{"tls", implicitPort, false, "certificate"},
		{"none", srv.Port(), true, "offers no AUTH=PLAIN"},
	} {
		t.Run(fmt.Sprint(tc.mode, " trusted=", tc.trust), func(t *testing.T) {
			sink := newIMAPSink()
			o := imapOptions(t, srv)
			o.Config.TLS, o.Config.Port = tc.mode, tc.port
			if tc.trust {
				o.TLSConfig = &tls.Config{RootCAs: srv.CertPool()}
			}
			w := inbound.NewWatcher(sink, o)
			defer closeWatcher(t, w)
			uid := srv.Append(t, "INBOX", imapMsg("tls-"+tc.mode+fmt.Sprint(tc.trust), "x"))
			err := w.Poll(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Poll: %v, want an error about %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sink.deliveries(); len(got) == 0 || got[len(got)-1] != uid {
				t.Errorf("delivered %v, want up to %d", got, uid)
			}
		})
	}
}

// imapRewriteConn rewrites what the server sends (outside literals) and
// records what the client sends.
type imapRewriteConn struct {
	net.Conn
	old, new []byte
	pending  []byte
	mu       *sync.Mutex
	sent     *bytes.Buffer
}

func (c *imapRewriteConn) Read(b []byte) (int, error) {
	if len(c.pending) == 0 {
		n, err := c.Conn.Read(b)
		if n == 0 {
			return 0, err
		}
		c.pending = bytes.ReplaceAll(b[:n], c.old, c.new)
	}
	n := copy(b, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *imapRewriteConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.sent.Write(b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func TestWatcherAuthenticatesPlainWhenLoginDisabled(t *testing.T) {
	srv := imaptest.Start(t)
	uid := srv.Append(t, "INBOX", imapMsg("auth", "x"))
	var mu sync.Mutex
	var sent bytes.Buffer
	o := imapOptions(t, srv)
	o.Dial = func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr())
		if err != nil {
			return nil, err
		}
		rc := &imapRewriteConn{Conn: conn, old: []byte("IMAP4rev1 "), new: []byte("IMAP4rev1 LOGINDISABLED "), mu: &mu, sent: &sent}
		return imapclient.New(rc, opts), nil
	}
	sink := newIMAPSink()
	w := inbound.NewWatcher(sink, o)
	defer closeWatcher(t, w)
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.deliveries(); !slices.Equal(got, []uint32{uid}) {
		t.Errorf("delivered %v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !bytes.Contains(sent.Bytes(), []byte("AUTHENTICATE PLAIN")) || bytes.Contains(sent.Bytes(), []byte(" LOGIN ")) {
		t.Errorf("client sent:\n%s\nwant AUTHENTICATE PLAIN and no LOGIN", sent.Bytes())
	}
}

func TestWatcherSafetyPollWhileIdling(t *testing.T) {
	srv := imaptest.Start(t)
	var mu sync.Mutex
	var sent bytes.Buffer
	o := imapOptions(t, srv)
	o.Interval = 200 * time.Millisecond
	o.Dial = func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr())
		if err != nil {
			return nil, err
		}
		// The client never hears of new mail: RECENT is ignored.
		rc := &imapRewriteConn{Conn: conn, old: []byte(" EXISTS"), new: []byte(" RECENT"), mu: &mu, sent: &sent}
		return imapclient.New(rc, opts), nil
	}
	sink := newIMAPSink()
	w := inbound.NewWatcher(sink, o)
	imapRun(t, w)
	imapWaitFor(t, 5*time.Second, "idle", func() bool { return w.State().Idle })
	srv.Append(t, "INBOX", imapMsg("missed", "x"))
	imapWaitFor(t, 3*time.Second, "delivery by the safety poll", func() bool { return sink.callsFor(imapID("missed")) == 1 })
	if srv.Accepted() != 1 {
		t.Errorf("%d connections, want the one", srv.Accepted())
	}
}

func TestWatcherUIDValidityChangeRereadsEverything(t *testing.T) {
	srv := imaptest.Start(t)
	srv.Append(t, "INBOX", imapMsg("a", "a"))
	srv.Append(t, "INBOX", imapMsg("b", "b"))
	sink := newIMAPSink()
	w := inbound.NewWatcher(sink, imapOptions(t, srv))
	defer closeWatcher(t, w)
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	oldValidity := srv.UIDValidity(t, "INBOX")

	// The mailbox is rebuilt: same messages, new UIDVALIDITY, UIDs from 1.
	srv.RecreateMailbox(t, "INBOX")
	newValidity := srv.UIDValidity(t, "INBOX")
	if newValidity == oldValidity {
		t.Fatal("UIDVALIDITY did not change")
	}
	srv.Append(t, "INBOX", imapMsg("a", "a"))
	srv.Append(t, "INBOX", imapMsg("b", "b"))
	u3 := srv.Append(t, "INBOX", imapMsg("c", "c"))
	if err := w.Poll(context.Background()); err == nil {
		t.Log("first Poll after the change succeeded on a new connection")
	}
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if n := sink.callsFor(imapID(id)); n != 2 {
			t.Errorf("%s delivered %d times, want 2 (again after the change)", id, n)
		}
	}
	if got := sink.storedIDs(); len(got) != 3 || got[imapID("a")] != 1 || got[imapID("b")] != 1 || got[imapID("c")] != 1 {
		t.Errorf("stored %v, want a, b, c once each", got)
	}
	if v, last, ok := sink.checkpoint(); !ok || v != newValidity || last != u3 {
		t.Errorf("checkpoint %d/%d, want %d/%d", v, last, newValidity, u3)
	}
}

func TestWatcherUIDValidityZeroIsAValue(t *testing.T) {
	srv := imaptest.Start(t, imaptest.WithUIDValidityZero())
	srv.Append(t, "INBOX", imapMsg("z1", "1"))
	u2 := srv.Append(t, "INBOX", imapMsg("z2", "2"))
	sink := newIMAPSink()
	w := inbound.NewWatcher(sink, imapOptions(t, srv))
	defer closeWatcher(t, w)
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v, last, ok := sink.checkpoint(); !ok || v != 0 || last != u2 {
		t.Fatalf("checkpoint %d/%d/%v, want 0/%d", v, last, ok, u2)
	}
	closeWatcher(t, w) // a new connection, as after a restart
	u3 := srv.Append(t, "INBOX", imapMsg("z3", "3"))
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.deliveries(); len(got) != 3 || got[2] != u3 {
		t.Errorf("delivered %v: UIDVALIDITY 0 was taken for a change", got)
	}
}

func TestWatcherSkipsMessageExpungedMeanwhile(t *testing.T) {
	srv := imaptest.Start(t)
	u1 := srv.Append(t, "INBOX", imapMsg("e1", "1"))
	u2 := srv.Append(t, "INBOX", imapMsg("e2", "2"))
	u3 := srv.Append(t, "INBOX", imapMsg("e3", "3"))
	sink := newIMAPSink()
	sink.afterStore = func(m *inbound.Fetched) {
		if m.UID != u1 {
			return
		}
		// Someone else deletes message 2 after the watcher listed it.
		c, err := imapclient.DialInsecure(srv.Addr(), nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = c.Close() }() // a second client, only to watch
		if err := c.Login(srv.Username, srv.Password).Wait(); err != nil {
			t.Error(err)
			return
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Error(err)
			return
		}
		if _, err := c.Move(imap.UIDSetNum(imap.UID(u2)), "Trash").Wait(); err != nil {
			t.Error(err)
		}
	}
	srv.CreateMailbox(t, "Trash")
	w := inbound.NewWatcher(sink, imapOptions(t, srv))
	defer closeWatcher(t, w)
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sink.deliveries(); !slices.Equal(got, []uint32{u1, u3}) {
		t.Errorf("delivered %v, want %d and %d", got, u1, u3)
	}
	if _, last, _ := sink.checkpoint(); last != u3 {
		t.Errorf("checkpoint at %d, want %d", last, u3)
	}
}

func TestWatcherTooLargeGetsHeaderOnly(t *testing.T) {
	srv := imaptest.Start(t)
	raw := imapMsg("big", strings.Repeat("BODYBODY", 1000))
	uid := srv.Append(t, "INBOX", raw)
	small := srv.Append(t, "INBOX", imapMsg("small", "s"))
	sink := newIMAPSink()
	o := imapOptions(t, srv)
	o.MaxSize = 1000
	w := inbound.NewWatcher(sink, o)
	defer closeWatcher(t, w)
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	g, ok := sink.gotFor(imapID("big"))
	if !ok {
		t.Fatal("big message not delivered")
	}
	header := raw[:bytes.Index(raw, []byte("\r\n\r\n"))+4]
	if !g.TooLarge || g.Size != int64(len(raw)) || !bytes.Equal(g.Raw, header) {
		t.Errorf("got TooLarge=%v Size=%d Raw=%q; want header only of a %d-byte message", g.TooLarge, g.Size, g.Raw, len(raw))
	}
	if s, _ := sink.gotFor(imapID("small")); s.TooLarge || !bytes.Contains(s.Raw, []byte("\r\n\r\ns")) {
		t.Errorf("small message %+v", s)
	}
	if !hasFlag(srv.Flags(t, "INBOX", uid), `\Seen`) || !hasFlag(srv.Flags(t, "INBOX", small), `\Seen`) {
		t.Error("not flagged \\Seen")
	}
}

// imapCountConn counts the bytes the client read from the server.
type imapCountConn struct {
	net.Conn
	n *atomic.Int64
}

func (c imapCountConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func TestWatcherStreamsLargeMessage(t *testing.T) {
	srv := imaptest.Start(t)
	const size = 25 << 20
	head := imapMsg("huge", "")
	raw := make([]byte, size)
	copy(raw, head)
	for i := len(head); i < size; i++ {
		raw[i] = 'a' + byte(i%26)
		if i%78 == 77 {
			raw[i-1], raw[i] = '\r', '\n'
		}
	}
	srv.Append(t, "INBOX", raw)

	var wire atomic.Int64
	var wireAtFirstChunk int64 = -1
	sink := newIMAPSink()
	o := imapOptions(t, srv)
	o.MaxSize = size
	o.Dial = func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", srv.Addr())
		if err != nil {
			return nil, err
		}
		return imapclient.New(imapCountConn{Conn: conn, n: &wire}, opts), nil
	}
	// Wrap the sink's Deliver to look at the wire after the first chunk.
	first := &firstChunkSink{imapSink: sink, wire: &wire, at: &wireAtFirstChunk}
	w := inbound.NewWatcher(first, o)
	defer closeWatcher(t, w)
	if err := w.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	g, ok := sink.gotFor(imapID("huge"))
	if !ok || g.TooLarge || g.N != size || g.Size != size {
		t.Fatalf("got %+v (Raw elided), want the whole %d bytes", imapGot{UID: g.UID, Size: g.Size, N: g.N, TooLarge: g.TooLarge}, size)
	}
	if wireAtFirstChunk < 0 || wireAtFirstChunk > 1<<20 {
		t.Errorf("%d bytes had come off the wire when the sink read its first chunk; the message was buffered, not streamed", wireAtFirstChunk)
	}
	if total := wire.Load(); total < size {
		t.Errorf("only %d bytes read from the wire", total)
	}
}

// firstChunkSink records how much the client had read from the network when
// the sink got the first chunk of the message.
type firstChunkSink struct {
	*imapSink
	wire *atomic.Int64
	at   *int64
}

func (s *firstChunkSink) Deliver(ctx context.Context, m *inbound.Fetched) error {
	buf := make([]byte, 32<<10)
	n, err := io.ReadFull(m.Raw, buf)
	*s.at = s.wire.Load()
	if err != nil {
		return err
	}
	m.Raw = io.MultiReader(bytes.NewReader(buf[:n]), m.Raw)
	return s.imapSink.Deliver(ctx, m)
}

func TestWatcherWrongPasswordRetriesWithBackoff(t *testing.T) {
	srv := imaptest.Start(t)
	sink := newIMAPSink()
	o := imapOptions(t, srv)
	o.Config.Password = "wrong"
	o.MinBackoff = 50 * time.Millisecond
	o.MaxBackoff = 200 * time.Millisecond
	w := inbound.NewWatcher(sink, o)
	start := time.Now()
	stop := imapRun(t, w)
	imapWaitFor(t, 5*time.Second, "login error in state", func() bool {
		return strings.Contains(w.State().LastError, "refused the login")
	})
	st := w.State()
	if st.Connected || st.LastErrorAt.IsZero() || !strings.Contains(st.LastError, srv.Username) {
		t.Errorf("state %+v", st)
	}
	imapWaitFor(t, 5*time.Second, "three attempts", func() bool { return srv.Accepted() >= 3 })
	elapsed := time.Since(start)
	// Backoff: 50ms (±25%), then 100ms: three attempts take at least ~110ms.
	if elapsed < 100*time.Millisecond {
		t.Errorf("three attempts in %v: no backoff", elapsed)
	}
	stopAt := time.Now()
	stop()
	if d := time.Since(stopAt); d > time.Second {
		t.Errorf("Run took %v to stop", d)
	}
	n := srv.Accepted()
	time.Sleep(300 * time.Millisecond)
	if srv.Accepted() != n {
		t.Error("still connecting after Run returned")
	}
}

func TestWatcherStopsPromptlyWhileIdle(t *testing.T) {
	srv := imaptest.Start(t)
	o := imapOptions(t, srv)
	o.Interval = time.Hour
	w := inbound.NewWatcher(newIMAPSink(), o)
	stop := imapRun(t, w)
	imapWaitFor(t, 5*time.Second, "idle", func() bool { return w.State().Idle })
	start := time.Now()
	stop()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run took %v to stop while idling", d)
	}
}

func TestWatcherCommandTimeoutClosesHungConnection(t *testing.T) {
	// A server that greets and then never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// This server's own errors do not matter: the watcher's are the test.
	defer func() { _ = ln.Close() }()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("* OK [CAPABILITY IMAP4rev1] hello\r\n"))
			go func() { _, _ = io.Copy(io.Discard, c) }()
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	w := inbound.NewWatcher(newIMAPSink(), inbound.WatcherOptions{
		Config:  inbound.IMAPConfig{Host: host, Port: p, TLS: "none", Username: "u", Password: "p"},
		Timeout: 200 * time.Millisecond,
		Log:     imapTestLog(t),
	})
	start := time.Now()
	err = w.Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("Poll: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("timed out after %v, want about 200ms", d)
	}
}
