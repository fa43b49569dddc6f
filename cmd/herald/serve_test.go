package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

// The maintenance job runs on River in the serving process and moves a
// maintenance whose window has begun.
func TestMaintenanceJobStartsDueMaintenance(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, d, false)
			ctx := context.Background()
			p, err := a.svc.Pages.Create(ctx, status.PageInput{Slug: "main", Name: "Main"})
			require.NoError(t, err)
			c, err := a.svc.Pages.CreateComponent(ctx, p.ID, status.ComponentInput{Name: "API"})
			require.NoError(t, err)
			now := time.Now()
			m, err := a.svc.Maintenances.Schedule(ctx, p.ID, status.MaintenanceInput{Title: "Upgrade", Description: "Planned.",
				ScheduledFor: now.Add(-time.Minute), ScheduledUntil: now.Add(time.Hour), ComponentIDs: []string{c.ID}})
			require.NoError(t, err)
			_, err = a.river.Insert(ctx, status.TickArgs{}, nil)
			require.NoError(t, err)
			require.Eventually(t, func() bool {
				got, err := a.svc.Maintenances.ByID(ctx, p.ID, m.ID)
				return err == nil && got.State == status.MaintenanceInProgress
			}, 20*time.Second, 100*time.Millisecond)
			got, err := a.svc.Pages.ComponentByID(ctx, p.ID, c.ID)
			require.NoError(t, err)
			require.Equal(t, status.UnderMaintenance, got.Status)
			// The public page follows within the refresh interval.
			require.Eventually(t, func() bool {
				resp, err := http.Get(a.URL + "/api/v2/scheduled-maintenances/active.json")
				if err != nil {
					return false
				}
				defer func() { _ = resp.Body.Close() }() // read only
				var buf [4096]byte
				n, _ := resp.Body.Read(buf[:])
				return resp.StatusCode == 200 && strings.Contains(string(buf[:n]), m.ID)
			}, 10*time.Second, 100*time.Millisecond)
		})
	}
}

// SIGTERM (a cancelled context) stops the server: serve returns without
// error once in-flight requests are done, and the port is closed.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	a := startApp(t, "sqlite", true)
	resp, err := http.Get(a.URL + "/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, a.stop())
	_, err = http.Get(a.URL + "/healthz")
	require.Error(t, err, "the listener must be closed after shutdown")
}
