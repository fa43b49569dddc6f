package status_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Scheduling a maintenance asks, in its transaction, for the due work to
// run at its start and at its end; moving its window asks again for the
// new times; the job that runs then starts and completes it on time.
func TestMaintenanceAsksForJobsAtItsStartAndEnd(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		var mu sync.Mutex
		var queued []time.Time
		var fail error
		svc := status.New(bdb, status.Options{Now: clock.Now, Jobs: &statustest.Jobs{Queued: func(_ river.JobArgs, o *river.InsertOpts) error {
			at := o.ScheduledAt
			mu.Lock()
			defer mu.Unlock()
			if fail != nil {
				return fail
			}
			queued = append(queued, at)
			return nil
		}}})
		took := func() []time.Time {
			mu.Lock()
			defer mu.Unlock()
			q := queued
			queued = nil
			return q
		}
		ctx := t.Context()
		p := statustest.Page(t, svc, nil)
		c := statustest.Component(t, svc, p.ID, nil)
		took()

		from, until := clock.Now().Add(30*time.Minute), clock.Now().Add(90*time.Minute)
		m, err := svc.Maintenances.Schedule(ctx, p.ID, status.MaintenanceInput{Title: "Database upgrade", Description: "Planned.",
			ScheduledFor: from, ScheduledUntil: until, ComponentIDs: []string{c.ID}})
		require.NoError(t, err)
		require.Equal(t, []time.Time{from, until}, took(), "jobs at its start and end")

		// Moving the window asks for jobs at the new times; a new title
		// alone asks for none.
		from, until = from.Add(15*time.Minute), until.Add(time.Hour)
		_, err = svc.Maintenances.Update(ctx, p.ID, m.ID, status.MaintenancePatch{ScheduledFor: &from, ScheduledUntil: &until})
		require.NoError(t, err)
		require.Equal(t, []time.Time{from, until}, took())
		_, err = svc.Maintenances.Update(ctx, p.ID, m.ID, status.MaintenancePatch{Title: statustest.Ptr("PostgreSQL 17 upgrade")})
		require.NoError(t, err)
		require.Empty(t, took())

		// The jobs are part of the change: when one cannot be queued,
		// nothing is saved.
		mu.Lock()
		fail = errors.New("job queue gone")
		mu.Unlock()
		_, err = svc.Maintenances.Schedule(ctx, p.ID, status.MaintenanceInput{Title: "Unsaved", Description: "Planned.",
			ScheduledFor: from, ScheduledUntil: until})
		require.Error(t, err)
		later := until.Add(time.Hour)
		_, err = svc.Maintenances.Update(ctx, p.ID, m.ID, status.MaintenancePatch{ScheduledUntil: &later})
		require.Error(t, err)
		ms, err := svc.Maintenances.List(ctx, status.MaintenanceFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Len(t, ms, 1)
		require.True(t, until.Equal(ms[0].ScheduledUntil), "the window did not move: %s", ms[0].ScheduledUntil)
		mu.Lock()
		fail = nil
		mu.Unlock()

		// What the job at the start does: not a moment early, then on time.
		clock.Set(from.Add(-time.Second))
		n, err := svc.Maintenances.Advance(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		clock.Set(from)
		n, err = svc.Maintenances.Advance(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := svc.Maintenances.ByID(ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, status.MaintenanceInProgress, got.State)
		require.True(t, from.Equal(*got.StartedAt), "started at %s", got.StartedAt)
		clock.Set(until)
		n, err = svc.Maintenances.Advance(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err = svc.Maintenances.ByID(ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, status.MaintenanceCompleted, got.State)
	})
}
