package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

var refPattern = regexp.MustCompile(`Something went wrong \(ref ([0-9a-f]{12})\)`)

// TestHandleErrorHidesInternalErrors drives the server's error handler with
// errors no route of the product returns on purpose: driver errors, internal
// status errors and panics. The client sees a reference, the log the detail.
func TestHandleErrorHidesInternalErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		logs := &lockedBuffer{}
		svc := status.New(bdb, status.Options{})
		s, err := New(Deps{Service: svc, Log: slog.New(slog.NewTextHandler(logs, nil))})
		require.NoError(t, err)
		statustest.Page(t, svc, &statustest.PageOpts{Slug: "err", Name: "Errand Status", Hosts: []string{"err.example"}})
		require.NoError(t, s.Snapshots().Refresh(t.Context()))

		const secret = `pq: password authentication failed for user "herald" at 10.1.2.3`
		app := fiber.New(fiber.Config{ErrorHandler: s.handleError})
		app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
		failing := map[string]fiber.Handler{
			"wrapped-driver-error": func(*fiber.Ctx) error { return fmt.Errorf("load page: %w", errors.New(secret)) },
			"internal-status-error": func(*fiber.Ctx) error {
				return &status.Error{Kind: status.KindInternal, Message: secret, Fields: map[string]string{"x": secret}}
			},
			"panic": func(*fiber.Ctx) error { panic(secret) },
		}
		var paths []string
		for name, h := range failing {
			for _, prefix := range []string{"/html/", "/p/err/", "/api/v1/", "/api/v2/"} {
				p := prefix + name
				app.Get(p, h)
				paths = append(paths, p)
			}
		}

		for _, path := range paths {
			t.Run(path, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, "http://err.example"+path, nil)
				resp, err := app.Test(req, -1)
				require.NoError(t, err)
				defer func() { _ = resp.Body.Close() }() // read only
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)

				require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
				require.NotContains(t, string(body), "password")
				require.NotContains(t, string(body), "10.1.2.3")
				require.NotContains(t, string(body), "goroutine", "no stack trace")
				m := refPattern.FindStringSubmatch(string(body))
				require.NotNil(t, m, "body names a reference: %s", body)
				ref := m[1]

				if strings.HasPrefix(path, "/api/") {
					require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
					var doc struct {
						Error struct {
							Status  int               `json:"status"`
							Message string            `json:"message"`
							Fields  map[string]string `json:"fields"`
							Ref     string            `json:"ref"`
						} `json:"error"`
					}
					require.NoError(t, json.Unmarshal(body, &doc))
					require.Equal(t, http.StatusInternalServerError, doc.Error.Status)
					require.Equal(t, ref, doc.Error.Ref)
					require.Empty(t, doc.Error.Fields, "internal errors show no fields")
				} else {
					require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
					require.Contains(t, string(body), "Errand Status", "the page's own error page")
					require.Contains(t, string(body), "<h1>Something went wrong</h1>")
				}

				// Logged once, with the reference and the detail.
				var lines []string
				for _, l := range bytes.Split([]byte(logs.String()), []byte("\n")) {
					if bytes.Contains(l, []byte(ref)) {
						lines = append(lines, string(l))
					}
				}
				require.Len(t, lines, 1, "one log line per failure: %s", logs.String())
				require.Contains(t, lines[0], "10.1.2.3", "the log keeps the detail")
			})
		}

		t.Run("safe errors keep their message", func(t *testing.T) {
			app := fiber.New(fiber.Config{ErrorHandler: s.handleError})
			app.Get("/api/v1/gone", func(*fiber.Ctx) error { return status.Errorf(status.KindNotFound, "Incident x not found.") })
			app.Get("/api/v1/busy", func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusServiceUnavailable, "Try again soon.") })
			for path, want := range map[string]struct {
				code int
				msg  string
			}{
				"/api/v1/gone": {http.StatusNotFound, "Incident x not found."},
				"/api/v1/busy": {http.StatusServiceUnavailable, "Try again soon."},
			} {
				resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				require.Equal(t, want.code, resp.StatusCode)
				require.Contains(t, string(body), want.msg)
				require.NotContains(t, string(body), `"ref"`, "only internal errors get a reference")
			}
		})
	})
}

// A token in the path never reaches the log.
func TestLoggedPathLeavesOutTokens(t *testing.T) {
	app := fiber.New()
	var got []string
	record := func(c *fiber.Ctx) error {
		got = append(got, loggedPath(c))
		return nil
	}
	app.Post("/hooks/:hook/:token", record)
	app.Post("/hooks/:hook", record)
	for _, path := range []string{"/hooks/generic/s3cr3t-t0ken", "/hooks/generic"} {
		resp, err := app.Test(httptest.NewRequest(http.MethodPost, path, nil))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	require.Equal(t, []string{"/hooks/generic/…", "/hooks/generic"}, got)
}
