// Command herald-load measures Herald's public pages under load and
// compares them with a minimal Fiber server that returns the same bytes
// from memory, measured in the same run on the same machine.
//
//	go run ./cmd/herald-load [-check] [-duration 10s] [-connections 64]
//
// It builds cmd/herald (or uses -herald PATH) into a temporary directory,
// fills a fresh SQLite database there with "herald demo", runs "herald
// serve" on a free 127.0.0.1 port, reads the idle resident memory from
// /proc, then runs wrk against the baseline and Herald alternately for GET
// / and GET /api/v2/summary.json, keeping the better of the rounds for
// each side. With -check it exits 1 unless every ratio herald/baseline is
// at least 0.8, Herald's p99 latency is under 20 ms and its idle RSS is
// under 64 MiB. Only 127.0.0.1 is ever targeted; Herald is stopped with
// SIGTERM and the temporary directory removed at the end.
//
// It needs wrk (Debian: apt-get install wrk).
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status/web"
)

// Targets of the issue.
const (
	minRatio  = 0.8
	maxP99    = 20 * time.Millisecond
	maxIdleMB = 64.0
)

var endpoints = []string{"/", "/api/v2/summary.json"}

type options struct {
	herald      string
	duration    time.Duration
	connections int
	threads     int
	rounds      int
	idle        time.Duration
	check       bool
}

func main() {
	var o options
	flag.StringVar(&o.herald, "herald", "", "herald binary to test (default: go build ./cmd/herald into a temporary directory)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "duration of each wrk run (1s to 2m)")
	flag.IntVar(&o.connections, "connections", 64, "wrk connections (1 to 1024)")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of baseline+herald per endpoint; the better of the rounds counts (1 to 5)")
	flag.DurationVar(&o.idle, "idle", 5*time.Second, "how long Herald idles before its resident memory is read")
	flag.BoolVar(&o.check, "check", false, fmt.Sprintf("exit 1 unless herald/baseline ≥ %.1f, herald p99 < %v and idle RSS < %.0f MiB", minRatio, maxP99, maxIdleMB))
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "herald-load: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if o.duration < time.Second || o.duration > 2*time.Minute || o.connections < 1 || o.connections > 1024 ||
		o.threads < 1 || o.threads > o.connections || o.rounds < 1 || o.rounds > 5 || o.idle < 0 || o.idle > time.Minute {
		fmt.Fprintln(os.Stderr, "herald-load: flag out of range (see -h)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ok, err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "herald-load: %v\n", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// result is the outcome of one wrk run.
type result struct {
	rps      float64
	p99      time.Duration
	requests int64
	cpu      time.Duration // server process CPU time per request
	errors   string        // non-empty when wrk saw socket errors or non-2xx answers
}

func run(ctx context.Context, o options) (ok bool, err error) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return false, errors.New("wrk is not installed; install it (Debian/Ubuntu: apt-get install -y wrk) and run again")
	}
	tmp, err := os.MkdirTemp("", "herald-load-")
	if err != nil {
		return false, err
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			logf("could not remove %s: %v", tmp, err)
		}
	}()

	bin := o.herald
	if bin == "" {
		bin = filepath.Join(tmp, "herald")
		logf("building herald")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/herald-status/herald/cmd/herald")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return false, fmt.Errorf("go build ./cmd/herald: %w", err)
		}
	}

	port, err := freePort()
	if err != nil {
		return false, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := append(os.Environ(),
		"HERALD_DATABASE_URL=sqlite://"+filepath.Join(tmp, "herald.db"),
		"HERALD_LISTEN="+addr,
		"HERALD_BASE_URL=http://"+addr,
		"HERALD_LOG_LEVEL=warn",
	)

	logf("filling the database: herald demo")
	demo := exec.CommandContext(ctx, bin, "demo")
	demo.Env, demo.Dir = env, tmp
	var demoOut bytes.Buffer // holds the throwaway admin password: shown only on failure
	demo.Stdout, demo.Stderr = &demoOut, &demoOut
	if err := demo.Run(); err != nil {
		return false, fmt.Errorf("herald demo: %w\n%s", err, demoOut.Bytes())
	}

	logf("starting herald serve on %s", addr)
	serve := exec.Command(bin, "serve")
	serve.Env, serve.Dir = env, tmp
	serve.Stdout, serve.Stderr = os.Stderr, os.Stderr
	if err := serve.Start(); err != nil {
		return false, fmt.Errorf("herald serve: %w", err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = serve.Wait(); close(exited) }()
	defer stopProcess(serve, exited)

	heraldURL := "http://" + addr
	if err := waitReady(ctx, heraldURL+"/readyz", exited, &exitErr); err != nil {
		return false, err
	}
	logf("herald is ready; idling %v before reading its memory", o.idle)
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-exited:
		return false, fmt.Errorf("herald serve exited: %w", exitErr)
	case <-time.After(o.idle):
	}
	idleRSS, err := rssMiB(serve.Process.Pid)
	if err != nil {
		return false, err
	}

	// The baseline: a bare Fiber app serving Herald's exact bytes.
	// Same connection timeouts as Herald's server, so both pay the same
	// deadline bookkeeping.
	baseline := fiber.New(fiber.Config{DisableStartupMessage: true,
		ReadTimeout: web.ReadTimeout, WriteTimeout: web.WriteTimeout, IdleTimeout: web.IdleTimeout})
	for _, path := range endpoints {
		body, contentType, err := fetch(ctx, heraldURL+path)
		if err != nil {
			return false, err
		}
		logf("GET %s: %d bytes, %s", path, len(body), contentType)
		baseline.Get(path, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, contentType)
			return c.Send(body)
		})
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	go func() { _ = baseline.Listener(ln) }()
	defer func() { _ = baseline.ShutdownWithTimeout(5 * time.Second) }()
	baselineURL := "http://" + ln.Addr().String()

	type row struct {
		path             string
		herald, baseline result
	}
	var rows []row
	for _, path := range endpoints {
		r := row{path: path}
		for round := 1; round <= o.rounds; round++ {
			for _, side := range []struct {
				name, url string
				pid       int
				best      *result
			}{{"baseline", baselineURL, os.Getpid(), &r.baseline}, {"herald", heraldURL, serve.Process.Pid, &r.herald}} {
				cpu0, err := processCPU(side.pid)
				if err != nil {
					return false, err
				}
				res, err := runWrk(ctx, wrk, o, side.url+path)
				if err != nil {
					return false, fmt.Errorf("wrk %s %s: %w", side.name, path, err)
				}
				cpu1, err := processCPU(side.pid)
				if err != nil {
					return false, err
				}
				if res.requests > 0 {
					res.cpu = (cpu1 - cpu0) / time.Duration(res.requests)
				}
				logf("round %d %-8s GET %-22s %9.0f req/s  p99 %-9v server CPU %v/req%s", round, side.name, path,
					res.rps, res.p99, res.cpu, res.errors)
				keepBetter(side.best, res)
			}
		}
		rows = append(rows, r)
	}
	rssAfter, err := rssMiB(serve.Process.Pid)
	if err != nil {
		return false, err
	}

	ok = idleRSS < maxIdleMB
	fmt.Printf("\nwrk -t%d -c%d -d%v --latency, %d rounds alternating baseline/herald, best of each kept; %s\n\n",
		o.threads, o.connections, o.duration, o.rounds, machine())
	fmt.Printf("%-22s %13s %15s %7s %12s %13s %11s %13s %9s\n", "endpoint", "herald req/s", "baseline req/s", "ratio",
		"herald p99", "baseline p99", "herald CPU", "baseline CPU", "CPU ratio")
	for _, r := range rows {
		ratio := r.herald.rps / r.baseline.rps
		ratioMark, p99Mark := " ", " "
		if ratio < minRatio {
			ratioMark, ok = "!", false
		}
		if r.herald.p99 >= maxP99 {
			p99Mark, ok = "!", false
		}
		if r.herald.errors != "" || r.baseline.errors != "" {
			ok = false
		}
		fmt.Printf("%-22s %13.0f %15.0f %6.2f%s %11s%s %13s %8.1f µs %10.1f µs %9.2f\n", r.path, r.herald.rps, r.baseline.rps,
			ratio, ratioMark, fmtDur(r.herald.p99), p99Mark, fmtDur(r.baseline.p99),
			micros(r.herald.cpu), micros(r.baseline.cpu), float64(r.baseline.cpu)/float64(r.herald.cpu))
		if r.herald.errors != "" || r.baseline.errors != "" {
			fmt.Printf("%-22s errors: herald%s, baseline%s\n", "", r.herald.errors, r.baseline.errors)
		}
	}
	rssMark := ""
	if idleRSS >= maxIdleMB {
		rssMark = " !"
	}
	fmt.Printf("\nherald idle RSS: %.1f MiB%s (after load: %.1f MiB)\n", idleRSS, rssMark, rssAfter)
	fmt.Printf("targets: ratio ≥ %.1f, herald p99 < %v, idle RSS < %.0f MiB: %s\n", minRatio, maxP99, maxIdleMB, verdict(ok))
	fmt.Println("(CPU: server process CPU time per request, baseline/herald in \"CPU ratio\"; unlike req/s it is hardly\n" +
		"disturbed by other work on the machine. Herald's includes its background workers.)")
	return ok || !o.check, nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// keepBetter keeps the higher rate, the lower p99 and the lower CPU time
// per request of the rounds.
func keepBetter(best *result, r result) {
	if best.rps == 0 {
		*best = r
		return
	}
	best.rps = max(best.rps, r.rps)
	best.p99 = min(best.p99, r.p99)
	best.cpu = min(best.cpu, r.cpu)
	if best.errors == "" {
		best.errors = r.errors
	}
}

func runWrk(ctx context.Context, wrk string, o options, url string) (result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.duration+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wrk, "-t"+strconv.Itoa(o.threads), "-c"+strconv.Itoa(o.connections),
		"-d"+strconv.Itoa(int(o.duration.Seconds()))+"s", "--latency", url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseWrk(out)
}

var (
	reRPS    = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	reTotal  = regexp.MustCompile(`(?m)^\s*([0-9]+) requests in `)
	reP99    = regexp.MustCompile(`(?m)^\s+99%\s+([0-9.]+[a-z]+)`)
	reErrors = regexp.MustCompile(`(?m)^\s*(Socket errors:.*|Non-2xx or 3xx responses:.*)$`)
)

// parseWrk reads requests per second and the 99th percentile latency from
// wrk --latency output.
func parseWrk(out []byte) (result, error) {
	m := reRPS.FindSubmatch(out)
	p := reP99.FindSubmatch(out)
	if m == nil || p == nil {
		return result{}, fmt.Errorf("unexpected wrk output:\n%s", out)
	}
	rps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return result{}, err
	}
	p99, err := time.ParseDuration(string(p[1])) // wrk writes us, ms, s, m
	if err != nil {
		return result{}, fmt.Errorf("wrk p99 %q: %w", p[1], err)
	}
	var errs []string
	for _, e := range reErrors.FindAllSubmatch(out, -1) {
		errs = append(errs, string(e[1]))
	}
	r := result{rps: rps, p99: p99}
	if t := reTotal.FindSubmatch(out); t != nil {
		r.requests, _ = strconv.ParseInt(string(t[1]), 10, 64)
	}
	if len(errs) > 0 {
		r.errors = " (" + strings.Join(errs, "; ") + ")"
	}
	return r, nil
}

func fmtDur(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// fetch GETs url without compression, as wrk does, and returns the body
// and its Content-Type.
func fetch(ctx context.Context, url string) ([]byte, string, error) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below, or failed already
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		return nil, "", fmt.Errorf("GET %s: unexpected Content-Encoding %q", url, ce)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// waitReady polls url until it answers 200, herald exits or 60 s pass.
func waitReady(ctx context.Context, url string, exited <-chan struct{}, exitErr *error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close() // drained: only the status matters
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("herald did not become ready at %s within 60 s", url)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return fmt.Errorf("herald serve exited before it was ready: %w", *exitErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stopProcess sends SIGTERM and waits for the process, killing it after
// 30 s.
func stopProcess(cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	default:
	}
	logf("stopping herald (SIGTERM)")
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		logf("herald did not stop within 30 s of SIGTERM; killing it")
		_ = cmd.Process.Kill()
		<-exited
	}
}

// rssMiB reads a process's resident set size from /proc (Linux).
func rssMiB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read resident memory (Linux /proc needed): %w", err)
	}
	defer func() { _ = f.Close() }() // read only: closing loses nothing
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS %q: %w", v, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// processCPU returns a process's user+system CPU time from /proc (Linux;
// clock ticks of 10 ms).
func processCPU(pid int) (time.Duration, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time (Linux /proc needed): %w", err)
	}
	// Fields after the command name, which is in parentheses: state is
	// the first, utime the 12th and stime the 13th.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %s", pid, stat)
	}
	user, err1 := strconv.ParseInt(f[11], 10, 64)
	sys, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat: %s", pid, stat)
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(user+sys) * tick, nil
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}

func machine() string {
	return strconv.Itoa(runtime.NumCPU()) + " CPUs shared by wrk and both servers"
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "herald-load: "+format+"\n", args...)
}
