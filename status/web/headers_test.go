package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
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

// User text keeps its direction to itself: titles in <bdi>, bodies with
// dir="auto", and a title that holds a direction control from before it
// was refused is isolated in the document title too.
func TestUserTextIsIsolated(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "bidi"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Old title", Body: "Body \u202Etxt.exe"})
		_, err := bdb.NewUpdate().Table("incidents").Set("title = ?", "Login \u202Egnp.exe").Where("id = ?", inc.ID).Exec(b.ctx)
		require.NoError(t, err)
		b.refresh(t)
		page := b.get(t, "", "/p/bidi/incidents/"+inc.ID).String()
		requireContains(t, page, "<h1><bdi>Login \u202Egnp.exe</bdi></h1>")
		requireContains(t, page, "<title>\u2068Login \u202Egnp.exe\u2069 · ")
		requireContains(t, page, `<div class="body" dir="auto"><p>Body `+"\u202E")
		requireContains(t, b.get(t, "", "/p/bidi/").String(), "<bdi>Login \u202Egnp.exe</bdi></a></h3>")
		requireContains(t, b.get(t, "", "/p/bidi/history.atom").String(), "<title>\u2068Login \u202Egnp.exe\u2069</title>", "feeds isolate it too")
		br := customerBrowser(t, b.testBundle, status.RoleViewer)
		console := br.send(http.MethodGet, "/console/pages/"+p.ID+"/incidents/"+inc.ID, nil).String()
		requireContains(t, console, "<h1><bdi>Login \u202Egnp.exe</bdi></h1>")
		requireContains(t, br.send(http.MethodGet, "/console/", nil).String(), "<bdi>Login \u202Egnp.exe</bdi>")
	})
}
