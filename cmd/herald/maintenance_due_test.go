package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

// maintenanceSwitchBound is how late after its start (or end) a
// maintenance may show as in progress (or over) on the public page.
const maintenanceSwitchBound = 5 * time.Second

// A maintenance shows as in progress on the public page within
// maintenanceSwitchBound of its start, and is gone within as long after
// its end, while the clock job is an hour away: the jobs queued with the
// maintenance switch it.
func TestMaintenanceSwitchesThePageOnTime(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			a := startAppWith(t, d, false, appOptions{tick: time.Hour})
			ctx := t.Context()
			p, err := a.svc.Pages.Create(ctx, status.PageInput{Slug: "main", Name: "Main"})
			require.NoError(t, err)
			c, err := a.svc.Pages.CreateComponent(ctx, p.ID, status.ComponentInput{Name: "API"})
			require.NoError(t, err)
			// The clock job runs once at the start: let it be done first.
			require.Eventually(t, func() bool {
				n, err := a.db.NewSelect().Table("river_job").Where("kind = ? AND state = 'completed'", status.TickArgs{}.Kind()).Count(ctx)
				return err == nil && n > 0
			}, 30*time.Second, 50*time.Millisecond, "the clock job ran at the start")
			from := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
			until := from.Add(3 * time.Second)
			_, err = a.svc.Maintenances.Schedule(ctx, p.ID, status.MaintenanceInput{Title: "Database upgrade", Description: "Planned.",
				ScheduledFor: from, ScheduledUntil: until, ComponentIDs: []string{c.ID}})
			require.NoError(t, err)

			inProgress := func() bool {
				resp, err := http.Get(a.URL + "/p/main/")
				if err != nil {
					return false
				}
				defer func() { _ = resp.Body.Close() }() // read only
				b, err := io.ReadAll(resp.Body)
				return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(b), "Maintenance in progress")
			}
			require.False(t, inProgress(), "not before its start")
			require.Eventually(t, inProgress, time.Until(from)+maintenanceSwitchBound, 100*time.Millisecond,
				"in progress on the public page within %s of its start", maintenanceSwitchBound)
			started := time.Since(from)
			require.Eventually(t, func() bool { return !inProgress() }, time.Until(until)+maintenanceSwitchBound, 100*time.Millisecond,
				"over on the public page within %s of its end", maintenanceSwitchBound)
			t.Logf("%s: shown in progress %s after its start, over %s after its end", d,
				started.Round(10*time.Millisecond), time.Since(until).Round(10*time.Millisecond))
		})
	}
}
