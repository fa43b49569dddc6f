package comms_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"

	"github.com/herald-status/herald/comms"
)

// idleServer is an SMTP server that ends idle connections quickly, as
// real ones do (Postfix after 300 s): it answers "421 4.4.2 Idle
// timeout" and closes.
type idleServer struct{ accepted atomic.Int64 }

func (b *idleServer) NewSession(*smtp.Conn) (smtp.Session, error) { return idleSession{b}, nil }

type idleSession struct{ s *idleServer }

func (idleSession) Mail(string, *smtp.MailOptions) error { return nil }
func (idleSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (idleSession) Reset()                               {}
func (idleSession) Logout() error                        { return nil }
func (s idleSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.s.accepted.Add(1)
	return err
}

// An email sent on a connection the server has meanwhile closed for
// idleness, with a 421 reply, goes out on a new connection: the 421 is
// the connection's end, not the email's failure. (Found by the kill test:
// rescued emails, waiting out their claims while the connections idled,
// met the 421 and were retried with River's backoff, past the recovery
// bound.)
func TestSendAfterTheServerClosedAnIdleConnection(t *testing.T) {
	t.Parallel()
	b := &idleServer{}
	srv := smtp.NewServer(b)
	srv.Domain = "idle.localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { require.NoError(t, srv.Close()) })

	tcp := ln.Addr().(*net.TCPAddr)
	m := comms.NewSMTPMailer(comms.SMTPConfig{Host: tcp.IP.String(), Port: tcp.Port, TLS: comms.TLSNone},
		comms.MailerOptions{Timeout: 5 * time.Second})
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	msg := func() *mail.Msg {
		msg := mail.NewMsg()
		require.NoError(t, msg.From("status@status.example"))
		require.NoError(t, msg.To("ann@example.net"))
		msg.Subject("Idle")
		msg.SetBodyString(mail.TypeTextPlain, "Hello.")
		return msg
	}
	require.NoError(t, m.Send(t.Context(), msg()))
	time.Sleep(600 * time.Millisecond) // the server ends the idle connection with 421
	require.NoError(t, m.Send(t.Context(), msg()), "sent on a new connection")
	require.EqualValues(t, 2, b.accepted.Load())
}
