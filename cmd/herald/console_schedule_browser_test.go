package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A scheduled update waits in the console until its time on the service's
// clock, then the clock job publishes it.
func TestConsoleScheduledUpdateInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			clock := statustest.NewClock(time.Now().Truncate(time.Minute))
			tick := time.Second
			w := setupFlow(t, startAppWith(t, d, false, appOptions{now: clock.Now, tick: tick}))
			inc := statustest.Incident(t, w.a.svc, w.page.ID, &statustest.IncidentOpts{Title: "Slow checkout", Author: "Casey",
				Components: []status.ComponentStatusInput{{ComponentID: w.checkout.ID, Status: status.DegradedPerformance}}})
			console, public := w.pageAdmin+"/incidents/"+inc.ID, w.pubBase+"/incidents/"+inc.ID
			sess := newSession(t, browser)
			signIn(t, sess, w.a.URL, w.casey)
			tb, pub := newTab(t, sess), newTab(t, sess)
			tb.open(t, console)

			const body = "Checkout is back to normal speed after the cache warm-up."
			at := clock.Now().Add(20 * time.Minute).In(w.loc)
			button := `form[action$="/updates"] button[type=submit]`
			require.Equal(t, "Publish update", textOf(t, tb, button))
			setField(t, tb, "#kind", "progress")
			setField(t, tb, "#body", body)
			setField(t, tb, "#publish_at", at.Format(localLayout))
			require.Equal(t, "Schedule update", textOf(t, tb, button), "preview.js names what the button does")
			setField(t, tb, "#publish_at", "")
			require.Equal(t, "Publish update", textOf(t, tb, button))
			setField(t, tb, "#publish_at", at.Format(localLayout))
			require.Equal(t, int64(http.StatusOK), submit(t, tb, button))

			pending := `ul.scheduled li.scheduled-pending`
			require.Equal(t, "Scheduled updates", textOf(t, tb, "#scheduled-h"))
			require.Contains(t, textOf(t, tb, pending), body)
			require.Contains(t, textOf(t, tb, pending), "pending")
			require.Equal(t, at.UTC().Format(time.RFC3339), eval[string](t, tb, `document.querySelector('`+pending+` time').getAttribute('datetime')`),
				"publish_at is read in the page's time zone")
			require.Empty(t, updateHead(t, tb, body), "not among the customer updates yet")
			require.Contains(t, timeline(t, tb), "Scheduled a progress update for "+at.Format("2 Jan 15:04 MST"))

			// Two ticks pass: a clock job that ignored the time would have
			// published it by now.
			time.Sleep(2*tick + 500*time.Millisecond)
			awaitSnapshot(t, w)
			pub.open(t, public)
			require.NotEmpty(t, updateHead(t, pub, "We are investigating"), "the public page shows the incident")
			require.Empty(t, updateHead(t, pub, body), "a scheduled update is not public before its time")

			clock.Advance(21 * time.Minute)
			require.Contains(t, awaitUpdate(t, pub, public, body), "Progress", "published by the clock job within 5 s")
			tb.open(t, console)
			require.Contains(t, textOf(t, tb, `ul.scheduled li.scheduled-published`), body)
			require.Zero(t, count(t, tb, pending))
			require.Contains(t, updateHead(t, tb, body), "Progress")
			tb.requireQuiet(t, "scheduling an update")
			t.Logf("%s: the scheduled update took %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// hostileTitle would run script, were it not escaped.
