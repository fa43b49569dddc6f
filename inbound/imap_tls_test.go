package inbound_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
)

// testCA is a private certificate authority, as a company runs for its
// internal mail servers: no system trusts it.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Herald test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issue makes a server certificate for 127.0.0.1 and localhost that the CA
// signed, also PEM-encoded (certificate, then key) for Dovecot.
func (ca *testCA) issue(t testing.TB) (cert tls.Certificate, certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// recordLog is a logger whose records a test can count by level.
type recordLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *recordLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *recordLog) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *recordLog) lines(level string) []string {
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

// implicitPort is the port of srv's implicit-TLS listener.
func implicitPort(t testing.TB, srv *imaptest.Server) int {
	_, p, err := net.SplitHostPort(srv.TLSAddr())
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A mailbox server whose certificate a private CA signed is read over
// STARTTLS and implicit TLS once the CA is trusted (HERALD_TLS_CA_FILE
// adds it to the system's roots); with the system's roots alone the
// connection is refused with a certificate error, a configuration problem.
func TestWatcherTrustsAPrivateCA(t *testing.T) {
	ca := newTestCA(t)
	cert, _, _ := ca.issue(t)
	srv := imaptest.Start(t, imaptest.WithCertificate(cert))
	withCA, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	withCA.AddCert(ca.cert)
	for _, tc := range []struct {
		name  string
		mode  string
		port  int
		roots *x509.CertPool
		ok    bool
	}{
		{"starttls with the CA", "starttls", srv.Port(), withCA, true},
		{"implicit tls with the CA", "tls", implicitPort(t, srv), withCA, true},
		{"starttls with the system roots only", "starttls", srv.Port(), nil, false},
		{"implicit tls with the system roots only", "tls", implicitPort(t, srv), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newIMAPSink()
			o := imapOptions(t, srv)
			o.Config.TLS, o.Config.Port = tc.mode, tc.port
			if tc.roots != nil {
				o.TLSConfig = &tls.Config{RootCAs: tc.roots}
			}
			w := inbound.NewWatcher(sink, o)
			defer closeWatcher(t, w)
			id := "ca-" + strings.ReplaceAll(tc.name, " ", "-")
			srv.Append(t, "INBOX", imapMsg(id, "x"))
			err := w.Poll(context.Background())
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				if sink.callsFor(imapID(id)) != 1 {
					t.Errorf("%s not delivered", id)
				}
				return
			}
			var pe *inbound.IMAPConfigError
			if !errors.As(err, &pe) || pe.Problem != inbound.ProblemTLS {
				t.Fatalf("Poll: %v, want a TLS configuration problem", err)
			}
			if !strings.Contains(err.Error(), "certificate signed by unknown authority") {
				t.Errorf("error %q does not say why", err)
			}
			if st := w.State(); !strings.Contains(st.LastError, "certificate") {
				t.Errorf("state %+v does not show the certificate problem", st)
			}
		})
	}
}

// A configuration problem (untrusted certificate, refused login) is
// logged at ERROR once per cause however often the watcher reconnects,
// keeps the server's words in the state the console shows, and a new
// cause is told once again.
func TestWatcherLogsAConfigurationProblemOncePerCause(t *testing.T) {
	ca := newTestCA(t)
	cert, _, _ := ca.issue(t)
	srv := imaptest.Start(t, imaptest.WithCertificate(cert))
	var logs recordLog
	o := imapOptions(t, srv)
	o.Config.TLS, o.Config.Port, o.Config.Password = "tls", implicitPort(t, srv), "wrong"
	o.MinBackoff, o.MaxBackoff = time.Millisecond, 5*time.Millisecond
	o.Log = logs.logger()
	// The first dials trust only the system's roots, the later ones the
	// CA: the problem changes from the certificate to the password.
	var dials atomic.Int32
	o.Dial = func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
		cfg := opts.TLSConfig.Clone()
		if dials.Add(1) > 5 {
			cfg.RootCAs = ca.pool()
		}
		conn, err := (&tls.Dialer{NetDialer: opts.Dialer, Config: cfg}).DialContext(ctx, "tcp", srv.TLSAddr())
		if err != nil {
			return nil, err
		}
		return imapclient.New(conn, opts), nil
	}
	w := inbound.NewWatcher(newIMAPSink(), o)
	imapRun(t, w)
	imapWaitFor(t, 5*time.Second, "five refused certificates", func() bool { return dials.Load() >= 5 })
	if errs := logs.lines("ERROR"); len(errs) != 1 || !strings.Contains(errs[0], "certificate signed by unknown authority") {
		t.Fatalf("ERROR lines after five attempts:\n%s\nwant one about the certificate", strings.Join(errs, "\n"))
	}
	imapWaitFor(t, 5*time.Second, "five refused logins", func() bool { return dials.Load() >= 10 })
	errs := logs.lines("ERROR")
	if len(errs) != 2 || !strings.Contains(errs[1], "Authentication failed") {
		t.Fatalf("ERROR lines:\n%s\nwant the certificate once, then the login once with the server's words", strings.Join(errs, "\n"))
	}
	if st := w.State(); !strings.Contains(st.LastError, "Authentication failed") || !strings.Contains(st.LastError, "refused the login") {
		t.Errorf("state %+v, want the server's words", st)
	}
	if warns := logs.lines("WARN"); len(warns) != 0 {
		t.Errorf("configuration problems also logged as warnings:\n%s", strings.Join(warns, "\n"))
	}
}

// A login the server refuses is a configuration problem too, with the
// server's words.
func TestWatcherRefusedLoginIsAConfigurationProblem(t *testing.T) {
	srv := imaptest.Start(t)
	o := imapOptions(t, srv)
	o.Config.Password = "wrong"
	w := inbound.NewWatcher(newIMAPSink(), o)
	defer closeWatcher(t, w)
	err := w.Poll(context.Background())
	var pe *inbound.IMAPConfigError
	if !errors.As(err, &pe) || pe.Problem != inbound.ProblemAuth || !errors.Is(err, inbound.ErrIMAPLogin) {
		t.Fatalf("Poll: %v, want a login configuration problem", err)
	}
	if !strings.Contains(err.Error(), "[AUTHENTICATIONFAILED] Authentication failed") {
		t.Errorf("error %q lacks the server's words", err)
	}
}

// Dovecot with a certificate a private CA signed: read over STARTTLS and
// implicit TLS once the CA is trusted, refused with a certificate error
// otherwise.
func TestDovecotTrustsAPrivateCA(t *testing.T) {
	ca := newTestCA(t)
	_, certPEM, keyPEM := ca.issue(t)
	d := startDovecot(t, dovecotTLS(certPEM, keyPEM))
	d.create(t, "Private")
	for i, tc := range []struct {
		name  string
		mode  string
		port  int
		trust bool
	}{
		{"starttls with the CA", "starttls", d.port, true},
		{"implicit tls with the CA", "tls", d.tlsPort, true},
		{"starttls with the system roots only", "starttls", d.port, false},
		{"implicit tls with the system roots only", "tls", d.tlsPort, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := d.options(t, "Private")
			o.Config.TLS, o.Config.Port = tc.mode, tc.port
			if tc.trust {
				roots, err := x509.SystemCertPool()
				if err != nil {
					t.Fatal(err)
				}
				roots.AddCert(ca.cert)
				o.TLSConfig = &tls.Config{RootCAs: roots}
			}
			id := fmt.Sprint("dovecot-ca-", i)
			d.append(t, "Private", imapMsg(id, "x"))
			sink := newIMAPSink()
			w := inbound.NewWatcher(sink, o)
			defer closeWatcher(t, w)
			err := w.Poll(context.Background())
			if tc.trust {
				if err != nil {
					t.Fatal(err)
				}
				if sink.callsFor(imapID(id)) != 1 {
					t.Errorf("%s not delivered", id)
				}
				return
			}
			var pe *inbound.IMAPConfigError
			if !errors.As(err, &pe) || pe.Problem != inbound.ProblemTLS || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
				t.Fatalf("Poll: %v, want a certificate error", err)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		o := d.options(t, "Private")
		o.Config.Password = "wrong"
		w := inbound.NewWatcher(newIMAPSink(), o)
		defer closeWatcher(t, w)
		err := w.Poll(context.Background())
		var pe *inbound.IMAPConfigError
		if !errors.As(err, &pe) || pe.Problem != inbound.ProblemAuth || !strings.Contains(err.Error(), "AUTHENTICATIONFAILED") {
			t.Fatalf("Poll: %v, want the login refused in Dovecot's words", err)
		}
	})
}
