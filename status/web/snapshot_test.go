package web_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// pageShows reports whether GET path on srv answers 200 with want in the
// body. It does not fail the test, so require.Eventually may poll it.
func pageShows(srv *web.Server, path, want string) bool {
	resp, err := srv.App().Test(newRequest(http.MethodGet, "", path), -1)
	if err != nil {
		return false
	}
	defer func() { _ = resp.Body.Close() }() // read only
	body, err := io.ReadAll(resp.Body)
	return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(body), want)
}

// TestSnapshotsFollowOtherReplicas changes data through a second
// Service/Server pair with its own connection pool on the same database,
// as another replica would, and watches the first server pick it up.
func TestSnapshotsFollowOtherReplicas(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		u := dbtest.URL(t, dialectOf(bdb))
		open := func() *bun.DB {
			x, err := db.Open(t.Context(), u)
			require.NoError(t, err)
			t.Cleanup(func() { _ = x.Close() })
			return x
		}
		a := setup(t, open())
		other := setup(t, open())

		p := statustest.Page(t, other.svc, &statustest.PageOpts{Slug: "fresh", Name: "Fresh Page"})
		statustest.Component(t, other.svc, p.ID, &statustest.ComponentOpts{Name: "Fresh API"})
		require.Equal(t, http.StatusNotFound, a.get(t, "", "/p/fresh/").Code, "replica A has not looked yet")
		a.refresh(t)
		require.True(t, pageShows(a.srv, "/p/fresh/", "Fresh API"))

		t.Run("after Refresh", func(t *testing.T) {
			inc := statustest.Incident(t, other.svc, p.ID, &statustest.IncidentOpts{Title: "Seen by replica A"})
			require.False(t, pageShows(a.srv, "/p/fresh/", "Seen by replica A"), "served from the snapshot until a refresh")
			a.refresh(t)
			require.True(t, pageShows(a.srv, "/p/fresh/", "Seen by replica A"))
			require.True(t, pageShows(a.srv, "/p/fresh/api/v2/incidents/unresolved.json", inc.ID))
			require.True(t, pageShows(a.srv, "/p/fresh/history.atom", "Seen by replica A"))

			_, err := other.svc.Incidents.PostUpdate(other.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved,
				Kind: status.KindResolution, Resolution: status.ResolutionPermanent, Body: "Fixed by replica B."})
			require.NoError(t, err)
			a.refresh(t)
			require.True(t, pageShows(a.srv, "/p/fresh/incidents/"+inc.ID, "Fixed by replica B."))
			require.True(t, pageShows(a.srv, "/p/fresh/api/v2/incidents/unresolved.json", `"incidents":[]`))
		})

		t.Run("page renamed, re-hosted and deleted elsewhere", func(t *testing.T) {
			_, err := other.svc.Pages.Update(other.ctx, p.ID, status.PagePatch{Name: statustest.Ptr("Renamed Page"),
				Hosts: &[]string{"fresh.example.net"}})
			require.NoError(t, err)
			a.refresh(t)
			require.True(t, pageShows(a.srv, "/p/fresh/", "Renamed Page"))
			r := a.get(t, "fresh.example.net", "/api/v2/status.json")
			require.Equal(t, http.StatusOK, r.Code)
			requireContains(t, r.String(), `"url":"https://fresh.example.net"`)

			require.NoError(t, other.svc.Pages.Delete(other.ctx, p.ID))
			a.refresh(t)
			require.Equal(t, http.StatusNotFound, a.get(t, "", "/p/fresh/").Code)
		})

		t.Run("Start keeps polling", func(t *testing.T) {
			q := statustest.Page(t, other.svc, &statustest.PageOpts{Slug: "polled"})
			c := setup(t, a.db, withRefreshInterval(50*time.Millisecond))
			ctx, cancel := context.WithCancel(t.Context())
			t.Cleanup(cancel)
			c.srv.Start(ctx)
			require.True(t, pageShows(c.srv, "/p/polled/", "All Systems Operational"), "Start loads the first snapshots")

			statustest.Incident(t, other.svc, q.ID, &statustest.IncidentOpts{Title: "Polled change"})
			require.Eventually(t, func() bool { return pageShows(c.srv, "/p/polled/", "Polled change") },
				5*time.Second, 20*time.Millisecond)
			require.Eventually(t, func() bool { return pageShows(c.srv, "/p/polled/badge.svg", "Minor Service Outage") },
				5*time.Second, 20*time.Millisecond)
		})

		t.Run("own changes show at once", func(t *testing.T) {
			// A long interval: only the service's Changed hook can explain a
			// quick refresh.
			c := setup(t, a.db, withRefreshInterval(time.Hour))
			ctx, cancel := context.WithCancel(t.Context())
			t.Cleanup(cancel)
			c.srv.Start(ctx)
			q := statustest.Page(t, c.svc, &statustest.PageOpts{Slug: "kicked"})
			statustest.Incident(t, c.svc, q.ID, &statustest.IncidentOpts{Title: "Kicked change"})
			require.Eventually(t, func() bool { return pageShows(c.srv, "/p/kicked/", "Kicked change") },
				5*time.Second, 20*time.Millisecond)
		})
	})
}

// TestDatabaseDown closes the database under a running server: public
// pages keep answering from the snapshot, marked stale; readiness fails.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		own, _ := openSeparate(t, bdb)
		b := setup(t, own, withReady(func(ctx context.Context) error { return own.PingContext(ctx) }))
		w := buildWorld(t, b)
		tok, _, err := b.svc.Accounts.CreateToken(b.ctx, "ops", status.RoleAdmin)
		require.NoError(t, err)

		r := b.get(t, "", "/readyz")
		require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
		require.Equal(t, "ok", decodeObject(t, r.Body)["status"])

		require.NoError(t, own.Close())
		require.Error(t, b.srv.Snapshots().Refresh(b.ctx), "the refresh notices the database is gone")

		for _, root := range roots {
			for _, path := range w.publicPaths() {
				r := b.get(t, root.host, root.prefix+path)
				require.Equal(t, http.StatusOK, r.Code, "%s %s: %s", root.name, path, r.Body)
				if strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
					requireContains(t, r.String(), "could not be refreshed", "%s %s shows the stale notice", root.name, path)
					requireContains(t, r.String(), `<div class="stale" role="status">`)
				}
				requireNoneOf(t, path, r.Body, w.secrets)
			}
			r := b.get(t, root.host, root.prefix+"/")
			requireContains(t, r.String(), "Elevated API errors", "the last known state")
			r = b.get(t, root.host, root.prefix+"/incidents/zzzzzzzzzzzz")
			require.Equal(t, http.StatusNotFound, r.Code)
			requireContains(t, r.String(), "could not be refreshed")
		}
		require.Equal(t, http.StatusOK, b.get(t, acmeHost, "/api/v2/summary.json", "Accept-Encoding", "gzip").Code)

		r = b.get(t, "", "/readyz")
		require.Equal(t, http.StatusServiceUnavailable, r.Code, "body: %s", r.Body)
		doc := decodeObject(t, r.Body)
		require.Equal(t, "unavailable", doc["status"])
		require.Equal(t, "unavailable", doc["checks"].(map[string]any)["database"])
		require.Contains(t, doc["checks"].(map[string]any)["snapshots"], "stale since")
		requireNotContains(t, r.String(), "closed", "no driver error text")
		require.Equal(t, http.StatusOK, b.get(t, "", "/healthz").Code, "the process itself is fine")

		// The admin API needs the database: an internal error, shown safely.
		r = b.do(t, apiRequest(http.MethodGet, "/api/v1/pages", tok, nil))
		requireAPIError(t, r, http.StatusInternalServerError)
		require.Regexp(t, `Something went wrong \(ref [0-9a-f]{12}\)`, r.String())
		requireNotContains(t, r.String(), "closed")
		requireNotContains(t, r.String(), "sql")
		ref := decodeObject(t, r.Body)["error"].(map[string]any)["ref"].(string)
		require.Contains(t, b.logs.String(), "ref="+ref, "the log has the reference…")
		require.Contains(t, b.logs.String(), "database is closed", "…and the detail")
	})
}

// TestDatabaseDownAtStart starts a server whose database is unreachable:
// pages answer 503, never 500, until a first snapshot exists.
func TestDatabaseDownAtStart(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		own, _ := openSeparate(t, bdb)
		b := setup(t, own, withReady(func(ctx context.Context) error { return own.PingContext(ctx) }))
		statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "down"})
		require.NoError(t, own.Close())
		ctx, cancel := context.WithCancel(t.Context())
		t.Cleanup(cancel)
		b.srv.Start(ctx)

		r := b.get(t, "", "/p/down/")
		require.Equal(t, http.StatusServiceUnavailable, r.Code, "body: %s", r.Body)
		require.Contains(t, r.Header.Get("Content-Type"), "text/html")
		requireContains(t, r.String(), "starting up")
		r = b.get(t, "", "/")
		require.Equal(t, http.StatusServiceUnavailable, r.Code, "body: %s", r.Body)
		r = b.get(t, "", "/p/down/api/v2/summary.json")
		requireAPIError(t, r, http.StatusServiceUnavailable)
		require.Equal(t, http.StatusServiceUnavailable, b.get(t, "", "/readyz").Code)
	})
}
