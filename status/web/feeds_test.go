package web_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

func TestFeeds(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		w := buildWorld(t, b)
		wantTitles := []string{"Database upgrade", "Network maintenance", "Elevated API errors", "Login outage", "Old storage incident"}

		for _, root := range roots {
			// The feeds' links are absolute and point at the page's canonical
			// address, its host name, however the feed was requested.
			pageURL := "https://" + acmeHost
			for _, tc := range []struct{ path, feedType, contentType string }{
				{"/history.atom", "atom", "application/atom+xml; charset=utf-8"},
				{"/history.rss", "rss", "application/rss+xml; charset=utf-8"},
			} {
				t.Run(root.name+" "+tc.feedType, func(t *testing.T) {
					r := b.get(t, root.host, root.prefix+tc.path)
					require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
					require.Equal(t, tc.contentType, r.Header.Get("Content-Type"))
					requireNoneOf(t, tc.path, r.Body, w.secrets)

					feed, err := gofeed.NewParser().ParseString(r.String())
					require.NoError(t, err)
					require.Equal(t, tc.feedType, feed.FeedType)
					require.Equal(t, "Acme Cloud Status - Incident History", feed.Title)
					require.Equal(t, pageURL, feed.Link)
					require.Equal(t, pageURL+tc.path, feed.FeedLink)

					var titles []string
					for _, it := range feed.Items {
						titles = append(titles, it.Title)
						u, err := url.Parse(it.Link)
						require.NoError(t, err)
						require.True(t, u.IsAbs(), "absolute link %q", it.Link)
						require.Equal(t, "https", u.Scheme)
						require.Equal(t, acmeHost, u.Host)
						require.True(t, strings.HasPrefix(u.Path, "/incidents/") || strings.HasPrefix(u.Path, "/maintenance/"), it.Link)
						require.NotEmpty(t, it.GUID)
						require.NotNil(t, it.PublishedParsed, "%s has a parsable date", it.Title)
					}
					require.ElementsMatch(t, wantTitles, titles, "public incidents and maintenances only")

					items := map[string]*gofeed.Item{}
					for _, it := range feed.Items {
						items[it.Title] = it
					}
					active := items["Elevated API errors"]
					require.Equal(t, pageURL+"/incidents/"+w.active.ID, active.Link)
					require.Equal(t, "2026-03-10T11:00:00Z", active.PublishedParsed.UTC().Format("2006-01-02T15:04:05Z"))
					text := active.Description + active.Content
					requireContains(t, text, "Rolling back.")
					requireContains(t, text, "<strong>Mitigating</strong>", "the HTML survives one round of escaping")
					require.Equal(t, pageURL+"/maintenance/"+w.upcoming.ID, items["Database upgrade"].Link)
				})
			}
		}

		t.Run("page without a host name links under the base URL", func(t *testing.T) {
			_, err := b.svc.Pages.Update(b.ctx, w.other.ID, status.PagePatch{Hosts: &[]string{}})
			require.NoError(t, err)
			b.refresh(t)
			r := b.get(t, "", "/p/other/history.atom")
			require.Equal(t, http.StatusOK, r.Code)
			feed, err := gofeed.NewParser().ParseString(r.String())
			require.NoError(t, err)
			require.Equal(t, baseURL+"/p/other", feed.Link)
			require.Len(t, feed.Items, 1)
			require.Equal(t, baseURL+"/p/other/incidents/"+w.otherIncident.ID, feed.Items[0].Link)
		})

		t.Run("badge", func(t *testing.T) {
			for _, root := range roots {
				r := b.get(t, root.host, root.prefix+"/badge.svg")
				require.Equal(t, http.StatusOK, r.Code)
				require.Equal(t, "image/svg+xml", r.Header.Get("Content-Type"))
				var svg struct {
					XMLName xml.Name
					Label   string   `xml:"aria-label,attr"`
					Title   string   `xml:"title"`
					Texts   []string `xml:"g>text"`
				}
				require.NoError(t, xml.Unmarshal(r.Body, &svg))
				require.Equal(t, "svg", svg.XMLName.Local)
				require.Equal(t, "http://www.w3.org/2000/svg", svg.XMLName.Space)
				require.Equal(t, "status: Partial System Outage", svg.Label)
				require.Equal(t, "status: Partial System Outage", svg.Title)
				require.Equal(t, []string{"status", "Partial System Outage"}, svg.Texts)
				requireNoneOf(t, "badge", r.Body, w.secrets)
			}
		})
	})
}
