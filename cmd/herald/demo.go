package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/demo"
)

func demoFlags(fs *flag.FlagSet, env *cmdEnv) {
	env.opts["reset"] = fs.Bool("reset", false, "replace the demo pages if they exist already")
}

func runDemo(ctx context.Context, env *cmdEnv, _ []string) (err error) {
	log := newLogger(env.cfg, env.stderr)
	bdb, err := openDB(ctx, env.cfg, log, true)
	if err != nil {
		return err
	}
	defer closeDB(bdb, &err)
	now := time.Now().UTC().Truncate(time.Minute)
	clock := demo.NewClock(now)
	svc := status.New(bdb, status.Options{Log: log, Now: clock.Now})
	err = demo.Seed(ctx, svc, clock, *env.opts["reset"].(*bool))
	if errors.Is(err, demo.ErrExists) {
		// Running the quick start twice must still start Herald.
		_, err = fmt.Fprintf(env.stdout, "The demo pages exist already; \"herald demo -reset\" replaces them.\n")
		return err
	}
	if err != nil {
		return err
	}
	if err := alerts.New(bdb, svc, alerts.Options{Log: log}).Demo(ctx, demo.Slugs()[0], clock.Set, now); err != nil {
		return fmt.Errorf("demo alerts: %w", err)
	}
	if _, err := setupAdmin(ctx, env.cfg, log, svc); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.stdout, "Demo ready. Run \"herald\" and open %s/ (Northwind Cloud) or %s/p/payments/.\n", env.cfg.BaseURL, env.cfg.BaseURL)
	return err
}
