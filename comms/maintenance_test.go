package comms_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Subscribers hear of maintenance when it is scheduled, 24 h and 1 h
// before its window, at its start and at its end: each once, in one thread.
func TestMaintenanceNotices(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, true)
		var mu sync.Mutex
		var jobs []river.JobArgs
		record := &statustest.Jobs{Queued: func(args river.JobArgs, _ *river.InsertOpts) error {
			mu.Lock()
			defer mu.Unlock()
			jobs = append(jobs, args)
			return nil
		}}
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		svc := status.New(bdb, status.Options{Now: clock.Now, Notifier: &comms.Notifier{Jobs: record}})
		ctx := t.Context()
		calls := 0
		f := &comms.FanOut{Service: svc, Outbox: h.box, Audience: fakeAudience(3, &calls)}
		w := &comms.Watch{Service: svc, Outbox: h.box, Jobs: record}
		run := func() {
			t.Helper()
			h.now = clock.Now() // emails are dated by the same clock
			mu.Lock()
			pending := jobs
			jobs = nil
			mu.Unlock()
			for _, j := range pending {
				require.NoError(t, f.RunMaintenance(ctx, j.(comms.MaintenanceFanOutArgs)))
			}
		}
		subjects := func() []string {
			var es []*comms.Email
			require.NoError(t, bdb.NewSelect().Model(&es).Where("to_addr = ?", "sub00000@example.net").Order("created_at", "id").Scan(ctx))
			var out []string
			for _, e := range es {
				out = append(out, e.Subject)
			}
			return out
		}

		p := statustest.Page(t, svc, &statustest.PageOpts{Name: "Shop"})
		db := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "Database"})
		m := statustest.Maintenance(t, svc, p.ID, &statustest.MaintenanceOpts{Title: "Database upgrade",
			ScheduledFor: clock.Now().Add(48 * time.Hour), ScheduledUntil: clock.Now().Add(50 * time.Hour), ComponentIDs: []string{db.ID}})
		run()
		require.Equal(t, []string{"[Shop] Database upgrade — Scheduled"}, subjects())

		clock.Advance(25 * time.Hour) // 23 h before
		require.NoError(t, w.Run(ctx))
		require.NoError(t, w.Run(ctx))
		run()
		clock.Advance(22*time.Hour + 10*time.Minute) // 50 min before
		require.NoError(t, w.Run(ctx))
		run()
		clock.Advance(time.Hour)
		_, err := svc.Maintenances.Advance(ctx)
		require.NoError(t, err)
		run()
		clock.Advance(2 * time.Hour)
		_, err = svc.Maintenances.Advance(ctx)
		require.NoError(t, err)
		run()
		require.NoError(t, w.Run(ctx))
		run()
		// A silent update (a typo fixed) reaches nobody.
		_, err = svc.Maintenances.PostUpdate(ctx, p.ID, m.ID, status.MaintenanceUpdateInput{Body: "Typo fixed.", Notify: new(false)})
		require.NoError(t, err)
		run()
		got := subjects()
		require.Len(t, got, 5, strings.Join(got, "\n"))
		require.Equal(t, "[Shop] Reminder: Database upgrade starts in 24 hours", got[1])
		require.Equal(t, "[Shop] Reminder: Database upgrade starts in 1 hour", got[2])
		require.Equal(t, "[Shop] Database upgrade — In progress", got[3])
		require.Equal(t, "[Shop] Database upgrade — Completed", got[4])

		var es []*comms.Email
		require.NoError(t, bdb.NewSelect().Model(&es).Where("to_addr = ?", "sub00001@example.net").Scan(ctx))
		root := ""
		for _, e := range es {
			if e.InReplyTo == "" {
				root = e.MessageID
			}
		}
		require.NotEmpty(t, root)
		for _, e := range es {
			if e.MessageID != root {
				require.Equal(t, root, e.InReplyTo, "every notice of the maintenance is in one thread")
			}
			require.Contains(t, e.Text, "/maintenance/"+m.ID)
			require.Contains(t, e.Text, "Database")
		}
	})
}
