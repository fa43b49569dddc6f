package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// On a phone, two long-running incidents leave the components within the
// first two screenfuls: each active incident shows its latest update and a
// link to the others, which its own page shows.
func TestStatusPageLatestUpdatesOnAPhone(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	artifacts := artifactsDir(t)
	const updates = 8
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			clock := statustest.NewClock(time.Now().Add(-3 * time.Hour).Truncate(time.Minute))
			a := startAppWith(t, d, false, appOptions{now: clock.Now})
			page, incs := longIncidents(t, a, clock, updates)
			require.NoError(t, a.server.Snapshots().Refresh(t.Context()))

			tb := newTab(t, browser)
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)))
			home := a.URL + "/p/" + page.Slug + "/"
			tb.open(t, home)

			cards := eval[[]struct {
				Updates int    `json:"updates"`
				Link    string `json:"link"`
				Href    string `json:"href"`
				Shown   bool   `json:"shown"`
			}](t, tb, `(() => {
				const shown = `+jsIsShown+`;
				return [...document.querySelectorAll('section[aria-labelledby="active-h"] article.incident')].map(c => {
					const a = c.querySelector('p.more a');
					return {updates: c.querySelectorAll('li.update').length, link: a ? a.textContent.trim() : '',
						href: a ? a.getAttribute('href') : '', shown: !!a && shown(a)};
				});
			})()`)
			require.Len(t, cards, len(incs))
			hrefs := map[string]bool{}
			for _, c := range cards {
				require.Equal(t, 1, c.Updates, "an active incident shows its latest update")
				require.Equal(t, fmt.Sprintf("View the incident (%d earlier updates)", updates-1), c.Link)
				require.True(t, c.Shown, "the link to the incident is visible")
				hrefs[c.Href] = true
			}
			for _, inc := range incs {
				require.True(t, hrefs["/p/"+page.Slug+"/incidents/"+inc.ID], "a link to incident %s", inc.ID)
			}

			require.NoError(t, chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)))
			m := eval[struct {
				Top         float64 `json:"top"`
				Inner       float64 `json:"inner"`
				InnerWidth  int64   `json:"innerWidth"`
				ScrollWidth int64   `json:"scrollWidth"`
			}](t, tb, `({top: document.querySelector('section[aria-labelledby="comp-h"]').getBoundingClientRect().top,
				inner: window.innerHeight, innerWidth: window.innerWidth,
				scrollWidth: document.documentElement.scrollWidth})`)
			t.Logf("components start at %.0f px; a screenful is %.0f px", m.Top, m.Inner)
			require.Less(t, m.Top, 2*m.Inner, "the components start within the first two screenfuls")
			require.LessOrEqual(t, m.ScrollWidth, m.InnerWidth, "no horizontal scrolling at 390 px")

			png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
			require.NoError(t, err)
			name := filepath.Join(artifacts, fmt.Sprintf("status-latest-phone-%s.png", d))
			require.NoError(t, os.WriteFile(name, png, 0o644))
			t.Logf("screenshot: %s", name)
			tb.requireQuiet(t, "the status page")

			// The link leads to the incident's page, which has every update.
			resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(`section[aria-labelledby="active-h"] p.more a`)))
			require.NoError(t, err)
			require.Equal(t, int64(http.StatusOK), resp.Status)
			require.Equal(t, updates, eval[int](t, tb, `document.querySelectorAll('article.incident-detail li.update').length`),
				"the incident's page shows every update")
			require.LessOrEqual(t, eval[int64](t, tb, `document.documentElement.scrollWidth`), m.InnerWidth,
				"no horizontal scrolling on the incident's page")
			tb.requireQuiet(t, "the incident page")
		})
	}
}

// longIncidents fills a page with eight components in two groups and two
// active incidents of n updates each, ten minutes apart on clock; it leaves
// the clock at the present.
func longIncidents(t *testing.T, a *testApp, clock *statustest.Clock, n int) (*status.Page, []*status.Incident) {
	t.Helper()
	svc, ctx := a.svc, t.Context()
	page := statustest.Page(t, svc, &statustest.PageOpts{Slug: "shop", Name: "Shop", SupportEmail: "support@shop.test"})
	var comps []*status.Component
	for g, group := range []string{"Storefront", "Back office"} {
		grp := statustest.Group(t, svc, page.ID, &statustest.GroupOpts{Name: group, Position: g + 1})
		for i := range 4 {
			comps = append(comps, statustest.Component(t, svc, page.ID, &statustest.ComponentOpts{
				Name: fmt.Sprintf("%s service %d", group, i+1), GroupID: &grp.ID, Position: i + 1}))
		}
	}
	const body = "We are still working on the problem. The error rate fell after the last change, " +
		"but some requests still fail; we are replacing the remaining nodes one by one.\n\n" +
		"Next we check the queues and tell you as soon as we know more."
	var incs []*status.Incident
	for i, title := range []string{"Checkout fails for some customers", "Search results are delayed"} {
		inc := statustest.Incident(t, svc, page.ID, &statustest.IncidentOpts{Title: title, Severity: status.SeverityMajor,
			Body: "Update 1. " + body, Components: []status.ComponentStatusInput{{ComponentID: comps[i*4].ID, Status: status.PartialOutage}}})
		incs = append(incs, inc)
	}
	for u := 2; u <= n; u++ {
		clock.Advance(10 * time.Minute)
		for _, inc := range incs {
			_, err := svc.Incidents.PostUpdate(ctx, page.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress,
				Body: fmt.Sprintf("Update %d. %s", u, body)})
			require.NoError(t, err)
		}
	}
	clock.Set(time.Now())
	return page, incs
}
