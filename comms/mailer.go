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

// SMTPMailer sends through one SMTP server, reusing its connection between
// emails and dialling again after any error.
type SMTPMailer struct {
	cfg     SMTPConfig
	timeout time.Duration

	mu     sync.Mutex // serialises use of client
	client *mail.Client
}

// NewSMTPMailer returns a mailer for cfg. timeout bounds each dial and
// command (keep it below the job timeout).
func NewSMTPMailer(cfg SMTPConfig, timeout time.Duration) *SMTPMailer {
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	return &SMTPMailer{cfg: cfg, timeout: timeout}
}

func (m *SMTPMailer) dial(ctx context.Context) (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(m.cfg.Port), mail.WithTimeout(m.timeout), mail.WithHELO("localhost")}
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

// Send delivers msg, on the open connection when there is one.
func (m *SMTPMailer) Send(ctx context.Context, msg *mail.Msg) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	reused := m.client != nil
	if !reused {
		c, err := m.dial(ctx)
		if err != nil {
			return classify(err)
		}
		m.client = c
	}
	err := m.client.Send(msg)
	if err != nil && reused && !msg.IsDelivered() && replyCode(err) == 0 {
		// The server may have closed the idle connection: dial once more.
		m.drop()
		c, derr := m.dial(ctx)
		if derr != nil {
			return classify(derr)
		}
		m.client = c
		err = m.client.Send(msg)
	}
	if err != nil && msg.IsDelivered() {
		// The server accepted the message and a later step (RSET) failed:
		// it is sent; only the connection is suspect.
		m.drop()
		return nil
	}
	if err != nil {
		m.drop()
		return classify(err)
	}
	return nil
}

// drop closes the connection after an error, so the next email starts on
// a clean one.
func (m *SMTPMailer) drop() {
	if m.client != nil {
		_ = m.client.Close()
		m.client = nil
	}
}

// Close ends the open connection, if any.
func (m *SMTPMailer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.drop()
	return nil
}
