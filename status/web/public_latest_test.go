package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// latestWorld is a page with an active incident of six public updates (and
// an internal note after them), an active incident of one update, a
// resolved incident of two updates and a maintenance in progress.
type latestWorld struct {
	page                *status.Page
	api                 *status.Component
	long, short, closed *status.Incident
	maint               *status.Maintenance
}

// sixth is the body of the long incident's newest update, with markup that
// must stay text.
const sixth = `Update 6 of 6: the fix is rolling out <script>alert("six")</script>`

func buildLatestWorld(t *testing.T, b *testBundle) latestWorld {
	t.Helper()
	svc, ctx := b.svc, b.ctx
	w := latestWorld{}
	b.clock.Set(epoch.AddDate(0, 0, -1))
	w.page = statustest.Page(t, svc, &statustest.PageOpts{Slug: "acme", Name: "Acme Cloud", Hosts: []string{acmeHost},
		SupportEmail: "support@acme.test"})
	w.api = statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Public API"})
	site := statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Website"})

	w.closed = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Yesterday's login trouble",
		Body: "Closed incident, first update.", Components: affect(site.ID, status.DegradedPerformance)})
	b.clock.Advance(20 * time.Minute)
	_, err := svc.Incidents.PostUpdate(ctx, w.page.ID, w.closed.ID, status.UpdateInput{State: status.StateResolved,
		Kind: status.KindResolution, Resolution: status.ResolutionPermanent, Body: "Closed incident, last update."})
	require.NoError(t, err)

	b.clock.Set(epoch.Add(-3 * time.Hour))
	w.long = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Elevated API errors",
		Severity: status.SeverityMajor, Body: "Update 1 of 6: we are looking.", Components: affect(w.api.ID, status.PartialOutage)})
	for i := 2; i <= 6; i++ {
		b.clock.Advance(25 * time.Minute)
		in := status.UpdateInput{Kind: status.KindProgress, Body: fmt.Sprintf("Update %d of 6: still at it.", i)}
		if i == 6 {
			eta := b.clock.Now().Add(2 * time.Hour)
			in = status.UpdateInput{State: status.StateMitigating, Kind: status.KindETA, ETA: &eta, Body: sixth,
				Components: affect(w.api.ID, status.DegradedPerformance)}
		}
		_, err = svc.Incidents.PostUpdate(ctx, w.page.ID, w.long.ID, in)
		require.NoError(t, err)
	}
	b.clock.Advance(time.Minute)
	_, err = svc.Incidents.AddNote(ctx, w.page.ID, w.long.ID, "Internal note: Quokka cluster is the cause.", "Casey", nil)
	require.NoError(t, err)

	w.short = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Slow website",
		Body: "Only update of the short incident.", Components: affect(site.ID, status.DegradedPerformance)})
	w.maint = statustest.Maintenance(t, svc, w.page.ID, &statustest.MaintenanceOpts{Title: "Network maintenance",
		Description: "Maintenance description.", ScheduledFor: epoch.Add(-10 * time.Minute), ScheduledUntil: epoch.Add(time.Hour),
		ComponentIDs: []string{site.ID}})
	b.clock.Advance(time.Minute)
	_, err = svc.Maintenances.PostUpdate(ctx, w.page.ID, w.maint.ID, status.MaintenanceUpdateInput{State: status.MaintenanceInProgress,
		Body: "Maintenance has started."})
	require.NoError(t, err)

	b.clock.Set(epoch)
	b.refresh(t)
	return w
}

// cardOf cuts the incident card of the incident with id out of html.
func cardOf(t *testing.T, html, id string) string {
	t.Helper()
	_, card, ok := strings.Cut(html, `<article class="incident impact-`)
	for ok && !strings.Contains(card[:strings.Index(card, ">")], `aria-labelledby="inc-`+id+`"`) {
		_, card, ok = strings.Cut(card, `<article class="incident impact-`)
	}
	require.True(t, ok, "a card for incident %s", id)
	card, _, ok = strings.Cut(card, "</article>")
	require.True(t, ok)
	return card
}

func TestStatusPageShowsEachActiveIncidentsLatestUpdate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		w := buildLatestWorld(t, b)
		for _, root := range roots {
			t.Run(root.name, func(t *testing.T) {
				r := b.get(t, root.host, root.prefix+"/")
				require.Equal(t, http.StatusOK, r.Code)
				html := r.String()
				active, rest, ok := strings.Cut(html, `<section aria-labelledby="comp-h">`)
				require.True(t, ok)

				long := cardOf(t, active, w.long.ID)
				requireContains(t, long, "Update 6 of 6: the fix is rolling out", "the newest update")
				requireNotContains(t, long, "<script>alert", "an update's markup stays text")
				for i := 1; i <= 5; i++ {
					requireNotContains(t, html, fmt.Sprintf("Update %d of 6", i), "earlier updates are on the incident's page")
				}
				require.Equal(t, 1, strings.Count(long, `<li class="update">`), "one update")
				requireContains(t, long, `<strong class="state state-mitigating">Mitigating</strong>`, "the update's state")
				requireContains(t, long, `<time datetime="2026-03-10T11:05:00Z">Mar 10, 2026 11:05 UTC</time>`, "the update's time")
				requireContains(t, long, `Expected resolution by <time datetime="2026-03-10T13:05:00Z">`, "the update's ETA")
				requireContains(t, long, "Public API: Partial outage → ", "the update's component change")
				requireContains(t, long, `Started <time datetime="2026-03-10T09:00:00Z">`)
				requireContains(t, long, "Affects Public API")
				requireContains(t, long, `<p class="next-update">`)
				requireContains(t, long, `<p class="contact">Contact: <bdi>support@acme.test</bdi></p>`)
				requireContains(t, long, `<a href="`+root.prefix+`/incidents/`+w.long.ID+`" aria-describedby="inc-`+w.long.ID+`">`+
					`View the incident (5 earlier updates)</a>`, "the link counts the public updates only")
				requireNotContains(t, html, "Quokka", "internal notes never reach the public")

				short := cardOf(t, active, w.short.ID)
				requireContains(t, short, "Only update of the short incident.")
				requireContains(t, short, `">View the incident</a>`, "no count when there is nothing earlier")

				// Maintenance and past incidents are as they were.
				requireContains(t, active, "Maintenance has started.")
				requireNotContains(t, active, "Maintenance description.", "a maintenance card shows its latest update")
				requireNotContains(t, rest, "View the incident", "past incidents keep their updates")
				requireContains(t, rest, "Closed incident, first update.")
				requireContains(t, rest, "Closed incident, last update.")

				page := b.get(t, root.host, root.prefix+"/incidents/"+w.long.ID)
				require.Equal(t, http.StatusOK, page.Code)
				require.Equal(t, 6, strings.Count(page.String(), `<li class="update">`), "the incident's page has every update")
				for i := 1; i <= 6; i++ {
					requireContains(t, page.String(), fmt.Sprintf("Update %d of 6", i))
				}
				requireNotContains(t, page.String(), "View the incident")

				requireJSONUpdates(t, b.get(t, root.host, root.prefix+"/api/v2/incidents/unresolved.json"), w.long.ID, 6)
			})
		}

		t.Run("a new update takes the card over", func(t *testing.T) {
			etag := b.get(t, acmeHost, "/").Header.Get("ETag")
			b.clock.Advance(time.Minute)
			_, err := b.svc.Incidents.PostUpdate(b.ctx, w.page.ID, w.long.ID, status.UpdateInput{Kind: status.KindProgress,
				Body: "Update 7: nearly there."})
			require.NoError(t, err)
			b.refresh(t)
			r := b.get(t, acmeHost, "/", "If-None-Match", etag)
			require.Equal(t, http.StatusOK, r.Code, "the page changed")
			long := cardOf(t, r.String(), w.long.ID)
			requireContains(t, long, "Update 7: nearly there.")
			requireNotContains(t, long, "Update 6 of 6")
			requireContains(t, long, ">View the incident (6 earlier updates)</a>")
			requireJSONUpdates(t, b.get(t, acmeHost, "/api/v2/summary.json"), w.long.ID, 7)
		})
	})
}

// requireJSONUpdates checks that the Statuspage JSON in r carries every
// update of the incident with id.
func requireJSONUpdates(t *testing.T, r reply, id string, want int) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Code)
	var doc struct {
		Incidents []struct {
			ID      string            `json:"id"`
			Updates []json.RawMessage `json:"incident_updates"`
		} `json:"incidents"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &doc))
	for _, inc := range doc.Incidents {
		if inc.ID == id {
			require.Len(t, inc.Updates, want, "the JSON carries every update")
			return
		}
	}
	t.Fatalf("incident %s not in the JSON", id)
}
