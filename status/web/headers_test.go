package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Every answer forbids content sniffing: pages, JSON, feeds, the badge,
// the admin API, the hooks and the errors of each.
func TestEveryAnswerIsNoSniff(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "sniff"})
		b.refresh(t)
		for _, path := range []string{"/p/sniff/", "/p/sniff/api/v2/summary.json", "/p/sniff/api/v2/nope.json", "/p/sniff/history.atom",
			"/p/sniff/history.rss", "/p/sniff/badge.svg", "/p/sniff/incidents/nope", "/healthz", "/console/login", "/no/such/page"} {
			r := b.get(t, "", path)
			require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"), path)
		}
		for _, r := range []reply{b.call(t, http.MethodGet, "/api/v1/pages", nil), b.do(t, apiRequest(http.MethodGet, "/api/v1/pages", "wrong", nil)),
			b.do(t, apiRequest(http.MethodPost, "/hooks/generic", "wrong", "{}"))} {
			require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
		}
	})
}
