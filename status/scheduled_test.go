package status_test

import (
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

// A scheduled update stays in the console until its time, then is
// published once, as if posted then.
func TestScheduledUpdatePublishesAtItsTime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		var mu sync.Mutex
		var queued []time.Time
		svc := status.New(bdb, status.Options{Now: clock.Now, Jobs: &statustest.Jobs{Queued: func(_ river.JobArgs, o *river.InsertOpts) error {
			at := o.ScheduledAt
			mu.Lock()
			defer mu.Unlock()
			queued = append(queued, at)
			return nil
		}}})
		ctx := t.Context()
		p := statustest.Page(t, svc, nil)
		inc := statustest.Incident(t, svc, p.ID, nil)
		at := clock.Now().Add(20 * time.Minute)
		eta := at.Add(time.Hour)
		su, err := svc.Incidents.ScheduleUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindETA, ETA: &eta, State: status.StateMitigating,
			Body: "The fix is rolling out; we expect it done within the hour.", Author: "Casey"}, at)
		require.NoError(t, err)
		require.Equal(t, []time.Time{at}, queued, "a job is queued for its time, in the transaction")
		require.Equal(t, status.ScheduledPending, su.Status)

		n, err := svc.Incidents.PublishDueUpdates(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not yet")
		got, err := svc.Incidents.ByID(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 1, "only the first update so far")

		clock.Advance(20 * time.Minute)
		n, err = svc.Incidents.PublishDueUpdates(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		n, err = svc.Incidents.PublishDueUpdates(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "published once")

		got, err = svc.Incidents.ByID(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 2)
		upd := got.Updates[0]
		require.Equal(t, status.KindETA, upd.Kind)
		require.Equal(t, "Casey", upd.Author)
		require.True(t, upd.CreatedAt.Equal(at), "dated when it was published")
		require.Equal(t, status.StateMitigating, got.State)
		require.True(t, got.NextUpdateAt.Equal(at.Add(status.DefaultCadence)), "the cadence restarts at publication")

		list, err := svc.Incidents.ScheduledUpdates(ctx, inc.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, status.ScheduledPublished, list[0].Status)
		require.Equal(t, upd.ID, *list[0].UpdateID)
		require.Equal(t, "The fix is rolling out; we expect it done within the hour.", list[0].Input.Body)
	})
}

func TestScheduledUpdateRefusalsAndFailures(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := b.ctx
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		now := b.clock.Now()
		body := status.UpdateInput{Body: "Still working on it."}

		for name, tc := range map[string]struct {
			at    time.Time
			in    status.UpdateInput
			field string
		}{
			"in the past":              {now.Add(-time.Minute), body, "publish_at"},
			"too soon":                 {now.Add(10 * time.Second), body, "publish_at"},
			"too far":                  {now.Add(8 * 24 * time.Hour), body, "publish_at"},
			"empty message":            {now.Add(time.Hour), status.UpdateInput{}, "body"},
			"eta before its time":      {now.Add(time.Hour), status.UpdateInput{Kind: status.KindETA, ETA: statustest.Ptr(now.Add(30 * time.Minute)), Body: "x"}, "eta"},
			"next update before it":    {now.Add(time.Hour), status.UpdateInput{Body: "x", NextUpdate: statustest.Ptr(now.Add(30 * time.Minute))}, "next_update"},
			"unknown kind":             {now.Add(time.Hour), status.UpdateInput{Kind: "gossip", Body: "x"}, "kind"},
			"script in body is stored": {now.Add(time.Hour), status.UpdateInput{Body: "<script>alert(1)</script>"}, ""},
		} {
			_, err := b.svc.Incidents.ScheduleUpdate(ctx, p.ID, inc.ID, tc.in, tc.at)
			if tc.field == "" {
				require.NoError(t, err, name)
				continue
			}
			require.Contains(t, requireKindError(t, err, status.KindInvalid).Fields, tc.field, name)
		}

		_, err := b.svc.Incidents.ScheduleUpdate(ctx, p.ID, "nosuchincide", body, now.Add(time.Hour))
		require.Equal(t, status.KindNotFound, status.KindOf(err))
		_, err = b.svc.Incidents.ScheduleUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Body: "x", Version: inc.Version + 5}, now.Add(time.Hour))
		require.Equal(t, status.KindConflict, status.KindOf(err), "stale form")

		// Cancelled updates are never published.
		su, err := b.svc.Incidents.ScheduleUpdate(ctx, p.ID, inc.ID, body, now.Add(2*time.Hour))
		require.NoError(t, err)
		require.NoError(t, b.svc.Incidents.CancelScheduledUpdate(ctx, p.ID, inc.ID, su.ID, "Casey"))
		require.Equal(t, status.KindConflict, status.KindOf(b.svc.Incidents.CancelScheduledUpdate(ctx, p.ID, inc.ID, su.ID, "Casey")))
		require.Equal(t, status.KindNotFound, status.KindOf(b.svc.Incidents.CancelScheduledUpdate(ctx, p.ID, "otherincide1", su.ID, "Casey")))

		// Resolved before its time: marked failed, with the reason on the
		// timeline, and the incident stays resolved.
		_, err = b.svc.Incidents.ScheduleUpdate(ctx, p.ID, inc.ID, body, now.Add(3*time.Hour))
		require.NoError(t, err)
		_, err = b.svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		b.clock.Advance(4 * time.Hour)
		n, err := b.svc.Incidents.PublishDueUpdates(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		got, err := b.svc.Incidents.ByID(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateResolved, got.State)
		list, err := b.svc.Incidents.ScheduledUpdates(ctx, inc.ID)
		require.NoError(t, err)
		var failed int
		for _, su := range list {
			if su.Status == status.ScheduledFailed {
				failed++
				require.Contains(t, su.Reason, "resolved")
			}
		}
		require.Equal(t, 2, failed, "the script one and the three-hour one")
		tl, err := b.svc.Incidents.Timeline(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Contains(t, tl[len(tl)-1].Text(), "was not published")

		_, err = b.svc.Incidents.ScheduleUpdate(ctx, p.ID, inc.ID, body, b.clock.Now().Add(time.Hour))
		require.Equal(t, status.KindConflict, status.KindOf(err), "resolved incidents take no scheduled updates")
	})
}

// Replicas publishing at the same moment publish each update once.
func TestScheduledUpdatePublishedOnceByConcurrentReplicas(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		for i := range 3 {
			_, err := b.svc.Incidents.ScheduleUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Body: "Update"}, b.clock.Now().Add(time.Duration(i+1)*time.Minute))
			require.NoError(t, err)
		}
		b.clock.Advance(time.Hour)
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := b.svc.Incidents.PublishDueUpdates(b.ctx)
				assertNoErr(t, err)
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		require.Equal(t, 3, total)
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 4)
	})
}

func assertNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Error(err)
	}
}
