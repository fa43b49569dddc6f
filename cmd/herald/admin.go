package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
)

func runMigrate(ctx context.Context, env *cmdEnv, args []string) (err error) {
	if len(args) != 1 {
		return errors.New("say up, down or status")
	}
	log := newLogger(env.cfg, env.stderr)
	bdb, err := openDB(ctx, env.cfg, log, false)
	if err != nil {
		return err
	}
	defer closeDB(bdb, &err)
	m, err := db.NewMigrator(bdb, log)
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		if err := m.Up(ctx); err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.stdout, "Database is up to date.")
		return err
	case "down":
		names, err := m.Down(ctx)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			_, err = fmt.Fprintln(env.stdout, "Nothing to roll back.")
			return err
		}
		for _, n := range names {
			if _, err := fmt.Fprintf(env.stdout, "Rolled back %s\n", n); err != nil {
				return err
			}
		}
		return nil
	case "status":
		states, riverOK, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range states {
			mark := "pending"
			if s.Applied {
				mark = "applied"
			}
			if _, err := fmt.Fprintf(env.stdout, "%-8s %s\n", mark, s.Name); err != nil {
				return err
			}
		}
		mark := "pending"
		if riverOK {
			mark = "applied"
		}
		_, err = fmt.Fprintf(env.stdout, "%-8s %s\n", mark, "job queue schema")
		return err
	}
	return fmt.Errorf("unknown migrate action %q: say up, down or status", args[0])
}

// closeDB closes the database at the end of a command, adding a failure
// to close it to the command's error: for SQLite, closing writes the
// last changes back from the write-ahead log.
func closeDB(bdb io.Closer, err *error) {
	*err = errors.Join(*err, bdb.Close())
}

func userFlags(fs *flag.FlagSet, env *cmdEnv) {
	env.opts["role"] = fs.String("role", "admin", "role of a new user: admin, manager, engineer or viewer")
	env.opts["name"] = fs.String("name", "", "display name of a new user")
}

// readPassword takes the password from stdin: the first line when piped,
// or typed at a prompt.
func readPassword(env *cmdEnv, in io.Reader) (string, error) {
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			// The prompt is a courtesy: the password can be typed without it.
			_, _ = fmt.Fprintf(env.stderr, "Password (at least %d characters, shown as typed): ", status.MinPasswordLen)
		}
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func runUser(ctx context.Context, env *cmdEnv, args []string) (err error) {
	if len(args) != 2 || (args[0] != "add" && args[0] != "passwd") {
		return errors.New("usage: herald user add|passwd EMAIL (password on stdin)")
	}
	log := newLogger(env.cfg, env.stderr)
	bdb, err := openDB(ctx, env.cfg, log, true)
	if err != nil {
		return err
	}
	defer closeDB(bdb, &err)
	svc := status.New(bdb, status.Options{Log: log})
	pw, err := readPassword(env, env.stdin)
	if err != nil {
		return err
	}
	if args[0] == "passwd" {
		if err := svc.Accounts.SetPassword(ctx, args[1], pw); err != nil {
			return describe(err)
		}
		_, err = fmt.Fprintf(env.stdout, "Password of %s changed.\n", args[1])
		return err
	}
	u, err := svc.Accounts.CreateUser(ctx, status.UserInput{Email: args[1], Name: *env.opts["name"].(*string),
		Role: status.Role(*env.opts["role"].(*string)), Password: pw})
	if err != nil {
		return describe(err)
	}
	_, err = fmt.Fprintf(env.stdout, "Created %s user %s.\n", u.Role, u.Email)
	return err
}

// describe turns a validation error into one readable line.
func describe(err error) error {
	var se *status.Error
	if !errors.As(err, &se) || len(se.Fields) == 0 {
		return err
	}
	var parts []string
	for f, m := range se.Fields {
		parts = append(parts, f+" "+m)
	}
	return errors.New(strings.Join(parts, "; "))
}

func tokenFlags(fs *flag.FlagSet, env *cmdEnv) {
	env.opts["role"] = fs.String("role", "admin", "role of the new token: admin (everything), manager (pages, components, incidents, maintenance),\n"+
		"engineer (incidents and maintenance, but not deleting them) or viewer (read only)")
}

func runToken(ctx context.Context, env *cmdEnv, args []string) (err error) {
	if len(args) != 2 || args[0] != "create" {
		return errors.New("usage: herald token create [-role admin|manager|engineer|viewer] NAME")
	}
	log := newLogger(env.cfg, env.stderr)
	bdb, err := openDB(ctx, env.cfg, log, true)
	if err != nil {
		return err
	}
	defer closeDB(bdb, &err)
	role := status.Role(*env.opts["role"].(*string))
	tok, _, err := status.New(bdb, status.Options{Log: log}).Accounts.CreateToken(ctx, args[1], role)
	if err != nil {
		return describe(err)
	}
	_, err = fmt.Fprintln(env.stdout, tok) // the token is shown once: not printing it is a failure
	return err
}

func runHookToken(ctx context.Context, env *cmdEnv, args []string) (err error) {
	if len(args) != 1 || !alerts.ValidHook(args[0]) {
		return errors.New("usage: herald hook-token " + strings.Join(alerts.Hooks, "|"))
	}
	log := newLogger(env.cfg, env.stderr)
	bdb, err := openDB(ctx, env.cfg, log, true)
	if err != nil {
		return err
	}
	defer closeDB(bdb, &err)
	svc := status.New(bdb, status.Options{Log: log})
	tok, err := alerts.New(bdb, svc, alerts.Options{Log: log}).NewToken(ctx, args[0])
	if err != nil {
		return describe(err)
	}
	_, err = fmt.Fprintln(env.stdout, tok) // the token is shown once: not printing it is a failure
	return err
}

func runHealthcheck(ctx context.Context, env *cmdEnv, _ []string) error {
	host, port, err := net.SplitHostPort(env.cfg.Listen)
	if err != nil {
		return err
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("server not reachable: %w", err)
	}
	_ = resp.Body.Close() // only the status matters; the body is not read
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("server answered %s", resp.Status)
	}
	_, err = fmt.Fprintln(env.stdout, "ok")
	return err
}
