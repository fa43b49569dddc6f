package web_test

import (
	"net/http"
	"testing"

	"github.com/mmcdole/gofeed"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A feed reader has no page to resolve a relative link on: links in the
// feeds are absolute against HERALD_BASE_URL (issue 14.10), on a page's
// own host name too; the page itself keeps them relative.
func TestFeedLinksAreAbsolute(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "links"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Links",
			Body: "See [the other page](/p/acme/), [a graph](graphs/1) and the [postmortem](https://example.com/pm)."})
		b.refresh(t)
		for _, host := range []string{"", "status.links.example"} {
			if host != "" {
				_, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{Hosts: &[]string{host}})
				require.NoError(t, err)
				b.refresh(t)
			}
			for _, path := range []string{"/history.atom", "/history.rss"} {
				if host == "" {
					path = "/p/links" + path
				}
				r := b.get(t, host, path)
				require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
				feed, err := gofeed.NewParser().ParseString(r.String())
				require.NoError(t, err)
				require.Len(t, feed.Items, 1)
				html := feed.Items[0].Description + feed.Items[0].Content
				require.Contains(t, html, `href="`+baseURL+`/p/acme/"`, path)
				require.Contains(t, html, `href="`+baseURL+`/graphs/1"`, path)
				require.Contains(t, html, `href="https://example.com/pm"`, path)
				require.NotContains(t, html, `href="/`, path)
			}
		}
		page := b.get(t, "status.links.example", "/incidents/"+inc.ID)
		require.Equal(t, http.StatusOK, page.Code)
		require.Contains(t, page.String(), `href="/p/acme/"`, "the page keeps its links as written")
	})
}
