package inbound

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// Fetched is a message as the Watcher hands it to a Sink.
type Fetched struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
	Size        int64 // RFC822.SIZE as the server reports it
	// Raw is the whole message, or only its header when TooLarge. It streams
	// from the IMAP connection and is valid only until Deliver returns.
	Raw      io.Reader
	TooLarge bool
	Flags    []string
}

// Sink is where the Watcher's messages go.
//
// The Watcher calls Deliver for each new message in UID order and then, only
// after Deliver returned nil, flags it \Seen (and moves it when configured)
// and calls Done. Deliver must store the message durably and be idempotent:
// after a crash or a UIDVALIDITY change the same message can come again, and
// the sink deduplicates it (by Message-ID, for example).
type Sink interface {
	// Checkpoint returns the mailbox's stored UIDVALIDITY and the highest
	// UID whose processing is complete; ok is false when none is stored.
	Checkpoint(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, ok bool, err error)
	// Deliver stores m durably. It must read m.Raw before returning, and
	// promptly: the connection waits on it, and the IMAP client gives up on
	// a message literal not read within 5 minutes.
	Deliver(ctx context.Context, m *Fetched) error
	// Done records that the messages up to uid are processed (flagged and
	// moved), advancing the checkpoint, and that read of them were
	// delivered (for the count of messages read; a message that vanished
	// before it was fetched is not). A new uidValidity replaces the
	// stored one.
	Done(ctx context.Context, mailbox string, uidValidity, uid uint32, read int) error
}

// WatcherOptions configures a Watcher. Only Config is required.
type WatcherOptions struct {
	Config IMAPConfig
	// Processed is the folder processed messages are moved to; "" leaves
	// them in place, only flagged \Seen. It is created when missing.
	Processed string
	// Interval is the poll interval when the server offers no IDLE, and the
	// safety poll while idling (default 30s).
	Interval time.Duration
	// MaxSize is the largest message fetched whole (default 25 MiB); a
	// larger one is handed over with only its header and TooLarge set.
	MaxSize int64
	// Timeout bounds each IMAP command (default 1 minute); a command that
	// overruns it closes the connection.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between reconnection
	// attempts (defaults 1s and 5 minutes); the delay doubles after each
	// failure, with jitter.
	MinBackoff, MaxBackoff time.Duration
	// TLSConfig is used for "tls" and "starttls", for a server whose
	// certificate a private CA signed (default: the system's roots); its
	// ServerName defaults to Config.Host.
	TLSConfig *tls.Config
	// Log receives the watcher's logs (default slog.Default()).
	Log *slog.Logger
	// Dial connects to the server, for tests. It must create the client with
	// the given options, which carry the handler that wakes the watcher on
	// new mail. The default dials Config (TLS, STARTTLS or none) with TCP
	// keepalive.
	Dial func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error)
	// Now is the clock for the timestamps in State (default time.Now).
	Now func() time.Time
}

// MailboxState is what the console shows about a watched mailbox.
type MailboxState struct {
	Connected     bool
	Idle          bool
	LastSeenUID   uint32
	LastMessageAt time.Time
	LastError     string
	LastErrorAt   time.Time
	Processed     int64
}

// ErrIMAPLogin is wrapped by the error returned when the server refuses the
// credentials.
var ErrIMAPLogin = errors.New("IMAP server refused the login")

// Configuration problems an IMAPConfigError names.
const (
	// ProblemTLS: the server's certificate is not trusted (unknown CA,
	// another name, expired) or it does not speak TLS where it should.
	ProblemTLS = "tls"
	// ProblemAuth: the server refused the login, or offers none Herald
	// can use.
	ProblemAuth = "auth"
)

// IMAPConfigError is a failure that reconnecting does not mend: the
// configuration, or the server, has to change. The watcher keeps trying
// (with backoff) so that a fixed server is read again without a restart,
// and logs the cause at ERROR once.
type IMAPConfigError struct {
	Problem string // ProblemTLS or ProblemAuth
	Err     error
}

func (e *IMAPConfigError) Error() string {
	hint := "check the user and password in HERALD_IMAP_URL"
	if e.Problem == ProblemTLS {
		hint = "a private CA needs HERALD_TLS_CA_FILE; tls= in HERALD_IMAP_URL must match the port"
	}
	return e.Err.Error() + " (" + hint + ")"
}

func (e *IMAPConfigError) Unwrap() error { return e.Err }

// tlsProblem reports whether err is a failed certificate check, or a
// server that spoke no TLS where it should have.
func tlsProblem(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record)
}

// errIMAPTooLarge is returned when a message's literal is bigger than MaxSize
// although its RFC822.SIZE was not.
var errIMAPTooLarge = errors.New("message is larger than the size limit")

const (
	defaultIMAPInterval = 30 * time.Second
	defaultIMAPMaxSize  = 25 << 20
	defaultIMAPTimeout  = time.Minute
	imapMinBackoff      = time.Second
	imapMaxBackoff      = 5 * time.Minute
	imapIdleRestart     = 10 * time.Minute
	imapKeepAlive       = 30 * time.Second
)

// Watcher keeps a mailbox read and hands each new message to a Sink.
//
// It connects, logs in (LOGIN, or AUTHENTICATE PLAIN when LOGIN is
// disabled), selects the mailbox and processes everything above the sink's
// checkpoint. A changed UIDVALIDITY means everything is processed again from
// UID 1 (the sink's deduplication prevents duplicates). Then it idles when
// the server offers IDLE (restarting it every 10 minutes at most and waking
// on EXISTS) or polls every Interval. After any error it reconnects with
// exponential backoff and resumes from the checkpoint.
type Watcher struct {
	sink Sink
	o    WatcherOptions
	log  *slog.Logger
	wake chan struct{}

	runMu sync.Mutex // one Run or Poll at a time; guards conn and problem
	conn  *imapSession
	// problem is the configuration problem last logged ("" none), so that
	// each cause is logged once.
	problem string

	mu    sync.Mutex
	state MailboxState
}

// NewWatcher returns a Watcher that delivers the mailbox of o.Config to sink.
func NewWatcher(sink Sink, o WatcherOptions) *Watcher {
	if o.Interval <= 0 {
		o.Interval = defaultIMAPInterval
	}
	if o.MaxSize <= 0 {
		o.MaxSize = defaultIMAPMaxSize
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultIMAPTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = imapMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = imapMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.Config.Mailbox == "" {
		o.Config.Mailbox = "INBOX"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("imap_host", o.Config.Host, "mailbox", o.Config.Mailbox)
	return &Watcher{sink: sink, o: o, log: log, wake: make(chan struct{}, 1)}
}

// State returns a snapshot of the watcher's state.
func (w *Watcher) State() MailboxState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

func (w *Watcher) update(f func(*MailboxState)) {
	w.mu.Lock()
	f(&w.state)
	w.mu.Unlock()
}

// Run keeps the mailbox read until ctx ends, reconnecting after errors with
// exponential backoff. It returns nil when ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	defer w.disconnect()

	failures := 0
	for {
		progressed, err := w.serve(ctx)
		if ctx.Err() != nil {
			return nil
		}
		w.failed(err)
		if progressed {
			failures = 0
		}
		delay := imapBackoff(w.o.MinBackoff, w.o.MaxBackoff, failures)
		failures++
		if !errors.As(err, new(*IMAPConfigError)) {
			w.log.Warn("imap watcher failed; reconnecting", "err", err, "retry_in", delay.Round(time.Millisecond))
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// imapBackoff is min doubled n times, capped at max, with up to 25% jitter either
// way.
func imapBackoff(min, max time.Duration, n int) time.Duration {
	d := min
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	j := time.Duration(rand.Int64N(int64(d)/2+1)) - d/4
	return d + j
}

// serve runs passes and waits for new mail until an error; progressed tells
// whether at least one pass completed.
func (w *Watcher) serve(ctx context.Context) (progressed bool, err error) {
	for {
		if err := w.pass(ctx); err != nil {
			return progressed, err
		}
		progressed = true
		if err := w.wait(ctx); err != nil {
			return progressed, err
		}
	}
}

// Poll makes one pass: it connects if needed, processes the new mail and
// returns. The connection is kept for the next Poll unless an error occurred.
func (w *Watcher) Poll(ctx context.Context) error {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	if err := w.pass(ctx); err != nil {
		if ctx.Err() != nil {
			w.disconnect() // stopped, not failed
			return err
		}
		w.failed(err)
		return err
	}
	return nil
}

// Close closes the connection a Poll left open.
func (w *Watcher) Close() error {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	w.disconnect()
	return nil
}

// failed records err for the console. A configuration problem is logged
// at ERROR when its cause is new, at DEBUG when it is not.
func (w *Watcher) failed(err error) {
	w.disconnect()
	now := w.o.Now()
	w.update(func(s *MailboxState) {
		s.LastError = err.Error()
		s.LastErrorAt = now
	})
	var pe *IMAPConfigError
	if !errors.As(err, &pe) {
		return
	}
	if cause := err.Error(); cause != w.problem {
		w.problem = cause
		w.log.Error("the support mailbox cannot be read until the configuration or the server changes; retrying with backoff",
			"problem", pe.Problem, "err", err)
		return
	}
	w.log.Debug("imap configuration problem persists", "problem", pe.Problem)
}

func (w *Watcher) disconnect() {
	if w.conn == nil {
		return
	}
	if err := w.conn.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		w.log.Debug("imap close", "err", err)
	}
	w.conn = nil
	w.update(func(s *MailboxState) { s.Connected, s.Idle = false, false })
}

// pass connects when needed and processes everything above the checkpoint.
func (w *Watcher) pass(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.conn != nil {
		select {
		case <-w.conn.c.Closed():
			w.disconnect()
		default:
			if err := w.conn.do(ctx, "NOOP", func() error { return w.conn.c.Noop().Wait() }); err != nil {
				return err
			}
		}
	}
	if w.conn == nil {
		s, err := w.connect(ctx)
		if err != nil {
			return err
		}
		w.conn = s
		w.update(func(st *MailboxState) { st.Connected = true })
	}
	if err := w.process(ctx, w.conn); err != nil {
		return err
	}
	w.update(func(st *MailboxState) { st.LastError, st.LastErrorAt = "", time.Time{} })
	if w.problem != "" {
		w.log.Info("the support mailbox is read again: the configuration problem is resolved")
		w.problem = ""
	}
	return nil
}

// wait returns when new mail may have arrived: on EXISTS while idling, or
// after Interval.
func (w *Watcher) wait(ctx context.Context) error {
	s := w.conn
	if !s.canIdle {
		t := time.NewTimer(w.o.Interval)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case <-s.c.Closed():
			return errors.New("imap connection closed")
		}
	}
	var idle *imapclient.IdleCommand
	err := s.do(ctx, "IDLE", func() error {
		var err error
		idle, err = s.c.Idle()
		return err
	})
	if err != nil {
		return err
	}
	w.update(func(st *MailboxState) { st.Idle = true })
	defer w.update(func(st *MailboxState) { st.Idle = false })

	t := time.NewTimer(min(w.o.Interval, imapIdleRestart))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.c.Closed():
		return errors.New("imap connection closed while idling")
	case <-w.wake:
	case <-t.C:
	}
	return s.do(ctx, "end IDLE", func() error {
		if err := idle.Close(); err != nil {
			return err
		}
		return idle.Wait()
	})
}

// imapSession is one connection with the mailbox selected.
type imapSession struct {
	c           *imapclient.Client
	timeout     time.Duration
	uidValidity uint32
	canIdle     bool
	canMove     bool
	uidPlus     bool
}

// imapWatchdog closes the client when ctx ends or, while armed, when the timeout
// passes, so that a call blocked on a dead connection returns.
type imapWatchdog struct {
	t       *time.Timer
	d       time.Duration
	expired atomic.Bool
	stop    func() bool
}

func (s *imapSession) watch(ctx context.Context) *imapWatchdog {
	g := &imapWatchdog{d: s.timeout}
	// Closing the connection is what makes the waiting command return;
	// the close's own error says nothing more.
	g.t = time.AfterFunc(s.timeout, func() {
		g.expired.Store(true)
		_ = s.c.Close()
	})
	g.stop = context.AfterFunc(ctx, func() { _ = s.c.Close() })
	return g
}

func (g *imapWatchdog) pause()  { g.t.Stop() }
func (g *imapWatchdog) resume() { g.t.Reset(g.d) }
func (g *imapWatchdog) release() {
	g.t.Stop()
	g.stop()
}

// do runs f under a imapWatchdog and wraps its error with what.
func (s *imapSession) do(ctx context.Context, what string, f func() error) error {
	return s.doWatched(ctx, what, func(*imapWatchdog) error { return f() })
}

func (s *imapSession) doWatched(ctx context.Context, what string, f func(*imapWatchdog) error) error {
	g := s.watch(ctx)
	err := f(g)
	g.release()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("imap %s: %w", what, ctx.Err())
	}
	if g.expired.Load() {
		return fmt.Errorf("imap %s: no answer within %v; connection closed", what, g.d)
	}
	return fmt.Errorf("imap %s: %w", what, err)
}

// addr is the server's host:port, with the default port of the TLS mode.
func (w *Watcher) addr() string {
	port := w.o.Config.Port
	if port == 0 {
		port = 143
		if w.o.Config.TLS == "tls" {
			port = 993
		}
	}
	return net.JoinHostPort(w.o.Config.Host, strconv.Itoa(port))
}

func (w *Watcher) dial(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
	if w.o.Dial != nil {
		return w.o.Dial(ctx, opts)
	}
	cfg := w.o.Config
	addr := w.addr()
	switch cfg.TLS {
	case "tls":
		d := &tls.Dialer{NetDialer: opts.Dialer, Config: opts.TLSConfig}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return imapclient.New(conn, opts), nil
	case "starttls", "none", "":
		conn, err := opts.Dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		if cfg.TLS == "none" {
			return imapclient.New(conn, opts), nil
		}
		// The connection is abandoned in each case below: the error that
		// made us abandon it is the one to report, not the close's.
		stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
		c, err := imapclient.NewStartTLS(conn, opts)
		if !stop() {
			if c != nil {
				_ = c.Close()
			}
			return nil, ctx.Err()
		}
		if err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
		return c, nil
	default:
		return nil, fmt.Errorf("unknown TLS mode %q (want tls, starttls or none)", cfg.TLS)
	}
}

// connect dials, logs in, makes sure the Processed folder exists and selects
// the mailbox.
func (w *Watcher) connect(ctx context.Context) (*imapSession, error) {
	cfg := w.o.Config
	opts := &imapclient.Options{
		Dialer:    &net.Dialer{Timeout: w.o.Timeout, KeepAlive: imapKeepAlive},
		TLSConfig: w.tlsConfig(),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case w.wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	dctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	c, err := w.dial(dctx, opts)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		err = fmt.Errorf("imap connect to %s: %w", w.addr(), err)
		if tlsProblem(err) {
			return nil, &IMAPConfigError{Problem: ProblemTLS, Err: err}
		}
		return nil, err
	}
	s := &imapSession{c: c, timeout: w.o.Timeout}
	ok := false
	defer func() {
		if !ok {
			_ = c.Close() // abandoned after the error returned below
		}
	}()

	if err := s.do(ctx, "greeting", c.WaitGreeting); err != nil {
		return nil, err
	}
	var caps imap.CapSet
	if err := s.do(ctx, "CAPABILITY", func() error {
		caps = c.Caps()
		if caps == nil {
			return errors.New("no capabilities")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := w.login(ctx, s, caps); err != nil {
		return nil, err
	}
	// Capabilities often change after login; ask again.
	if err := s.do(ctx, "CAPABILITY", func() error {
		caps, err = c.Capability().Wait()
		return err
	}); err != nil {
		return nil, err
	}
	s.canIdle = caps.Has(imap.CapIdle) || caps.Has(imap.CapIMAP4rev2)
	s.canMove = caps.Has(imap.CapMove) || caps.Has(imap.CapIMAP4rev2)
	s.uidPlus = caps.Has(imap.CapUIDPlus) || caps.Has(imap.CapIMAP4rev2)

	if w.o.Processed != "" {
		if err := w.ensureFolder(ctx, s, w.o.Processed); err != nil {
			return nil, err
		}
	}
	var sel *imap.SelectData
	if err := s.do(ctx, "SELECT "+cfg.Mailbox, func() error {
		sel, err = c.Select(cfg.Mailbox, nil).Wait()
		return err
	}); err != nil {
		return nil, err
	}
	s.uidValidity = sel.UIDValidity
	w.log.Info("imap connected", "uidvalidity", sel.UIDValidity, "messages", sel.NumMessages, "idle", s.canIdle)
	ok = true
	return s, nil
}

func (w *Watcher) tlsConfig() *tls.Config {
	c := &tls.Config{}
	if w.o.TLSConfig != nil {
		c = w.o.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = w.o.Config.Host
	}
	return c
}

func (w *Watcher) login(ctx context.Context, s *imapSession, caps imap.CapSet) error {
	cfg := w.o.Config
	var err error
	if caps.Has(imap.CapLoginDisabled) {
		if !caps.Has(imap.Cap("AUTH=PLAIN")) {
			return &IMAPConfigError{Problem: ProblemAuth,
				Err: fmt.Errorf("imap login as %q: the server disables LOGIN and offers no AUTH=PLAIN (TLS off?)", cfg.Username)}
		}
		err = s.do(ctx, "AUTHENTICATE PLAIN", func() error {
			return s.c.Authenticate(sasl.NewPlainClient("", cfg.Username, cfg.Password))
		})
	} else {
		err = s.do(ctx, "LOGIN", func() error { return s.c.Login(cfg.Username, cfg.Password).Wait() })
	}
	if err == nil {
		return nil
	}
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
		return &IMAPConfigError{Problem: ProblemAuth, Err: fmt.Errorf("%w as %q: %w", ErrIMAPLogin, cfg.Username, err)}
	}
	return fmt.Errorf("imap login as %q: %w", cfg.Username, err)
}

// ensureFolder creates name unless LIST shows it.
func (w *Watcher) ensureFolder(ctx context.Context, s *imapSession, name string) error {
	var found bool
	if err := s.do(ctx, "LIST "+name, func() error {
		l, err := s.c.List("", name, nil).Collect()
		found = len(l) > 0
		return err
	}); err != nil {
		return err
	}
	if found {
		return nil
	}
	w.log.Info("imap creating folder for processed mail", "folder", name)
	return s.do(ctx, "CREATE "+name, func() error {
		err := s.c.Create(name, nil).Wait()
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
			return nil
		}
		return err
	})
}

// imapPending is a message found above the checkpoint.
type imapPending struct {
	uid   uint32
	size  int64
	flags []string
}

// process hands every message above the checkpoint to the sink, in UID
// order, stopping at the first error so that nothing is skipped.
func (w *Watcher) process(ctx context.Context, s *imapSession) error {
	mailbox := w.o.Config.Mailbox
	validity, last, ok, err := w.sink.Checkpoint(ctx, mailbox)
	if err != nil {
		return fmt.Errorf("read checkpoint of %s: %w", mailbox, err)
	}
	from := last + 1
	if !ok || validity != s.uidValidity {
		// A checkpoint with no UID done yet (the row a first state report
		// made) is a first read, not a change.
		if ok && last > 0 {
			w.log.Warn("imap UIDVALIDITY changed; reading the whole mailbox again", "old", validity, "new", s.uidValidity)
		}
		from = 1
	}
	if from == 0 { // last was the largest UID possible
		return nil
	}
	var list []imapPending
	err = s.do(ctx, "list new messages", func() error {
		var set imap.UIDSet
		set.AddRange(imap.UID(from), 0)
		cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, Flags: true})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			buf, err := m.Collect()
			if err != nil {
				_ = cmd.Close() // err says what went wrong
				return err
			}
			// from:* also matches the last message when it is below from.
			if uint32(buf.UID) < from {
				continue
			}
			list = append(list, imapPending{uid: uint32(buf.UID), size: buf.RFC822Size, flags: imapFlagStrings(buf.Flags)})
		}
		return cmd.Close()
	})
	if err != nil {
		return err
	}
	slices.SortFunc(list, func(a, b imapPending) int { return int(int64(a.uid) - int64(b.uid)) })
	for len(list) > 0 {
		batch := list[:min(len(list), imapBatch)]
		list = list[len(batch):]
		if err := w.handleBatch(ctx, s, batch); err != nil {
			return err
		}
	}
	return nil
}

// imapBatch is how many messages are delivered before they are flagged,
// moved and checkpointed together.
const imapBatch = 50

// handleBatch delivers messages in UID order and then flags (and moves)
// those delivered in one command and records the last one done. The first
// failure ends the batch: what was delivered before it is still finished,
// what comes after is left for the next pass.
func (w *Watcher) handleBatch(ctx context.Context, s *imapSession, batch []imapPending) error {
	var delivered []imapPending
	last := uint32(0)
	var failure error
	for _, p := range batch {
		if failure = ctx.Err(); failure != nil {
			break
		}
		ok, err := w.take(ctx, s, p)
		if err != nil {
			failure = err
			break
		}
		if ok {
			delivered = append(delivered, p)
		}
		last = p.uid
	}
	if last == 0 {
		return failure
	}
	// A stop right after Deliver leaves the messages unflagged: they come
	// again, and the sink knows them.
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(delivered) > 0 {
		var uids imap.UIDSet
		for _, p := range delivered {
			uids.AddNum(imap.UID(p.uid))
		}
		what := fmt.Sprintf("UIDs %d to %d", delivered[0].uid, delivered[len(delivered)-1].uid)
		if err := s.do(ctx, "flag "+what+" \\Seen", func() error {
			return s.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		}); err != nil {
			return err
		}
		if w.o.Processed != "" && w.o.Processed != w.o.Config.Mailbox {
			if err := w.move(ctx, s, uids, what); err != nil {
				return err
			}
		}
	}
	if err := w.sink.Done(ctx, w.o.Config.Mailbox, s.uidValidity, last, len(delivered)); err != nil {
		return fmt.Errorf("record UID %d of %s done: %w", last, w.o.Config.Mailbox, err)
	}
	now := w.o.Now()
	w.update(func(st *MailboxState) {
		st.LastSeenUID = last
		if len(delivered) > 0 {
			st.LastMessageAt = now
		}
		st.Processed += int64(len(delivered))
	})
	w.log.Debug("imap messages processed", "delivered", len(delivered), "last_uid", last)
	return failure
}

func imapFlagStrings(flags []imap.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return out
}

// take delivers one message to the sink. ok is false when the message
// vanished before it could be fetched (it is then skipped).
func (w *Watcher) take(ctx context.Context, s *imapSession, p imapPending) (ok bool, err error) {
	tooLarge := p.size > w.o.MaxSize
	delivered, err := w.deliver(ctx, s, p, tooLarge)
	if errors.Is(err, errIMAPTooLarge) && !tooLarge {
		w.log.Warn("imap message bigger than its RFC822.SIZE; fetching its header only", "uid", p.uid)
		delivered, err = w.deliver(ctx, s, p, true)
	}
	if err != nil {
		return false, err
	}
	if delivered {
		return true, nil
	}
	// Skip the message only when it is really gone: a server that
	// answered without its body would otherwise lose it.
	var found []imap.UID
	if err := s.do(ctx, fmt.Sprintf("search UID %d", p.uid), func() error {
		data, err := s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(imap.UID(p.uid))}}, nil).Wait()
		if err == nil {
			found = data.AllUIDs()
		}
		return err
	}); err != nil {
		return false, err
	}
	if len(found) > 0 {
		return false, fmt.Errorf("imap fetch UID %d: the server returned no body", p.uid)
	}
	w.log.Info("imap message vanished before it was fetched", "uid", p.uid)
	return false, nil
}

// move moves the messages uids (named what in errors) to Processed, with
// COPY, STORE \Deleted and EXPUNGE when the server has no MOVE; they are
// deleted only after the copy succeeded.
func (w *Watcher) move(ctx context.Context, s *imapSession, uids imap.UIDSet, what string) error {
	dest := w.o.Processed
	if s.canMove {
		return s.do(ctx, fmt.Sprintf("move %s to %s", what, dest), func() error {
			_, err := s.c.Move(uids, dest).Wait()
			return err
		})
	}
	if err := s.do(ctx, fmt.Sprintf("copy %s to %s", what, dest), func() error {
		_, err := s.c.Copy(uids, dest).Wait()
		return err
	}); err != nil {
		return err
	}
	if err := s.do(ctx, fmt.Sprintf("flag %s \\Deleted", what), func() error {
		return s.c.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	}); err != nil {
		return err
	}
	return s.do(ctx, "expunge "+what, func() error {
		if s.uidPlus {
			return s.c.UIDExpunge(uids).Close()
		}
		// Without UIDPLUS this also expunges other messages flagged
		// \Deleted in the mailbox.
		return s.c.Expunge().Close()
	})
}

// deliver streams the message (or its header) to the sink. delivered is false
// when the server returned no such message.
func (w *Watcher) deliver(ctx context.Context, s *imapSession, p imapPending, headerOnly bool) (delivered bool, err error) {
	section := &imap.FetchItemBodySection{Peek: true}
	if headerOnly {
		section.Specifier = imap.PartSpecifierHeader
	}
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}
	var deliverErr error
	tooBig := false
	err = s.doWatched(ctx, fmt.Sprintf("fetch UID %d", p.uid), func(g *imapWatchdog) error {
		cmd := s.c.Fetch(imap.UIDSetNum(imap.UID(p.uid)), opts)
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			for item := msg.Next(); item != nil; item = msg.Next() {
				body, ok := item.(imapclient.FetchItemDataBodySection)
				if !ok || delivered || deliverErr != nil || tooBig {
					continue
				}
				var r io.Reader = strings.NewReader("")
				if body.Literal != nil {
					if !headerOnly && body.Literal.Size() > w.o.MaxSize {
						tooBig = true
						continue
					}
					r = body.Literal
				}
				f := &Fetched{
					Mailbox:     w.o.Config.Mailbox,
					UIDValidity: s.uidValidity,
					UID:         p.uid,
					Size:        p.size,
					Raw:         &imapCapReader{r: r, n: w.o.MaxSize},
					TooLarge:    headerOnly,
					Flags:       p.flags,
				}
				// The sink's time is its own: reading the literal has the
				// client's own deadline, and ctx still closes the client.
				g.pause()
				deliverErr = w.sink.Deliver(ctx, f)
				g.resume()
				delivered = deliverErr == nil
			}
		}
		return cmd.Close()
	})
	switch {
	case deliverErr != nil:
		return false, fmt.Errorf("deliver UID %d of %s: %w", p.uid, w.o.Config.Mailbox, deliverErr)
	case tooBig:
		return false, errIMAPTooLarge
	case err != nil:
		// Delivered or not, the message is not done: it comes again.
		return false, err
	}
	return delivered, nil
}

// imapCapReader reads at most n bytes and fails past them.
type imapCapReader struct {
	r io.Reader
	n int64
}

func (c *imapCapReader) Read(b []byte) (int, error) {
	if c.n <= 0 {
		var one [1]byte
		k, err := c.r.Read(one[:])
		if k > 0 {
			return 0, errIMAPTooLarge
		}
		return 0, err
	}
	if int64(len(b)) > c.n {
		b = b[:c.n]
	}
	k, err := c.r.Read(b)
	c.n -= int64(k)
	return k, err
}
