package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
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
	mailbox *inbound.Mailbox
}

// openDB opens the database and, when migrate is set, applies migrations.
func openDB(ctx context.Context, cfg *Config, log *slog.Logger, migrate bool) (*bun.DB, error) {
	bdb, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		m, err := db.NewMigrator(bdb, log)
		if err == nil {
			err = m.Up(ctx)
		}
		if err != nil {
			return nil, errors.Join(err, bdb.Close())
		}
	}
	return bdb, nil
}

// appOptions change how newApp wires Herald; the zero value is production.
type appOptions struct {
	now  func() time.Time // the service clock
	tick time.Duration    // how often the clock jobs run
}

// newApp wires Herald. The caller closes a.db.
func newApp(ctx context.Context, cfg *Config, log *slog.Logger, o appOptions) (*app, error) {
	bdb, err := openDB(ctx, cfg, log, cfg.AutoMigrate)
	if err != nil {
		return nil, err
	}
	db.LogOutages(bdb, log)
	a := &app{cfg: cfg, log: log, db: bdb}
	workers := river.NewWorkers()
	if a.river, err = newRiver(bdb, log, cfg, workers); err != nil {
		return nil, err
	}
	jobs := a.river
	store := inbound.NewStore(bdb, inbound.StoreOptions{Own: []string{cfg.MailFrom}, Now: o.now, Jobs: jobs})
	a.outbox = comms.NewOutbox(bdb, comms.OutboxOptions{From: cfg.MailFrom, Now: o.now, Log: log, Jobs: jobs,
		RetryFor: cfg.MailRetryFor, Mailer: newMailer(cfg, log), Attachments: store.Original})
	notifier := &comms.Notifier{Jobs: jobs, Outbox: a.outbox, ServiceDesk: cfg.ServiceDeskEmail, BaseURL: cfg.baseURL}
	a.svc = status.New(bdb, status.Options{Log: log, Now: o.now, Jobs: jobs, Notifier: notifier, ConsoleTimeZone: cfg.ConsoleTimeZone})
	secret := cfg.Secret
	if secret == "" {
		if secret, err = a.svc.Setting(ctx, "secret", func() string { return status.RandomToken(32) }); err != nil {
			return nil, fmt.Errorf("load the secret: %w", err)
		}
	}
	tokens := comms.NewTokens([]byte(secret))
	notifier.Tokens = tokens
	subs := comms.NewSubscribers(bdb, a.svc, a.outbox, tokens, cfg.baseURL)
	a.outbox.OnDelivered(subs.Delivered)
	a.alerts = alerts.New(bdb, a.svc, alerts.Options{Window: cfg.AlertWindow, Log: log})
	migrator, err := db.NewMigrator(bdb, log)
	if err != nil {
		return nil, err
	}
	a.server, err = web.New(web.Deps{Alerts: a.alerts, Outbox: a.outbox, Messages: store, Subscribers: subs,
		Secret: []byte(secret), Service: a.svc, Log: log, BaseURL: cfg.baseURL, TrustedProxies: cfg.proxies,
		Ready: migrator.Ready})
	if err != nil {
		return nil, err
	}
	router := &inbound.Router{Service: a.svc, Store: store, Thread: a.outbox.ThreadOf, Report: a.outbox.RecordReport}
	if cfg.MailAcknowledge {
		router.Acknowledger = &comms.Acknowledger{Outbox: a.outbox, BaseURL: cfg.baseURL}
	}
	if cfg.imap != nil {
		a.mailbox = inbound.NewMailbox(bdb, store, inbound.WatcherOptions{Config: *cfg.imap, Processed: cfg.imap.Processed,
			Interval: cfg.IMAPInterval, Log: log, TLSConfig: cfg.tls})
	}
	commsJobs := comms.Jobs{Outbox: a.outbox, Tick: o.tick,
		FanOut: &comms.FanOut{Service: a.svc, Outbox: a.outbox, BaseURL: cfg.baseURL, Audience: subs.Audience(cfg.baseURL), Tokens: tokens},
		Watch: &comms.Watch{Service: a.svc, Outbox: a.outbox, BaseURL: cfg.baseURL, AccountManagement: cfg.AccountManagementEmail,
			Security: cfg.SecurityEmail, Jobs: jobs}}
	periodic, err := a.svc.RegisterJobs(workers, o.tick)
	if err != nil {
		return nil, err
	}
	more, err := commsJobs.Register(workers)
	if err != nil {
		return nil, err
	}
	if err := router.Register(workers); err != nil {
		return nil, err
	}
	if cfg.Workers {
		a.river.PeriodicJobs().AddMany(append(periodic, more...))
	}
	return a, nil
}

// newMailer is the SMTP mailer HERALD_SMTP_URL asks for, or nil for the
// dev outbox.
func newMailer(cfg *Config, log *slog.Logger) comms.Mailer {
	if cfg.smtp == nil {
		return nil
	}
	mo := cfg.mailer
	mo.TLSConfig, mo.Log = cfg.tls, log
	return comms.NewSMTPMailer(*cfg.smtp, mo)
}

// setupAdmin creates the first admin when the database has no user,
// printing the password once.
func setupAdmin(ctx context.Context, cfg *Config, log *slog.Logger, svc *status.Service) (string, error) {
	pw, err := svc.Accounts.Bootstrap(ctx, cfg.AdminEmail)
	if err != nil {
		return "", fmt.Errorf("create first admin: %w", err)
	}
	if pw != "" {
		log.Warn("created the first admin user; this password is shown once, change it with \"herald user passwd\"",
			"email", cfg.AdminEmail, "password", pw)
	}
	return pw, nil
}

func runServe(ctx context.Context, env *cmdEnv, args []string) (err error) {
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
	defer closeDB(a.db, &err)
	if _, err := setupAdmin(ctx, cfg, log, a.svc); err != nil {
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
			a.mailbox.Run(bg)
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
