package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db/dbtest"
)

func TestPublicPages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		w := buildWorld(t, b)
		for _, root := range roots {
			t.Run(root.name, func(t *testing.T) {
				get := func(path string) reply {
					t.Helper()
					return b.get(t, root.host, root.prefix+path)
				}
				requireHTML := func(r reply) string {
					t.Helper()
					require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
					require.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
					require.NotEmpty(t, r.Header.Get("Content-Security-Policy"))
					require.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
					return r.String()
				}

				t.Run("status page", func(t *testing.T) {
					html := requireHTML(get("/"))
					requireContains(t, html, "<title>Acme Cloud Status</title>")
					requireContains(t, html, `class="banner banner-major"`)
					requireContains(t, html, "Partial System Outage")
					requireNotContains(t, html, "could not be refreshed", "no stale notice while fresh")

					active, _, ok := strings.Cut(html, `<section aria-labelledby="comp-h">`)
					require.True(t, ok)
					requireContains(t, active, "Active incidents")
					requireContains(t, active, `href="`+root.prefix+`/incidents/`+w.active.ID+`"`)
					requireContains(t, active, "Elevated API errors")
					requireContains(t, active, "Rolling back.", "the latest update")
					requireNotContains(t, active, "We identified a faulty deploy.", "earlier updates are on the incident's page")
					requireContains(t, active, `>View the incident (1 earlier update)</a>`)
					requireContains(t, active, `<p class="contact">Contact: <bdi>https://acme.test/support</bdi></p>`)
					requireContains(t, active, `<time datetime="2026-03-10T11:00:00Z">Mar 10, 2026 11:00 UTC</time>`)
					requireContains(t, active, "Affects Public API")
					requireContains(t, active, "Maintenance in progress")
					requireContains(t, active, "Network maintenance")
					requireNotContains(t, active, "Login outage", "resolved incidents are not active")

					// Component status is in words, not only in colour.
					requireComponent := func(id, name, label string) {
						t.Helper()
						_, li, ok := strings.Cut(html, `<li class="component" id="c-`+id+`">`)
						require.True(t, ok, "component %s listed", name)
						li, _, _ = strings.Cut(li, "</li>\n")
						requireContains(t, li, name)
						requireContains(t, li, "</span>"+label+"</span>")
					}
					requireComponent(w.api.ID, "Public API", "Partial outage")
					requireComponent(w.site.ID, "Website", "Under maintenance")
					requireComponent(w.cdn.ID, "Edge CDN", "Operational") // a customers-only incident holds it for its customers only
					requireContains(t, html, `<h3 class="group-name">Core Platform <span class="cs cs-partial_outage">Partial outage</span></h3>`)

					// Uptime bars: 90 days per component, each with a tooltip.
					require.Equal(t, 3*90, strings.Count(html, `<span class="tip" role="tooltip">`))
					requireContains(t, html, `<li class="bar major" tabindex="0"><span class="tip" role="tooltip">`+
						`<time datetime="2026-03-10">Mar 10, 2026</time> 95.83% uptime<br><bdi>Elevated API errors</bdi></span></li>`)
					requireContains(t, html, `<time datetime="2026-03-09">Mar 9, 2026</time> 100.00% uptime</span>`)

					requireContains(t, html, "Scheduled maintenance")
					requireContains(t, html, "Database upgrade")
					requireContains(t, html, `<time datetime="2026-03-11T12:00:00Z">`)
					_, past, ok := strings.Cut(html, "Past incidents")
					require.True(t, ok)
					requireContains(t, past, `<time datetime="2026-03-08">Mar 8, 2026</time>`)
					requireContains(t, past, "Login outage")
					requireContains(t, html, `href="`+root.prefix+`/history.atom"`)
					requireContains(t, html, `href="`+root.prefix+`/api/v2/summary.json"`)
					requireNotContains(t, html, "Other page trouble")
				})

				t.Run("incident page", func(t *testing.T) {
					html := requireHTML(get("/incidents/" + w.active.ID))
					requireContains(t, html, "<title>Elevated API errors · Acme Cloud Status</title>", "the page's own title")
					requireContains(t, html, "<h1><bdi>Elevated API errors</bdi></h1>")
					requireContains(t, html, "Mitigating")
					requireContains(t, html, "Rolling back.")
					requireContains(t, html, "We identified a faulty deploy.")
					requireContains(t, html, "Affected: Public API")
					requireContains(t, html, `<time datetime="2026-03-10T11:10:00Z">`)
					requireContains(t, html, `href="`+root.prefix+`/"`)

					html = requireHTML(get("/incidents/" + w.past.ID))
					requireContains(t, html, "<h1><bdi>Login outage</bdi></h1>")
					requireContains(t, html, "Resolved <time datetime=\"2026-03-08T13:00:00Z\">")
					requireContains(t, html, "Observing")
				})

				t.Run("maintenance page", func(t *testing.T) {
					html := requireHTML(get("/maintenance/" + w.inProgress.ID))
					requireContains(t, html, "<title>Network maintenance · Acme Cloud Status</title>")
					requireContains(t, html, "<h1><bdi>Network maintenance</bdi></h1>")
					requireContains(t, html, "In progress")
					requireContains(t, html, "Work has started.")
					requireContains(t, html, "Affected: Website")
					requireContains(t, html, `<time datetime="2026-03-10T11:40:00Z">`)

					html = requireHTML(get("/maintenance/" + w.upcoming.ID))
					requireContains(t, html, "<h1><bdi>Database upgrade</bdi></h1>")
					requireContains(t, html, "Affected: Website</p>", "the hidden component is not listed")
				})

				t.Run("history", func(t *testing.T) {
					html := requireHTML(get("/history"))
					requireContains(t, html, "March 2026")
					requireContains(t, html, "February 2026")
					requireContains(t, html, "January 2026")
					requireContains(t, html, `href="`+root.prefix+`/incidents/`+w.past.ID+`"`)
					requireContains(t, html, "Elevated API errors")
					requireContains(t, html, "Network maintenance")
					requireNotContains(t, html, "Old storage incident", "older than the first history page")
					requireContains(t, html, `href="`+root.prefix+`/history?page=2" rel="next"`)
					requireNotContains(t, html, `rel="prev"`)

					html = requireHTML(get("/history?page=2"))
					requireContains(t, html, "November 2025")
					requireContains(t, html, "Old storage incident")
					requireNotContains(t, html, "Login outage")
					requireContains(t, html, `href="`+root.prefix+`/history" rel="prev"`)
					requireNotContains(t, html, `rel="next"`)

					r := get("/history?page=3")
					require.Equal(t, http.StatusNotFound, r.Code)
					requireContains(t, r.String(), "No more history")
				})

				t.Run("bad page numbers are 400", func(t *testing.T) {
					for _, q := range []string{"abc", "0", "-1", "1.5", "1001", "99999999999999999999"} {
						r := get("/history?page=" + q)
						require.Equal(t, http.StatusBadRequest, r.Code, "page=%s: %s", q, r.Body)
						require.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"))
						requireContains(t, r.String(), "The page number must be a whole number")
						requireContains(t, r.String(), "Acme Cloud", "the page's own error page")
					}
				})

				t.Run("unknown addresses are 404 HTML", func(t *testing.T) {
					for _, path := range []string{"/incidents/zzzzzzzzzzzz", "/incidents/" + w.otherIncident.ID,
						"/maintenance/zzzzzzzzzzzz", "/incidents/..%2F..%2Fetc%2Fpasswd", "/nothing-here"} {
						r := get(path)
						require.Equal(t, http.StatusNotFound, r.Code, "%s: %s", path, r.Body)
						require.Equal(t, "text/html; charset=utf-8", r.Header.Get("Content-Type"), path)
						requireContains(t, r.String(), "<!doctype html>", path)
					}
					r := get("/incidents/zzzzzzzzzzzz")
					requireContains(t, r.String(), "Incident not found")
					requireContains(t, r.String(), `href="`+root.prefix+`/"`, "links back to the page")
				})
			})
		}

		t.Run("each host gets its own page", func(t *testing.T) {
			r := b.get(t, "status.other.test", "/")
			require.Equal(t, http.StatusOK, r.Code)
			requireContains(t, r.String(), "Other Corp")
			requireContains(t, r.String(), "Other page trouble")
			requireNotContains(t, r.String(), "Elevated API errors")

			r = b.get(t, "STATUS.ACME.TEST:8443", "/")
			require.Equal(t, http.StatusOK, r.Code)
			requireContains(t, r.String(), "Acme Cloud", "host names match without case and port")
		})

		t.Run("slug without trailing slash serves the page", func(t *testing.T) {
			// Fiber's default (non-strict) routing matches /p/{slug}/ for
			// /p/{slug}, so the page answers there with links under /p/{slug}/.
			r := b.get(t, "", "/p/acme")
			require.Equal(t, http.StatusOK, r.Code)
			requireContains(t, r.String(), `href="/p/acme/incidents/`+w.active.ID+`"`)
		})

		t.Run("unknown slug is 404", func(t *testing.T) {
			r := b.get(t, "", "/p/nope/")
			require.Equal(t, http.StatusNotFound, r.Code)
			r = b.get(t, "", "/p/nope/api/v2/summary.json")
			requireAPIError(t, r, http.StatusNotFound)
		})
	})
}

// TestPublicOutputHidesNonPublicData checks every public URL, by host name
// and by slug, for names and ids of hidden components and of incidents
// meant for customers or staff only.
func TestPublicOutputHidesNonPublicData(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		w := buildWorld(t, b)
		for _, root := range roots {
			for _, path := range w.publicPaths() {
				r := b.get(t, root.host, root.prefix+path)
				require.Equal(t, http.StatusOK, r.Code, "%s %s: %s", root.name, path, r.Body)
				requireNoneOf(t, root.name+" "+path, r.Body, w.secrets)
				requireNoneOf(t, root.name+" "+path, r.Body, []string{w.otherIncident.Title, w.otherIncident.ID})
			}
			for _, id := range []string{w.internal.ID, w.customers.ID} {
				r := b.get(t, root.host, root.prefix+"/incidents/"+id)
				require.Equal(t, http.StatusNotFound, r.Code, "non-public incidents are not found")
				requireNoneOf(t, "404 page", r.Body, w.secrets)
			}
		}
		// The status page's uptime tooltip for the CDN, which the customers
		// incident degraded, names no incident.
		r := b.get(t, acmeHost, "/")
		_, cdn, ok := strings.Cut(r.String(), `id="c-`+w.cdn.ID+`"`)
		require.True(t, ok)
		cdn, _, _ = strings.Cut(cdn, "</li>\n")
		requireNotContains(t, cdn, "<br>", "no incident in the CDN's bars")
	})
}
