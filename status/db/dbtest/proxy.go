package dbtest

import (
	"context"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Proxy is a fresh, migrated PostgreSQL database reached through a TCP
// proxy the test controls, for tests of a database outage: Cut drops
// every connection and refuses new ones, as a stopped server or a broken
// network would; Restore lets connections through again. The server
// itself is shared and keeps running for the other tests.
type Proxy struct {
	URL string // the database's HERALD_DATABASE_URL, through the proxy

	ln     net.Listener
	target string // network address of the server: "unix" path or host:port
	net    string // "unix" or "tcp"

	mu    sync.Mutex // protects the fields below
	cut   bool
	conns map[net.Conn]struct{}
}

// NewProxy returns a fresh migrated PostgreSQL database behind a proxy
// that stays open until the test ends.
func NewProxy(t testing.TB) *Proxy {
	t.Helper()
	direct := postgresURL(t)
	cfg, err := pgx.ParseConfig(direct)
	if err != nil {
		t.Fatalf("dbtest: parse %s: %v", redact(direct), err)
	}
	p := &Proxy{conns: map[net.Conn]struct{}{}, net: "tcp", target: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))}
	if filepath.IsAbs(cfg.Host) {
		p.net, p.target = "unix", filepath.Join(cfg.Host, ".s.PGSQL."+strconv.Itoa(int(cfg.Port)))
	}
	p.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("dbtest: proxy listen: %v", err)
	}
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatalf("dbtest: parse %s: %v", redact(direct), err)
	}
	q := u.Query()
	q.Del("host")
	q.Del("port")
	u.Host, u.RawQuery = p.ln.Addr().String(), q.Encode()
	p.URL = u.String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.serve()
	}()
	t.Cleanup(func() {
		if err := p.ln.Close(); err != nil {
			t.Errorf("dbtest: close proxy: %v", err)
		}
		<-done
		p.Cut()
	})
	return p
}

// Cut drops every open connection and refuses new ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close() // cutting is the point: one that closed already is cut too
		delete(p.conns, c)
	}
}

// Restore lets new connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.relay(c)
	}
}

// relay joins a client to the server until either side closes or the
// proxy is cut.
func (p *Proxy) relay(client net.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	server, err := (&net.Dialer{}).DialContext(ctx, p.net, p.target)
	cancel()
	// The connections closed here are dropped on purpose, as an outage
	// would drop them: their close errors say nothing.
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client, server) {
		_ = client.Close()
		_ = server.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		// Either side ending ends both.
		_ = dst.Close()
		_ = src.Close()
	}
	go pipe(server, client)
	go pipe(client, server)
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// track records a relayed pair; false when the proxy is cut.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}
