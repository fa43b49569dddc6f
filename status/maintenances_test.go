package status_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestScheduleMaintenance(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(epoch)
		notes := &recordingNotifier{}
		svc := status.New(bdb, status.Options{Now: clock.Now, Notifier: notes})
		p := statustest.Page(t, svc, nil)
		c1 := statustest.Component(t, svc, p.ID, nil)
		c2 := statustest.Component(t, svc, p.ID, nil)
		from := epoch.Add(24 * time.Hour).In(time.FixedZone("X", -5*3600))

		m, err := svc.Maintenances.Schedule(t.Context(), p.ID, status.MaintenanceInput{
			Title: " Database upgrade ", Description: "We upgrade **PostgreSQL**.", Author: "Ops",
			ScheduledFor: from, ScheduledUntil: from.Add(2 * time.Hour), ComponentIDs: []string{c2.ID, c1.ID},
		})
		require.NoError(t, err)
		require.Equal(t, "Database upgrade", m.Title)
		require.Equal(t, status.MaintenanceScheduled, m.State)
		requireTime(t, from, m.ScheduledFor)
		requireTime(t, from.Add(2*time.Hour), m.ScheduledUntil)
		require.Nil(t, m.StartedAt)
		require.ElementsMatch(t, []string{c1.ID, c2.ID}, m.ComponentIDs)
		require.Len(t, m.Updates, 1)
		require.Equal(t, "We upgrade **PostgreSQL**.", m.Updates[0].Body, "the description is the first update")
		require.Equal(t, status.MaintenanceScheduled, m.Updates[0].State)
		require.Len(t, notes.maints, 1)

		for _, c := range []*status.Component{c1, c2} {
			got, err := svc.Pages.ComponentByID(t.Context(), p.ID, c.ID)
			require.NoError(t, err)
			require.Equal(t, status.Operational, got.Status, "scheduling alone changes no component")
		}
	})
}

func TestAdvanceMaintenances(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		db := statustest.Component(t, b.svc, p.ID, nil)
		api := statustest.Component(t, b.svc, p.ID, nil)
		bystander := statustest.Component(t, b.svc, p.ID, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{
			ScheduledFor: epoch.Add(time.Hour), ScheduledUntil: epoch.Add(3 * time.Hour), ComponentIDs: []string{db.ID, api.ID}})
		later := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{
			ScheduledFor: epoch.Add(48 * time.Hour), ScheduledUntil: epoch.Add(50 * time.Hour), ComponentIDs: []string{bystander.ID}})

		advance := func(want int) {
			t.Helper()
			n, err := b.svc.Maintenances.Advance(b.ctx)
			require.NoError(t, err)
			require.Equal(t, want, n)
		}
		advance(0)

		started := b.clock.Advance(time.Hour) // exactly at the start
		advance(1)
		got, err := b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, status.MaintenanceInProgress, got.State)
		requireTimePtr(t, started, got.StartedAt)
		require.Nil(t, got.CompletedAt)
		require.Len(t, got.Updates, 2)
		require.Equal(t, status.MaintenanceInProgress, got.Updates[0].State)
		require.Equal(t, status.UnderMaintenance, componentStatus(t, b, p.ID, db.ID))
		require.Equal(t, status.UnderMaintenance, componentStatus(t, b, p.ID, api.ID))
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, bystander.ID))
		advance(0)

		b.clock.Advance(90 * time.Minute)
		advance(0) // still within the window

		completed := b.clock.Advance(30 * time.Minute) // exactly at the end
		advance(1)
		got, err = b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, status.MaintenanceCompleted, got.State)
		requireTimePtr(t, completed, got.CompletedAt)
		requireTimePtr(t, started, got.StartedAt)
		require.Len(t, got.Updates, 3)
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, db.ID))
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, api.ID))
		require.Equal(t, []status.ComponentStatus{status.Operational, status.UnderMaintenance, status.Operational},
			statuses(history(t, bdb, db.ID)))
		advance(0)

		got, err = b.svc.Maintenances.ByID(b.ctx, p.ID, later.ID)
		require.NoError(t, err)
		require.Equal(t, status.MaintenanceScheduled, got.State, "a later window is left alone")
	})
}

func TestAdvanceMaintenances_WindowMissedEntirely(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{
			ScheduledFor: epoch.Add(time.Hour), ScheduledUntil: epoch.Add(2 * time.Hour), ComponentIDs: []string{c.ID}})

		b.clock.Advance(5 * time.Hour)
		n, err := b.svc.Maintenances.Advance(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err := b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, status.MaintenanceCompleted, got.State, "a missed window goes straight to completed")
		require.Nil(t, got.StartedAt)
		require.Len(t, history(t, bdb, c.ID), 1, "its components were never touched")
	})
}

func TestMaintenance_CompletionRestoresIncidentStatus(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		held := statustest.Component(t, b.svc, p.ID, nil)
		free := statustest.Component(t, b.svc, p.ID, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ComponentIDs: []string{held.ID, free.ID}})
		_, err := b.svc.Maintenances.PostUpdate(b.ctx, p.ID, m.ID, status.MaintenanceUpdateInput{State: status.MaintenanceInProgress, Body: "Starting early."})
		require.NoError(t, err)

		// An incident declared during the maintenance holds one component,
		// which then goes back under maintenance by hand.
		b.clock.Advance(time.Minute)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Components: affect(held.ID, status.PartialOutage)})
		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, held.ID, status.ComponentPatch{Status: statustest.Ptr(status.UnderMaintenance)})
		require.NoError(t, err)

		b.clock.Advance(time.Minute)
		_, err = b.svc.Maintenances.PostUpdate(b.ctx, p.ID, m.ID, status.MaintenanceUpdateInput{State: status.MaintenanceCompleted, Body: "Done."})
		require.NoError(t, err)
		require.Equal(t, status.PartialOutage, componentStatus(t, b, p.ID, held.ID), "an open incident's status comes back")
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, free.ID))
	})
}

func TestPostMaintenanceUpdate_Transitions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, nil)
		post := func(st status.MaintenanceState) error {
			t.Helper()
			b.clock.Advance(time.Minute)
			_, err := b.svc.Maintenances.PostUpdate(b.ctx, p.ID, m.ID, status.MaintenanceUpdateInput{State: st, Body: "Note.", Author: "Ops"})
			return err
		}

		require.NoError(t, post(""), "an empty state keeps the state")
		require.NoError(t, post(status.MaintenanceScheduled))
		require.NoError(t, post(status.MaintenanceInProgress))
		requireKind(t, post(status.MaintenanceScheduled), status.KindConflict)
		require.NoError(t, post(status.MaintenanceCompleted))
		requireKind(t, post(status.MaintenanceInProgress), status.KindConflict)
		requireKind(t, post(status.MaintenanceScheduled), status.KindConflict)
		require.NoError(t, post(status.MaintenanceCompleted), "a completed maintenance may get more notes")

		requireField(t, post("cancelled"), status.KindInvalid, "state")
		_, err := b.svc.Maintenances.PostUpdate(b.ctx, p.ID, m.ID, status.MaintenanceUpdateInput{Body: ""})
		requireField(t, err, status.KindInvalid, "body")
		_, err = b.svc.Maintenances.PostUpdate(b.ctx, p.ID, m.ID, status.MaintenanceUpdateInput{Body: "x\x00"})
		requireField(t, err, status.KindInvalid, "body")
		_, err = b.svc.Maintenances.PostUpdate(b.ctx, p.ID, m.ID, status.MaintenanceUpdateInput{Body: "x", Author: "\xff"})
		requireField(t, err, status.KindInvalid, "author")
		_, err = b.svc.Maintenances.PostUpdate(b.ctx, other.ID, m.ID, status.MaintenanceUpdateInput{Body: "x"})
		requireKind(t, err, status.KindNotFound)

		got, err := b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 6, "refused updates leave nothing behind")
		require.Equal(t, "Ops", got.Updates[0].Author)
	})
}

func TestScheduleMaintenance_InvalidInput(t *testing.T) {
	t.Parallel()
	from := epoch.Add(time.Hour)
	cases := []struct {
		name  string
		edit  func(in *status.MaintenanceInput)
		field string
	}{
		{"no start", func(in *status.MaintenanceInput) { in.ScheduledFor = time.Time{} }, "scheduled_for"},
		{"no end", func(in *status.MaintenanceInput) { in.ScheduledUntil = time.Time{} }, "scheduled_until"},
		{"end before start", func(in *status.MaintenanceInput) { in.ScheduledUntil = from.Add(-time.Minute) }, "scheduled_until"},
		{"empty window", func(in *status.MaintenanceInput) { in.ScheduledUntil = from }, "scheduled_until"},
		{"window longer than 31 days", func(in *status.MaintenanceInput) { in.ScheduledUntil = from.Add(31*24*time.Hour + time.Second) }, "scheduled_until"},
		{"window already over", func(in *status.MaintenanceInput) {
			in.ScheduledFor, in.ScheduledUntil = epoch.Add(-2*time.Hour), epoch
		}, "scheduled_until"},
		{"start more than two years ahead", func(in *status.MaintenanceInput) {
			in.ScheduledFor = epoch.AddDate(2, 0, 1)
			in.ScheduledUntil = in.ScheduledFor.Add(time.Hour)
		}, "scheduled_for"},
		{"blank title", func(in *status.MaintenanceInput) { in.Title = "" }, "title"},
		{"title with a NUL", func(in *status.MaintenanceInput) { in.Title = "\x00" }, "title"},
		{"title too long", func(in *status.MaintenanceInput) { in.Title = strings.Repeat("t", status.MaxNameLen+1) }, "title"},
		{"blank description", func(in *status.MaintenanceInput) { in.Description = " " }, "description"},
		{"description with invalid UTF-8", func(in *status.MaintenanceInput) { in.Description = "\xff" }, "description"},
		{"malformed component id", func(in *status.MaintenanceInput) { in.ComponentIDs = []string{"x y"} }, "components[0]"},
		{"component listed twice", func(in *status.MaintenanceInput) { in.ComponentIDs = []string{"abc", "abc"} }, "components[1]"},
		{"too many components", func(in *status.MaintenanceInput) { in.ComponentIDs = make([]string, 501) }, "components"},
		{"component that does not exist", func(in *status.MaintenanceInput) { in.ComponentIDs = []string{status.NewID()} }, "components[0]"},
	}
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		mine := statustest.Component(t, b.svc, p.ID, nil)
		foreign := statustest.Component(t, b.svc, other.ID, nil)
		valid := func() status.MaintenanceInput {
			return status.MaintenanceInput{Title: "Upgrade", Description: "Upgrade.", ScheduledFor: from, ScheduledUntil: from.Add(time.Hour)}
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := valid()
				tc.edit(&in)
				_, err := b.svc.Maintenances.Schedule(b.ctx, p.ID, in)
				requireField(t, err, status.KindInvalid, tc.field)
			})
		}
		in := valid()
		in.ComponentIDs = []string{mine.ID, foreign.ID}
		_, err := b.svc.Maintenances.Schedule(b.ctx, p.ID, in)
		requireField(t, err, status.KindInvalid, "components[1]")

		ms, err := b.svc.Maintenances.List(b.ctx, status.MaintenanceFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Empty(t, ms, "refused schedules leave nothing behind")

		_, err = b.svc.Maintenances.Schedule(b.ctx, status.NewID(), valid())
		requireKind(t, err, status.KindNotFound)

		// The edges just inside the rules pass.
		in = valid()
		in.ScheduledFor, in.ScheduledUntil = epoch.Add(-time.Hour), epoch.Add(time.Second) // already begun
		_, err = b.svc.Maintenances.Schedule(b.ctx, p.ID, in)
		require.NoError(t, err)
		in = valid()
		in.ScheduledUntil = from.Add(31 * 24 * time.Hour)
		_, err = b.svc.Maintenances.Schedule(b.ctx, p.ID, in)
		require.NoError(t, err)
	})
}

func TestUpdateMaintenance(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		c1 := statustest.Component(t, b.svc, p.ID, nil)
		c2 := statustest.Component(t, b.svc, p.ID, nil)
		foreign := statustest.Component(t, b.svc, other.ID, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ComponentIDs: []string{c1.ID}})

		newUntil := m.ScheduledUntil.Add(time.Hour)
		got, err := b.svc.Maintenances.Update(b.ctx, p.ID, m.ID, status.MaintenancePatch{
			Title: statustest.Ptr("Longer upgrade"), ScheduledUntil: &newUntil, ComponentIDs: &[]string{c2.ID}})
		require.NoError(t, err)
		require.Equal(t, "Longer upgrade", got.Title)
		requireTime(t, m.ScheduledFor, got.ScheduledFor, "an unpatched end of the window stays")
		requireTime(t, newUntil, got.ScheduledUntil)
		require.Equal(t, []string{c2.ID}, got.ComponentIDs)

		_, err = b.svc.Maintenances.Update(b.ctx, p.ID, m.ID, status.MaintenancePatch{ScheduledUntil: statustest.Ptr(got.ScheduledFor.Add(-time.Hour))})
		requireField(t, err, status.KindInvalid, "scheduled_until")
		_, err = b.svc.Maintenances.Update(b.ctx, p.ID, m.ID, status.MaintenancePatch{Title: statustest.Ptr(" ")})
		requireField(t, err, status.KindInvalid, "title")
		_, err = b.svc.Maintenances.Update(b.ctx, p.ID, m.ID, status.MaintenancePatch{ComponentIDs: &[]string{foreign.ID}})
		requireField(t, err, status.KindInvalid, "components[0]")
		_, err = b.svc.Maintenances.Update(b.ctx, other.ID, m.ID, status.MaintenancePatch{Title: statustest.Ptr("Mine now")})
		requireKind(t, err, status.KindNotFound)

		got, err = b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, "Longer upgrade", got.Title, "refused patches change nothing")
		requireTime(t, newUntil, got.ScheduledUntil)
		require.Equal(t, []string{c2.ID}, got.ComponentIDs)
	})
}

func TestMaintenances_Filter(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		soon := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ScheduledFor: epoch.Add(time.Hour)})
		later := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ScheduledFor: epoch.Add(24 * time.Hour)})
		running := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ScheduledFor: epoch.Add(-time.Hour)})
		statustest.Maintenance(t, b.svc, other.ID, nil)
		n, err := b.svc.Maintenances.Advance(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)

		ids := func(f status.MaintenanceFilter) []string {
			t.Helper()
			f.PageID = p.ID
			ms, err := b.svc.Maintenances.List(b.ctx, f)
			require.NoError(t, err)
			out := []string{}
			for _, m := range ms {
				require.NotEmpty(t, m.Updates)
				out = append(out, m.ID)
			}
			return out
		}
		require.Equal(t, []string{later.ID, soon.ID, running.ID}, ids(status.MaintenanceFilter{}), "latest window first")
		require.Equal(t, []string{later.ID, soon.ID}, ids(status.MaintenanceFilter{States: []status.MaintenanceState{status.MaintenanceScheduled}}))
		require.Equal(t, []string{running.ID}, ids(status.MaintenanceFilter{States: []status.MaintenanceState{status.MaintenanceInProgress, status.MaintenanceCompleted}}))
		require.Equal(t, []string{later.ID}, ids(status.MaintenanceFilter{Limit: 1}))
	})
}

func TestDeleteMaintenance(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, nil)
		requireKind(t, b.svc.Maintenances.Delete(b.ctx, other.ID, m.ID), status.KindNotFound)
		_, err := b.svc.Maintenances.ByID(b.ctx, other.ID, m.ID)
		requireKind(t, err, status.KindNotFound)
		require.NoError(t, b.svc.Maintenances.Delete(b.ctx, p.ID, m.ID))
		_, err = b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		requireKind(t, err, status.KindNotFound)
		requireKind(t, b.svc.Maintenances.Delete(b.ctx, p.ID, m.ID), status.KindNotFound)
	})
}
