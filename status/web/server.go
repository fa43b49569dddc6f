// Package web is every HTTP route of Herald: public status pages, the
// Statuspage-compatible API, feeds, the admin API and health checks. It is
// an adapter: handlers parse, call one status.Service method and render.
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/static"
	"github.com/herald-status/herald/status"
)

// Deps is what the web layer needs.
type Deps struct {
	Service *status.Service
	Log     *slog.Logger
	// BaseURL is Herald's absolute URL, used for links in feeds and the API
	// of pages that have no host name of their own.
	BaseURL *url.URL
	// Ready reports whether this replica can serve writes: database
	// reachable and migrations current.
	Ready func(ctx context.Context) error
	// TrustedProxies are addresses or CIDR ranges whose X-Forwarded-For and
	// X-Forwarded-Host headers are believed.
	TrustedProxies []string
	// RefreshInterval is how often snapshots check for changes made by
	// other replicas (default 2 s).
	RefreshInterval time.Duration
	// Outbox queues outbound email (confirmations, notices) and shows the
	// dev outbox. Nil in tests that send nothing.
	Outbox *comms.Outbox
	// Secret signs the tokens of subscription links.
	Secret []byte
	// Subscribers keeps the pages' subscribers; nil builds one over DB
	// from Outbox and Secret.
	Subscribers *comms.Subscribers
	// DB holds comms' tables (subscribers, emails) when Subscribers is nil
	// and one is built here (tests); status's tables are reached through
	// Service only.
	DB *bun.DB
	// Messages keeps the support mailbox's stored email, shown in the
	// console; nil when there is none (the message routes then 404).
	Messages *inbound.Store
	// Alerts keeps monitoring alerts, their mapping rules and the hooks'
	// tokens; nil turns the hooks off (they 404).
	Alerts *alerts.Service
}

// Server is Herald's HTTP server.
type Server struct {
	// loginForms signs the login form's CSRF tokens: with Secret, or a key
	// of this process when there is none.
	loginForms *comms.Tokens
	app        *fiber.App
	deps       Deps
	snapshots  *Snapshots
	assets     *static.Assets
	log        *slog.Logger
}

// Connection timeouts: Fiber has none by default, which lets slow clients
// hold connections open for ever (slowloris).
const (
	ReadTimeout  = 10 * time.Second
	WriteTimeout = 30 * time.Second
	IdleTimeout  = 120 * time.Second
)

// publicBodyLimit is the largest request body accepted anywhere; the admin
// API checks its own lower limit.
const publicBodyLimit = 1 << 20

// New builds the server and its route table. Call Start to begin
// refreshing snapshots.
func New(d Deps) (*Server, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.RefreshInterval <= 0 {
		d.RefreshInterval = 2 * time.Second
	}
	assets, err := static.Load("/static")
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	r, err := newRenderer(assets)
	if err != nil {
		return nil, err
	}
	s := &Server{deps: d, assets: assets, log: d.Log, loginForms: loginTokens(d.Secret)}
	s.snapshots = newSnapshots(d.Service, r, d.Log)
	s.snapshots.warm = s.warm
	d.Service.OnChanged(s.snapshots.Changed)
	cfg := fiber.Config{
		// Values from fiber.Ctx point into reused buffers unless Immutable
		// (shared/reference/library-pitfalls.md, Fiber).
		Immutable:             true,
		ErrorHandler:          s.handleError,
		ReadTimeout:           ReadTimeout,
		WriteTimeout:          WriteTimeout,
		IdleTimeout:           IdleTimeout,
		ReadBufferSize:        16 * 1024,
		BodyLimit:             publicBodyLimit,
		DisableStartupMessage: true,
		AppName:               "Herald",
	}
	if len(d.TrustedProxies) > 0 {
		cfg.EnableTrustedProxyCheck = true
		cfg.TrustedProxies = d.TrustedProxies
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	s.app = fiber.New(cfg)
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	s.routes()
	return s, nil
}

func (s *Server) logPanic(c *fiber.Ctx, e any) {
	s.log.Error("panic while serving a request", "method", c.Method(), "path", loggedPath(c), "panic", fmt.Sprint(e))
}

// App returns the Fiber app, for tests (app.Test) and embedding.
func (s *Server) App() *fiber.App { return s.app }

// Snapshots returns the public snapshots, so the service can report changes.
func (s *Server) Snapshots() *Snapshots { return s.snapshots }

// Start loads the first snapshots and keeps them fresh until ctx ends. It
// does not fail when the database is down: pages then answer 503 until the
// first snapshot could be built.
func (s *Server) Start(ctx context.Context) {
	if err := s.snapshots.Refresh(ctx); err != nil {
		s.log.Warn("first public snapshot failed; will retry", "err", err)
	}
	go s.snapshots.Run(ctx, s.deps.RefreshInterval)
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// pageURL is the absolute URL of a page's root: its first host name with
// the base URL's scheme, or the base URL with /p/{slug}.
func (s *Server) pageURL(p *status.Page) string { return p.URL(s.deps.BaseURL) }

// ParseTrustedProxies reads a comma-separated list of IP addresses and
// CIDR ranges (Deps.TrustedProxies), naming the first entry that is
// neither.
func ParseTrustedProxies(list string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range", p)
		}
		out = append(out, p)
	}
	return out, nil
}
