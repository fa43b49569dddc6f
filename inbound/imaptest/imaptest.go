// Package imaptest runs an in-process IMAP server for tests: go-imap's
// imapserver with the in-memory backend on 127.0.0.1, one user and an INBOX.
package imaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Default credentials of the test user.
const (
	DefaultUsername = "support@example.test"
	DefaultPassword = "secret"
)

type config struct {
	username, password string
	caps               imap.CapSet
	zeroValidity       bool
	tls                bool
	cert               *tls.Certificate // nil: self-signed
}

// WithCertificate is WithTLS with cert, e.g. one a test's private CA
// signed; CertPool is then nil (trust the CA).
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) { c.tls, c.cert = true, &cert }
}

// WithTLS offers STARTTLS on Addr and implicit TLS on TLSAddr, with a
// self-signed certificate for 127.0.0.1 that CertPool trusts. LOGIN is then
// refused before TLS.
func WithTLS() Option {
	return func(c *config) { c.tls = true }
}

// Option changes how Start sets the server up.
type Option func(*config)

// WithUser sets the test user's name and password.
func WithUser(name, password string) Option {
	return func(c *config) { c.username, c.password = name, password }
}

// WithoutMove makes the server offer no MOVE (nor UIDPLUS), so that clients
// fall back to COPY, STORE \Deleted and EXPUNGE.
func WithoutMove() Option {
	return func(c *config) {
		delete(c.caps, imap.CapMove)
		delete(c.caps, imap.CapUIDPlus)
	}
}

// WithUIDValidityZero makes SELECT report UIDVALIDITY 0, as some servers do.
func WithUIDValidityZero() Option {
	return func(c *config) { c.zeroValidity = true }
}

// session wraps the in-memory backend's session. Its IDLE polls the mailbox
// every few milliseconds: imapserver's own acknowledges IDLE before it starts
// listening, so a message appended in between would go unannounced.
type session struct {
	imapserver.SessionIMAP4rev2
	zeroValidity bool
}

func (s session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	data, err := s.SessionIMAP4rev2.Select(name, options)
	if data != nil && s.zeroValidity {
		data.UIDValidity = 0
	}
	return data, err
}

func (s session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}

// Server is a running test server.
type Server struct {
	Username, Password string

	srv  *imapserver.Server
	ln   net.Listener
	user *imapmemserver.User

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted atomic.Int64

	tlsLn net.Listener
	pool  *x509.CertPool
	tls   bool
}

// TLSAddr is the host:port of the implicit-TLS listener (WithTLS only).
func (s *Server) TLSAddr() string {
	if s.tlsLn == nil {
		return ""
	}
	return s.tlsLn.Addr().String()
}

// CertPool trusts the server's certificate (WithTLS only).
func (s *Server) CertPool() *x509.CertPool { return s.pool }

func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "imaptest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := &config{
		username: DefaultUsername,
		password: DefaultPassword,
		caps: imap.CapSet{
			imap.CapIMAP4rev1: {},
			imap.CapMove:      {},
			imap.CapUIDPlus:   {},
			imap.CapNamespace: {},
		},
	}
	for _, o := range opts {
		o(cfg)
	}
	var tlsConfig *tls.Config
	var pool *x509.CertPool
	switch {
	case cfg.cert != nil:
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{*cfg.cert}}
	case cfg.tls:
		cert, p, err := selfSigned()
		if err != nil {
			t.Fatalf("imaptest: certificate: %v", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		pool = p
	}
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(cfg.username, cfg.password)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatalf("imaptest: create INBOX: %v", err)
	}
	mem.AddUser(user)

	var ended atomic.Bool
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return session{mem.NewSession().(imapserver.SessionIMAP4rev2), cfg.zeroValidity}, nil, nil
		},
		Caps:         cfg.caps,
		InsecureAuth: !cfg.tls,
		TLSConfig:    tlsConfig,
		Logger:       logger{t: t, ended: &ended},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("imaptest: listen: %v", err)
	}
	s := &Server{
		Username: cfg.username,
		Password: cfg.password,
		srv:      srv,
		ln:       ln,
		user:     user,
		conns:    map[net.Conn]struct{}{},
		pool:     pool,
		tls:      cfg.tls,
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(&listener{Listener: ln, s: s}); err != nil && !ended.Load() {
			t.Errorf("imaptest: serve: %v", err)
		}
	}()
	if cfg.tls {
		tln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("imaptest: listen: %v", err)
		}
		s.tlsLn = tln
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(tls.NewListener(&listener{Listener: tln, s: s}, tlsConfig)); err != nil && !ended.Load() {
				t.Errorf("imaptest: serve TLS: %v", err)
			}
		}()
	}
	t.Cleanup(func() {
		ended.Store(true)
		if err := srv.Close(); err != nil {
			t.Errorf("imaptest: close: %v", err)
		}
		wg.Wait()
	})
	return s
}

type logger struct {
	t     testing.TB
	ended *atomic.Bool
}

func (l logger) Printf(format string, args ...any) {
	if !l.ended.Load() {
		l.t.Logf("imaptest server: "+format, args...)
	}
}

// listener records the connections so DropConnections can close them.
type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.s.accepted.Add(1)
	tc := &trackedConn{Conn: c, s: l.s}
	l.s.mu.Lock()
	l.s.conns[tc] = struct{}{}
	l.s.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	s *Server
}

func (c *trackedConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is the server's IP address.
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.Addr())
	return h
}

// Port is the server's TCP port.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int64 { return s.accepted.Load() }

// DropConnections closes every open connection from the server side and
// returns how many there were.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close() // dropping is the point: one that closed already is dropped too
	}
	return len(conns)
}

// Append adds a message to mailbox and returns its UID.
func (s *Server) Append(t testing.TB, mailbox string, raw []byte, flags ...string) uint32 {
	t.Helper()
	opts := &imap.AppendOptions{}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	data, err := s.user.Append(mailbox, bytes.NewReader(raw), opts)
	if err != nil {
		t.Fatalf("imaptest: append to %s: %v", mailbox, err)
	}
	return uint32(data.UID)
}

// CreateMailbox creates a mailbox.
func (s *Server) CreateMailbox(t testing.TB, name string) {
	t.Helper()
	if err := s.user.Create(name, nil); err != nil {
		t.Fatalf("imaptest: create %s: %v", name, err)
	}
}

// RecreateMailbox deletes mailbox and creates it again, empty and with a new
// UIDVALIDITY, then drops every connection (a session that had it selected
// would otherwise keep the old one).
func (s *Server) RecreateMailbox(t testing.TB, name string) {
	t.Helper()
	if err := s.user.Delete(name); err != nil {
		t.Fatalf("imaptest: delete %s: %v", name, err)
	}
	s.CreateMailbox(t, name)
	s.DropConnections()
}

// UIDValidity returns the mailbox's UIDVALIDITY.
func (s *Server) UIDValidity(t testing.TB, mailbox string) uint32 {
	t.Helper()
	st, err := s.user.Status(mailbox, &imap.StatusOptions{UIDValidity: true})
	if err != nil {
		t.Fatalf("imaptest: status of %s: %v", mailbox, err)
	}
	return st.UIDValidity
}

// Message is a message's UID and flags.
type Message struct {
	UID   uint32
	Flags []string
}

// Messages lists the messages of mailbox in UID order.
func (s *Server) Messages(t testing.TB, mailbox string) []Message {
	t.Helper()
	var c *imapclient.Client
	var err error
	if s.tls {
		// The helper looks at its own server: with WithCertificate it
		// does not know the CA, and need not.
		c, err = imapclient.DialStartTLS(s.Addr(), &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.pool, InsecureSkipVerify: s.pool == nil}})
	} else {
		c, err = imapclient.DialInsecure(s.Addr(), nil)
	}
	if err != nil {
		t.Fatalf("imaptest: dial: %v", err)
	}
	defer func() { _ = c.Close() }() // a look only: nothing to lose
	msgs, err := s.messages(c, mailbox)
	if err != nil {
		t.Fatalf("imaptest: %v", err)
	}
	return msgs
}

func (s *Server) messages(c *imapclient.Client, mailbox string) ([]Message, error) {
	if err := c.Login(s.Username, s.Password).Wait(); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("examine %s: %w", mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", mailbox, err)
	}
	out := make([]Message, 0, len(bufs))
	for _, b := range bufs {
		m := Message{UID: uint32(b.UID)}
		for _, f := range b.Flags {
			m.Flags = append(m.Flags, string(f))
		}
		out = append(out, m)
	}
	return out, nil
}

// UIDs lists the UIDs in mailbox.
func (s *Server) UIDs(t testing.TB, mailbox string) []uint32 {
	t.Helper()
	var out []uint32
	for _, m := range s.Messages(t, mailbox) {
		out = append(out, m.UID)
	}
	return out
}

// Flags returns the flags of the message uid in mailbox; the test fails when
// there is no such message.
func (s *Server) Flags(t testing.TB, mailbox string, uid uint32) []string {
	t.Helper()
	for _, m := range s.Messages(t, mailbox) {
		if m.UID == uid {
			return m.Flags
		}
	}
	t.Fatalf("imaptest: no UID %d in %s", uid, mailbox)
	return nil
}
