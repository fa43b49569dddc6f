package comms

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	Reply     string
	Err       error
}

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

// classify sorts a go-mail error into temporary and permanent. go-mail
// calls only replies starting with "4" temporary; network errors, EOF,
// timeouts and TLS trouble are temporary for Herald too, and only a 5xx
// reply is permanent.
func classify(err error) *SendFailure {
	code := replyCode(err)
	reply := strings.TrimSpace(err.Error())
	if len(reply) > 1000 {
		reply = reply[:1000]
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

// SMTPMailer sends through one SMTP server over a few reused connections,
// dialling a connection again after any error, at most PerSecond emails a
// second when set.
type SMTPMailer struct {
	cfg     SMTPConfig
	timeout time.Duration
	slots   chan *smtpConn
	every   time.Duration // minimum gap between sends; 0: no limit

	mu   sync.Mutex // protects next
	next time.Time  // earliest time of the next send
}

// smtpConn is one connection slot; client is nil until dialled.
type smtpConn struct{ client *mail.Client }

// MailerOptions tune an SMTPMailer.
type MailerOptions struct {
	Timeout     time.Duration // each dial and command; default 15 s (keep below the job timeout)
	Connections int           // connections kept open; default 1
	PerSecond   float64       // emails a second at most; 0: no limit
}

// NewSMTPMailer returns a mailer for cfg.
func NewSMTPMailer(cfg SMTPConfig, o MailerOptions) *SMTPMailer {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Connections <= 0 {
		o.Connections = 1
	}
	m := &SMTPMailer{cfg: cfg, timeout: o.Timeout, slots: make(chan *smtpConn, o.Connections)}
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
	opts := []mail.Option{mail.WithPort(m.cfg.Port), mail.WithTimeout(m.timeout), mail.WithHELO("localhost"), mail.WithoutNoop()}
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
		c, err := m.dial(ctx)
		if err != nil {
			return classify(err)
		}
		sc.client = c
	}
	err := sc.client.Send(msg)
	if err != nil && reused && !msg.IsDelivered() && replyCode(err) == 0 {
		// The server may have closed the idle connection: dial once more.
		sc.drop()
		c, derr := m.dial(ctx)
		if derr != nil {
			return classify(derr)
		}
		sc.client = c
		err = sc.client.Send(msg)
	}
	if err != nil && msg.IsDelivered() {
		// The server accepted the message and a later step (RSET) failed:
		// it is sent; only the connection is suspect.
		sc.drop()
		return nil
	}
	if err != nil {
		sc.drop()
		return classify(err)
	}
	return nil
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
