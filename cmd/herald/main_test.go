package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testApp is a whole Herald, as "herald serve" wires it, listening on a
// free loopback port.
type testApp struct {
	*app
	URL  string // http://127.0.0.1:PORT
	stop func() error
}

// startApp runs Herald on a fresh database of the given dialect until the
// test ends. With demo set, the database holds the demo data first.
func startApp(t *testing.T, dialect string, demo bool) *testApp {
	t.Helper()
	return startAppWith(t, dialect, demo, appOptions{})
}

// startAppWith is startApp with wiring options (a test clock, a faster
// clock job) and more settings as "HERALD_X", "value" pairs.
func startAppWith(t testing.TB, dialect string, demo bool, o appOptions, settings ...string) *testApp {
	t.Helper()
	dbURL := dbtest.URL(t, dialect)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	vars := map[string]string{"HERALD_DATABASE_URL": dbURL, "HERALD_BASE_URL": base,
		"HERALD_LISTEN": ln.Addr().String(), "HERALD_LOG_LEVEL": "warn"}
	for i := 0; i+1 < len(settings); i += 2 {
		vars[settings[i]] = settings[i+1]
	}
	getenv := func(k string) string { return vars[k] }
	if demo {
		code := run(context.Background(), []string{"demo"}, getenv, nil, io.Discard, io.Discard)
		require.Equal(t, 0, code, "herald demo failed")
	}
	env := &cmdEnv{cfg: &Config{}, stdout: io.Discard, stderr: io.Discard, opts: map[string]any{}}
	require.Empty(t, env.cfg.register(flagSet(), getenv))
	require.NoError(t, env.cfg.Validate())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, env.cfg, log, o)
	require.NoError(t, err)
	_, err = setupAdmin(ctx, env.cfg, log, a.svc)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, ln) }()
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(40 * time.Second):
				stopErr = errors.New("herald did not shut down within 40s")
			}
			stopErr = errors.Join(stopErr, a.db.Close())
		})
		return stopErr
	}
	t.Cleanup(func() { require.NoError(t, stop()) })
	return &testApp{app: a, URL: base, stop: stop}
}

func flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func TestServeAnswersOnBothDatabases(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, true)
			for _, path := range []string{"/healthz", "/readyz", "/", "/p/payments/", "/api/v2/summary.json"} {
				resp, err := http.Get(a.URL + path)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				require.Equal(t, http.StatusOK, resp.StatusCode, path)
			}
		})
	}
}
