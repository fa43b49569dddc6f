// Command herald runs Herald, the status-page and customer-communication
// service. "herald" alone (or "herald serve") runs the web server and the
// background workers; other subcommands manage the database and accounts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // page time zones work in minimal containers
)

// command is one herald subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *cmdEnv, args []string) error
	// flags adds the subcommand's own flags.
	flags func(fs *flag.FlagSet, env *cmdEnv)
}

// cmdEnv is what a subcommand works with.
type cmdEnv struct {
	cfg    *Config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	opts   map[string]any // subcommand flag values
}

func commands() []command {
	return []command{
		{name: "serve", summary: "run the web server and background workers (the default)", run: runServe},
		{name: "migrate", args: "up|down|status", summary: "apply, roll back (last group) or list database migrations", run: runMigrate},
		{name: "user", args: "add|passwd EMAIL", summary: "add a console user, or set a user's password (read from stdin or prompted)", run: runUser, flags: userFlags},
		{name: "token", args: "create NAME", summary: "create an admin API token and print it once", run: runToken, flags: tokenFlags},
		{name: "hook-token", args: "alertmanager|opsgenie|generic", summary: "make a new token for a monitoring hook (replacing its old one) and print it once", run: runHookToken},
		{name: "demo", summary: "fill the database with a realistic demo (two pages, 90 days of history)", run: runDemo, flags: demoFlags},
		{name: "healthcheck", summary: "exit 0 if the local server answers /healthz (for container health checks)", run: runHealthcheck},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it parses args and runs a subcommand,
// returning the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			cmd = &c
		}
	}
	if cmd == nil {
		_, _ = fmt.Fprintf(stderr, "herald: unknown command %q\n\n", name) // the exit status tells the rest
		usage(stderr)
		return 2
	}
	env := &cmdEnv{cfg: &Config{}, stdin: stdin, stdout: stdout, stderr: stderr, opts: map[string]any{}}
	fs := flag.NewFlagSet("herald "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	envErrs := env.cfg.register(fs, getenv)
	if cmd.flags != nil {
		cmd.flags(fs, env)
	}
	fs.Usage = func() {
		out := fs.Output()
		_, _ = fmt.Fprintf(out, "Usage: herald %s [flags] %s\n\n%s.\n\nFlags (each also read from its environment variable):\n", cmd.name, cmd.args, capitalise(cmd.summary))
		fs.PrintDefaults()
	}
	if name == "serve" && len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		usage(stdout)
		_, _ = fmt.Fprintln(stdout)
	}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := errors.Join(append(envErrs, env.cfg.Validate())...); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			_, _ = fmt.Fprintf(stderr, "herald: invalid configuration: %s\n", line) // the exit status tells the rest
		}
		return 2
	}
	if err := cmd.run(ctx, env, positional); err != nil {
		_, _ = fmt.Fprintf(stderr, "herald %s: %v\n", cmd.name, err) // the exit status tells the rest
		return 1
	}
	return 0
}

// usage writes the list of commands to w. A failed write has nowhere
// else to be reported, and the exit status says the rest.
func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Herald: public status pages and incident communication.\n\n")
	b.WriteString("Usage: herald [command] [flags]\n\n")
	b.WriteString("Commands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun \"herald COMMAND -help\" for a command's flags and their environment variables.\n")
	_, _ = io.WriteString(w, b.String())
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments ("user add -role manager a@b" as well as "user -role manager add a@b").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
