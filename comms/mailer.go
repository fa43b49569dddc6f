package comms

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
)

// Mailer hands one email to a mail server.
type Mailer interface {
	// Send delivers msg. A returned *SendFailure says whether trying again
	// may help; any other error is temporary.
	Send(ctx context.Context, msg *mail.Msg) error
}

// SendFailure is a failed delivery with the server's reply.
type SendFailure struct {
	Temporary bool
	// Problem names a configuration problem (ProblemTLS, ProblemAuth):
	// neither the email's fault nor passing, it stops every email until
	// the configuration or the server changes. "" for anything else.
	Problem string
	Reply   string
	Err     error
}

// Configuration problems a SendFailure names.
const (
	// ProblemTLS: the server's certificate is not trusted (unknown CA,
	// another name, expired) or it does not speak TLS where it should.
	ProblemTLS = "tls"
	// ProblemAuth: the server refused Herald's login, or wants one.
	ProblemAuth = "auth"
)

func (f *SendFailure) Error() string { return f.Reply }
func (f *SendFailure) Unwrap() error { return f.Err }

// replyCode is the SMTP reply code in err, or 0 when the server did not
// answer (network trouble).
func replyCode(err error) int {
	var se *mail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

// classify sorts a go-mail error into configuration problems, temporary
// and permanent failures. go-mail calls only replies starting with "4"
// temporary; network errors, EOF and timeouts are temporary for Herald
// too, and only a 5xx reply is permanent. An untrusted certificate or a
// refused login is neither: see configProblemOf.
func classify(err error) *SendFailure {
	code := replyCode(err)
	reply := strings.TrimSpace(err.Error())
	if len(reply) > 1000 {
		reply = reply[:1000]
	}
	if p := configProblemOf(err); p != "" {
		return &SendFailure{Problem: p, Reply: reply, Err: err}
	}
	var ne net.Error
	switch {
	case code >= 500 && code < 600:
		return &SendFailure{Temporary: false, Reply: reply, Err: err}
	case code >= 400 && code < 500, errors.As(err, &ne), errors.Is(err, context.DeadlineExceeded):
		return &SendFailure{Temporary: true, Reply: reply, Err: err}
	}
	return &SendFailure{Temporary: true, Reply: reply, Err: err}
}

// configProblemOf names the configuration problem err shows, or "": the
// certificate check failed (or the server spoke no TLS: a wrong port or
// mode), or the server refused the login (RFC 4954 §6: 535 credentials
// invalid, 534 mechanism too weak, 538 encryption required; 530
// authentication required, answered to MAIL when Herald has no login), or
// it offers no mechanism Herald can log in with.
func configProblemOf(err error) string {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
	)
	if errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &record) {
		return ProblemTLS
	}
	code := replyCode(err)
	var te *textproto.Error
	if code == 0 && errors.As(err, &te) {
		code = te.Code // go-mail returns the AUTH reply unwrapped
	}
	switch {
	case code == 530, code == 534, code == 535, code == 538, errors.Is(err, mail.ErrNoSupportedAuthDiscovered):
		return ProblemAuth
	}
	return ""
}

// SMTPMailer sends through one SMTP server over a few reused connections,
// dialling a connection again after any error, at most PerSecond emails a
// second when set.
//
// A configuration problem (ProblemTLS, ProblemAuth) is logged at ERROR once
// per cause, not once per email, and its end once at INFO. For Recheck
// after the server last showed it, emails fail at once with it instead of
// each dialling the server again: a fan-out to thousands then costs the
// server a connection per connection slot every Recheck.
type SMTPMailer struct {
	cfg     SMTPConfig
	tls     *tls.Config
	timeout time.Duration
	slots   chan *smtpConn
	every   time.Duration // minimum gap between sends; 0: no limit
	log     *slog.Logger
	recheck time.Duration

	mu   sync.Mutex // protects next
	next time.Time  // earliest time of the next send

	pmu       sync.Mutex   // protects the fields below
	problem   *SendFailure // the configuration problem last met; nil: none
	problemAt time.Time    // when the server last showed it
}

// smtpConn is one connection slot; client is nil until dialled.
type smtpConn struct{ client *mail.Client }

// MailerOptions tune an SMTPMailer.
type MailerOptions struct {
	Timeout     time.Duration // each dial and command; default 15 s (keep below the job timeout)
	Connections int           // connections kept open; default 1
	PerSecond   float64       // emails a second at most; 0: no limit
	// TLSConfig is used for tls and starttls, e.g. with RootCAs holding
	// the system's roots and a private CA (HERALD_TLS_CA_FILE); default:
	// the system's roots. It is cloned; its ServerName defaults to the
	// server's host.
	TLSConfig *tls.Config
	// Log hears of configuration problems (default: discarded).
	Log *slog.Logger
	// Recheck is how long a configuration problem is taken as still there
	// without dialling again (default 30 s).
	Recheck time.Duration
}

// NewSMTPMailer returns a mailer for cfg.
func NewSMTPMailer(cfg SMTPConfig, o MailerOptions) *SMTPMailer {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Connections <= 0 {
		o.Connections = 1
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Recheck <= 0 {
		o.Recheck = 30 * time.Second
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.TLSConfig != nil {
		tc = o.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	m := &SMTPMailer{cfg: cfg, tls: tc, timeout: o.Timeout, slots: make(chan *smtpConn, o.Connections),
		log: o.Log.With("smtp_server", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))), recheck: o.Recheck}
	for range o.Connections {
		m.slots <- &smtpConn{}
	}
	if o.PerSecond > 0 {
		m.every = time.Duration(float64(time.Second) / o.PerSecond)
	}
	return m
}

func (m *SMTPMailer) dial(ctx context.Context) (*mail.Client, error) {
	// No NOOP before each email (go-mail's default): Send dials again
	// when a reused connection turns out closed.
	opts := []mail.Option{mail.WithPort(m.cfg.Port), mail.WithTimeout(m.timeout), mail.WithHELO("localhost"), mail.WithoutNoop(),
		mail.WithTLSConfig(m.tls)}
	switch m.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if m.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	c, err := mail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialWithContext(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// wait holds the caller until the rate limit lets the next email go.
func (m *SMTPMailer) wait(ctx context.Context) error {
	if m.every == 0 {
		return nil
	}
	m.mu.Lock()
	now := time.Now()
	at := m.next
	if at.Before(now) {
		at = now
	}
	m.next = at.Add(m.every)
	m.mu.Unlock()
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send delivers msg on a free connection.
func (m *SMTPMailer) Send(ctx context.Context, msg *mail.Msg) error {
	var sc *smtpConn
	select {
	case sc = <-m.slots:
	case <-ctx.Done():
		return classify(ctx.Err())
	}
	defer func() { m.slots <- sc }()
	if err := m.wait(ctx); err != nil {
		return classify(err)
	}
	reused := sc.client != nil
	if !reused {
		if f := m.knownProblem(); f != nil {
			return f
		}
		c, err := m.dial(ctx)
		if err != nil {
			return m.failed(err)
		}
		sc.client = c
	}
	err := sc.client.Send(msg)
	if code := replyCode(err); err != nil && reused && !msg.IsDelivered() && (code == 0 || code == 421) {
		// The server closed the idle connection, silently or saying so
		// ("421 4.4.2 Idle timeout", as Postfix does after 300 s): dial
		// once more.
		sc.drop()
		c, derr := m.dial(ctx)
		if derr != nil {
			return m.failed(derr)
		}
		sc.client = c
		err = sc.client.Send(msg)
	}
	if err != nil && msg.IsDelivered() {
		// The server accepted the message and a later step (RSET) failed:
		// it is sent; only the connection is suspect.
		sc.drop()
		m.resolved()
		return nil
	}
	if err != nil {
		sc.drop()
		return m.failed(err)
	}
	m.resolved()
	return nil
}

// knownProblem returns the configuration problem the server showed less
// than Recheck ago, or nil.
func (m *SMTPMailer) knownProblem() *SendFailure {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if m.problem != nil && time.Since(m.problemAt) < m.recheck {
		return m.problem
	}
	return nil
}

// failed classifies err; a configuration problem is remembered and, when
// its cause is new, logged at ERROR.
func (m *SMTPMailer) failed(err error) *SendFailure {
	f := classify(err)
	if f.Problem == "" {
		return f
	}
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if m.problem == nil || m.problem.Problem != f.Problem || m.problem.Reply != f.Reply {
		m.log.Error("email delivery stopped: "+problemText(f.Problem)+"; emails are kept and tried again every few minutes",
			"problem", f.Problem, "reply", f.Reply)
	}
	m.problem, m.problemAt = f, time.Now()
	return f
}

// resolved forgets the configuration problem after an email went out.
func (m *SMTPMailer) resolved() {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if m.problem != nil {
		m.log.Info("email delivery resolved: the SMTP server accepts Herald's email again", "problem", m.problem.Problem)
		m.problem = nil
	}
}

// problemText says what a configuration problem means, for logs and the
// console.
func problemText(problem string) string {
	switch problem {
	case ProblemTLS:
		return "the SMTP server's TLS certificate is not trusted (a private CA needs HERALD_TLS_CA_FILE) or TLS does not match its port (HERALD_SMTP_URL tls=)"
	case ProblemAuth:
		return "the SMTP server refused Herald's login (user and password in HERALD_SMTP_URL)"
	}
	return "the SMTP server cannot be used"
}

// drop closes the connection after an error, so the next email starts on
// a clean one.
func (sc *smtpConn) drop() {
	if sc.client != nil {
		_ = sc.client.Close()
		sc.client = nil
	}
}

// Close ends the open connections.
func (m *SMTPMailer) Close() error {
	for range cap(m.slots) {
		sc := <-m.slots
		sc.drop()
		defer func() { m.slots <- sc }()
	}
	return nil
}
