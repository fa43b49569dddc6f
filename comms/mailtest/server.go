// Package mailtest runs an in-process SMTP server (go-smtp, the real
// protocol) for tests: it keeps what it receives and can be told to refuse.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one accepted message.
type Received struct {
	From string
	To   []string
	Data []byte
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	Addr string // host:port
	Host string
	Port int
	// TLSAddr and TLSPort are the implicit-TLS listener's (WithTLS only).
	TLSAddr string
	TLSPort int

	srv      *smtp.Server
	username string // "": no login needed
	password string

	mu        sync.Mutex // protects the fields below
	msgs      []Received
	refuse    func(rcpt string) error // nil: accept everything
	refused   int
	conns     []*smtp.Conn
	count     int  // messages accepted
	accepted  int  // connections ever accepted
	countOnly bool // keep no messages, only count them
}

// Option changes how Start sets the server up.
type Option func(*options)

type options struct {
	cert               *tls.Certificate
	username, password string
}

// WithTLS offers STARTTLS on Addr and implicit TLS on TLSAddr with cert
// (made by a test CA: CA.Issue).
func WithTLS(cert tls.Certificate) Option {
	return func(o *options) { o.cert = &cert }
}

// WithUser makes the server offer AUTH PLAIN and refuse mail until a
// client logs in as name with password; a wrong login is answered 535.
func WithUser(name, password string) Option {
	return func(o *options) { o.username, o.password = name, password }
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o options
	for _, f := range opts {
		f(&o)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), username: o.username, password: o.password}
	tcp := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = tcp.IP.String(), tcp.Port
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "mailtest.localhost"
	s.srv.AllowInsecureAuth = o.cert == nil
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.MaxMessageBytes = 10 << 20
	go func() { _ = s.srv.Serve(countingListener{ln, s}) }()
	if o.cert != nil {
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*o.cert}}
		tln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("mailtest: listen: %v", err)
		}
		s.TLSAddr, s.TLSPort = tln.Addr().String(), tln.Addr().(*net.TCPAddr).Port
		go func() { _ = s.srv.Serve(tls.NewListener(countingListener{tln, s}, s.srv.TLSConfig)) }()
	}
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Refuse makes the server answer each recipient with fn's error (an
// *smtp.SMTPError such as Temporary(451) or Permanent(550)); nil accepts.
func (s *Server) Refuse(fn func(rcpt string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = fn
}

// Temporary is a 451 reply.
func Temporary() error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
}

// Permanent is a 550 reply.
func Permanent() error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
}

// Messages returns what was accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Count says how many messages were accepted so far.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// CountOnly makes the server keep no messages from now on, only count
// them: for benchmarks, whose memory figures should be the sender's.
func (s *Server) CountOnly() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countOnly = true
}

// Reset forgets the messages accepted so far.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.count = nil, 0
}

// Connections counts the connections accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	s *Server
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.accepted++
		l.s.mu.Unlock()
	}
	return c, err
}

// SetPassword changes the password WithUser set, as an administrator
// does.
func (s *Server) SetPassword(password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.password = password
}

// Refused counts refused recipients.
func (s *Server) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.conns = append(b.s.conns, c)
	return &session{s: b.s}, nil
}

// DropConnections closes every client connection, as a server does with
// idle ones.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

type session struct {
	s        *Server
	from     string
	to       []string
	loggedIn bool
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

func (se *session) AuthMechanisms() []string {
	if se.s.username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	if se.s.username == "" || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		se.s.mu.Lock()
		want := se.s.password
		se.s.mu.Unlock()
		if username != se.s.username || password != want {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		se.loggedIn = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.username != "" && !se.loggedIn {
		// As Postfix answers (go-smtp's own ErrAuthRequired is a 502).
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.s.mu.Lock()
	refuse := se.s.refuse
	se.s.mu.Unlock()
	if refuse != nil {
		if err := refuse(to); err != nil {
			se.s.mu.Lock()
			se.s.refused++
			se.s.mu.Unlock()
			return err
		}
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	if len(se.to) == 0 {
		return errors.New("no recipients")
	}
	se.s.mu.Lock()
	defer se.s.mu.Unlock()
	se.s.count++
	if !se.s.countOnly {
		se.s.msgs = append(se.s.msgs, Received{From: se.from, To: se.to, Data: buf.Bytes()})
	}
	return nil
}
