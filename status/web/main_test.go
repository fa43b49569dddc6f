package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// epoch is where every test's clock starts: a whole second, so times survive
// both databases unchanged.
var epoch = time.Date(2026, time.March, 10, 12, 0, 0, 0, time.UTC)

// baseURL is the HERALD base URL of every test server.
const baseURL = "https://herald.example.org"

type testBundle struct {
	ctx   context.Context
	db    *bun.DB
	clock *statustest.Clock
	svc   *status.Service
	srv   *web.Server
	logs  *logBuffer
}

// setup builds a service with a fixed clock and a server over bdb; opts
// adjust the server's dependencies. The service tells the server about its
// changes, as in cmd/herald.
func setup(t *testing.T, bdb *bun.DB, opts ...func(*web.Deps)) *testBundle {
	t.Helper()
	b := &testBundle{ctx: t.Context(), db: bdb, clock: statustest.NewClock(epoch), logs: &logBuffer{}}
	b.svc = status.New(bdb, status.Options{Now: b.clock.Now})
	u, err := url.Parse(baseURL)
	require.NoError(t, err)
	d := web.Deps{Service: b.svc, DB: bdb, BaseURL: u, Log: slog.New(slog.NewTextHandler(b.logs, nil))}
	for _, o := range opts {
		o(&d)
	}
	b.srv, err = web.New(d)
	require.NoError(t, err)
	return b
}

// withReady sets the server's readiness check.
func withReady(ready func(context.Context) error) func(*web.Deps) {
	return func(d *web.Deps) { d.Ready = ready }
}

// withRefreshInterval sets how often the server polls for changes.
func withRefreshInterval(every time.Duration) func(*web.Deps) {
	return func(d *web.Deps) { d.RefreshInterval = every }
}

// refresh rebuilds the server's public snapshots and requires success.
func (b *testBundle) refresh(t *testing.T) {
	t.Helper()
	require.NoError(t, b.srv.Snapshots().Refresh(b.ctx))
}

// reply is a whole HTTP answer.
type reply struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r reply) String() string { return string(r.Body) }

// do sends req through the real app and reads the whole answer.
func (b *testBundle) do(t *testing.T, req *http.Request) reply {
	t.Helper()
	return doApp(t, b.srv, req)
}

func doApp(t *testing.T, srv *web.Server, req *http.Request) reply {
	t.Helper()
	resp, err := srv.App().Test(req, -1)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // read only
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{Code: resp.StatusCode, Header: resp.Header, Body: body}
}

// get requests path with the Host header set to host ("" keeps the default)
// and extra headers given as name, value pairs.
func (b *testBundle) get(t *testing.T, host, path string, headers ...string) reply {
	t.Helper()
	return b.do(t, newRequest(http.MethodGet, host, path, headers...))
}

func newRequest(method, host, path string, headers ...string) *http.Request {
	req := httptest.NewRequest(method, path, nil)
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// decodeObject decodes a JSON object, requiring it to be one.
func decodeObject(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal(body, &out), "body: %s", body)
	require.NotNil(t, out, "body: %s", body)
	return out
}

// requireAPIError checks the JSON error shape {"error":{"status","message",
// "fields"}} and returns the fields (nil when absent).
func requireAPIError(t *testing.T, r reply, code int) map[string]any {
	t.Helper()
	require.Equal(t, code, r.Code, "body: %s", r.Body)
	require.Contains(t, r.Header.Get("Content-Type"), "application/json", "body: %s", r.Body)
	doc := decodeObject(t, r.Body)
	require.Len(t, doc, 1, "only the error key: %s", r.Body)
	e, ok := doc["error"].(map[string]any)
	require.True(t, ok, "error is an object: %s", r.Body)
	require.EqualValues(t, code, e["status"], "body: %s", r.Body)
	msg, ok := e["message"].(string)
	require.True(t, ok, "message is a string: %s", r.Body)
	require.NotEmpty(t, msg)
	if f, ok := e["fields"]; ok {
		fields, ok := f.(map[string]any)
		require.True(t, ok, "fields is an object: %s", r.Body)
		return fields
	}
	return nil
}

// dialectOf returns the dbtest dialect name of bdb.
func dialectOf(bdb *bun.DB) string {
	if bdb.Dialect().Name() == dialect.PG {
		return db.Postgres
	}
	return db.SQLite
}

// openSeparate opens a fresh migrated database of bdb's dialect through
// its own connection pool, so a test may close it without disturbing
// dbtest's cleanup of bdb.
func openSeparate(t *testing.T, bdb *bun.DB) (*bun.DB, string) {
	t.Helper()
	u := dbtest.URL(t, dialectOf(bdb))
	other, err := db.Open(t.Context(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	return other, u
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// requireNoneOf fails if body contains any of the secrets.
func requireNoneOf(t *testing.T, what string, body []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		require.False(t, bytes.Contains(body, []byte(s)), "%s leaks %q:\n%s", what, s, body)
	}
}

// requireContains is require.Contains for long documents: on failure it
// shows the start of the document rather than all of it.
func requireContains(t *testing.T, doc, sub string, msgAndArgs ...any) {
	t.Helper()
	if !strings.Contains(doc, sub) {
		require.Fail(t, fmt.Sprintf("missing %q in a %d-byte document starting:\n%s", sub, len(doc), excerpt(doc)), msgAndArgs...)
	}
}

// requireNotContains is require.NotContains for long documents.
func requireNotContains(t *testing.T, doc, sub string, msgAndArgs ...any) {
	t.Helper()
	if i := strings.Index(doc, sub); i >= 0 {
		require.Fail(t, fmt.Sprintf("unexpected %q at byte %d: …%s…", sub, i, doc[max(0, i-200):min(len(doc), i+200)]), msgAndArgs...)
	}
}

func excerpt(doc string) string {
	if len(doc) > 1500 {
		return doc[:1500] + "…"
	}
	return doc
}

// postOverLimit serves srv on a loopback port until the test ends and
// starts a POST to path that announces a body of 2 MiB, more than the
// server accepts at all, sending only its first bytes. It returns the
// answer, which comes before the body is read (app.Test cannot show it).
func postOverLimit(t *testing.T, srv *web.Server, path, token, start string) reply {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.NoError(t, <-done)
	})
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer func() { _ = conn.Close() }() // the answer below is the test
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: herald.example.org\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, token, 2<<20, start)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // read only
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{Code: resp.StatusCode, Header: resp.Header, Body: body}
}
