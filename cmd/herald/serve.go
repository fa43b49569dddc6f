package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/web"
)

// shutdownGrace is how long in-flight requests and jobs get to finish.
const shutdownGrace = 25 * time.Second

// app is a wired Herald: database, domain service, jobs and web server.
type app struct {
	cfg    *Config
	log    *slog.Logger
	db     *bun.DB
	svc    *status.Service
	river  *river.Client[*sql.Tx]
	outbox *comms.Outbox
	server *web.Server
	alerts *alerts.Service
	// mailbox watches the support mailbox (nil without HERALD_IMAP_URL).
	mailbox *mailbox
}

// openDB opens the database and, when migrate is set, applies migrations.
func openDB(ctx context.Context, cfg *Config, log *slog.Logger, migrate bool) (*bun.DB, error) {
	bdb, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		m, err := db.NewMigrator(bdb, log)
		if err != nil {
			bdb.Close()
			return nil, err
		}
		if err := m.Up(ctx); err != nil {
			bdb.Close()
			return nil, err
		}
	}
	return bdb, nil
}

// appOptions change how newApp wires Herald; the zero value is production.
type appOptions struct {
	now  func() time.Time // the service clock
	tick time.Duration    // how often the clock job runs
}

// newApp wires Herald. The caller closes a.db.
func newApp(ctx context.Context, cfg *Config, log *slog.Logger, o appOptions) (*app, error) {
	bdb, err := openDB(ctx, cfg, log, cfg.AutoMigrate)
	if err != nil {
		return nil, err
	}
	db.LogOutages(bdb, log)
	a := &app{cfg: cfg, log: log, db: bdb}
	var server *web.Server
	insertJob := func(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) error {
		_, err := a.river.InsertTx(ctx, tx.Tx, args, opts)
		return err
	}
	a.svc = status.New(bdb, status.Options{Log: log, Now: o.now, Notifier: &comms.Notifier{Jobs: insertJob}, Changed: func(pageID string) {
		if server != nil {
			server.Snapshots().Changed(pageID)
		}
	}, Scheduled: func(ctx context.Context, tx bun.Tx, at time.Time) error {
		return scheduleDue(ctx, a.river, tx, at)
	}, IntakeDismissed: func(ctx context.Context, tx bun.Tx, item *status.IntakeItem) (string, error) {
		if cfg.ServiceDeskEmail == "" {
			return "Not forwarded: no service desk address is set (HERALD_SERVICE_DESK_EMAIL).", nil
		}
		if err := a.outbox.ForwardIntake(ctx, tx, item, cfg.ServiceDeskEmail); err != nil {
			return "", err
		}
		return "Forwarded to " + cfg.ServiceDeskEmail + ".", nil
	}})
	migrator, err := db.NewMigrator(bdb, log)
	if err != nil {
		return nil, err
	}
	secret := cfg.Secret
	if secret == "" {
		if secret, err = a.svc.Setting(ctx, "secret", func() string { return status.RandomToken(32) }); err != nil {
			return nil, fmt.Errorf("load the secret: %w", err)
		}
	}
	insertJobs := func(ctx context.Context, tx bun.Tx, jobs []river.InsertManyParams) error {
		_, err := a.river.InsertManyTx(ctx, tx.Tx, jobs)
		return err
	}
	var store *inbound.Store
	oo := comms.OutboxOptions{From: cfg.MailFrom, Now: o.now, Log: log, Jobs: insertJobs, RetryFor: cfg.MailRetryFor,
		Attachments: func(ctx context.Context, ref string) (string, string, io.Reader, error) {
			m, err := store.Message(ctx, ref)
			if err != nil {
				return "", "", nil, err
			}
			if m.TooLarge {
				return "original-headers.txt", "text/plain", store.OpenRaw(ctx, ref), nil
			}
			return "original.eml", "message/rfc822", store.OpenRaw(ctx, ref), nil
		}}
	if cfg.smtp != nil {
		mo := cfg.mailer
		mo.TLSConfig, mo.Log = cfg.tls, log
		oo.Mailer = comms.NewSMTPMailer(*cfg.smtp, mo)
	}
	a.outbox = comms.NewOutbox(bdb, oo)
	subs := comms.NewSubscribers(bdb, a.svc, a.outbox, comms.NewTokens([]byte(secret)), cfg.baseURL)
	a.outbox.OnDelivered(subs.Delivered)
	store = inbound.NewStore(bdb, inbound.StoreOptions{Own: ownAddresses(cfg.MailFrom), Now: o.now,
		Route: func(ctx context.Context, tx bun.Tx, id string) error {
			return insertJob(ctx, tx, inbound.RouteArgs{MessageID: id}, &river.InsertOpts{MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		}})
	a.alerts = alerts.New(bdb, a.svc, alerts.Options{Window: cfg.AlertWindow, Log: log})
	server, err = web.New(web.Deps{
		Alerts:         a.alerts,
		Outbox:         a.outbox,
		Messages:       store,
		Subscribers:    subs,
		Secret:         []byte(secret),
		Service:        a.svc,
		Log:            log,
		BaseURL:        cfg.baseURL,
		TrustedProxies: cfg.trustedProxies(),
		Ready: func(ctx context.Context) error {
			if err := bdb.PingContext(ctx); err != nil {
				return fmt.Errorf("database unreachable: %w", err)
			}
			n, err := migrator.Pending(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%d migrations pending", n)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	a.server = server
	fanOut := &comms.FanOut{Service: a.svc, Outbox: a.outbox, BaseURL: cfg.baseURL, Audience: subs.Audience(cfg.baseURL),
		Tokens: comms.NewTokens([]byte(secret))}
	watch := &comms.Watch{Service: a.svc, Outbox: a.outbox, BaseURL: cfg.baseURL, AccountManagement: cfg.AccountManagementEmail, Jobs: insertJob}
	router := &inbound.Router{Service: a.svc, Store: store, Thread: a.outbox.ThreadOf, Report: a.outbox.RecordReport,
		Acknowledge: acknowledger(cfg, a.svc, a.outbox),
		Told: func(ctx context.Context, tx bun.Tx, pageID, incidentID string, m *inbound.StoredMessage, text string) error {
			from := m.FromAddress
			if m.FromName != "" {
				from = m.FromName + " <" + m.FromAddress + ">"
			}
			return insertJob(ctx, tx, comms.ReplyNoticeArgs{PageID: pageID, IncidentID: incidentID, Ref: m.ID, From: from,
				Subject: m.Subject, Excerpt: status.Cut(text, 2000, "…")}, &river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		}}
	if cfg.imap != nil {
		a.mailbox = &mailbox{db: bdb, store: store, name: cfg.imap.Mailbox, log: log, retry: 30 * time.Second,
			watcher: inbound.NewWatcher(store, inbound.WatcherOptions{Config: *cfg.imap, Processed: cfg.imap.Processed,
				Interval: cfg.IMAPInterval, Log: log, TLSConfig: cfg.tls})}
	}
	a.river, err = newRiver(bdb, log, cfg.Workers, jobWorkers{svc: a.svc, outbox: a.outbox, fanOut: fanOut, watch: watch,
		router: router, tick: o.tick, senders: cfg.mailer.Connections})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// ownAddresses is Herald's own From address, lower-cased: mail from it is
// never answered.
func ownAddresses(from string) []string {
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil
	}
	return []string{strings.ToLower(a.Address)}
}

// setup runs the first-start chores: the first admin (the secret is made
// by newApp).
func (a *app) setup(ctx context.Context) error {
	if _, err := a.setupAdminOnly(ctx); err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	return nil
}

func runServe(ctx context.Context, env *cmdEnv, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	cfg := env.cfg
	log := newLogger(cfg, env.stderr)
	log.Info("starting Herald", "config", cfg)
	a, err := newApp(ctx, cfg, log, appOptions{})
	if err != nil {
		return err
	}
	defer a.db.Close()
	if err := a.setup(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return a.serve(ctx, ln)
}

// serve runs until ctx ends, then shuts down gracefully: stop accepting,
// let in-flight requests finish, stop the workers, close the database.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	a.server.Start(bg)
	if a.cfg.Workers {
		if err := a.river.Start(bg); err != nil {
			return fmt.Errorf("start workers: %w", err)
		}
	}
	mailboxDone := make(chan struct{})
	if a.cfg.Workers && a.mailbox != nil {
		go func() {
			defer close(mailboxDone)
			a.mailbox.run(bg)
		}()
	} else {
		close(mailboxDone)
	}
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(ln) }()
	a.log.Info("Herald is listening", "addr", ln.Addr().String(), "url", a.cfg.BaseURL, "workers", a.cfg.Workers)

	var serveErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down")
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := a.server.Shutdown(sctx); err != nil {
		a.log.Warn("HTTP shutdown did not finish cleanly", "err", err)
	}
	if a.cfg.Workers {
		if err := a.river.Stop(sctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Warn("workers did not stop cleanly", "err", err)
		}
	}
	stopBG()
	<-mailboxDone
	a.log.Info("Herald stopped")
	return serveErr
}
