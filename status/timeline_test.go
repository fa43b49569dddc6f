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

func TestIncidentRecordAndNextUpdate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc, err := b.svc.DeclareIncident(b.ctx, p.ID, status.IncidentInput{Title: "Slow API", Severity: status.SeverityMinor,
			Visibility: status.VisibilityInternal, Body: "Looking into it.", Author: "Ann",
			Summary: "Requests take 5 s.", Source: status.SourcePhone, Caller: "Bob at Acme", SourceReference: "+49 30 1234",
			Reproduce: "curl https://api.example/health", Contact: "Ann", AffectedCustomers: "Acme"})
		require.NoError(t, err)
		require.Equal(t, status.SourcePhone, inc.Source)
		require.Equal(t, "Bob at Acme", inc.Caller)
		require.Equal(t, "Ann", inc.DeclaredBy)
		require.NotNil(t, inc.NextUpdateAt)
		requireTime(t, epoch.Add(status.DefaultCadence), *inc.NextUpdateAt, "declaring promises an update in 30 minutes")
		require.Equal(t, 1, inc.Version)

		// A chosen next update time is kept.
		b.clock.Advance(10 * time.Minute)
		at := epoch.Add(70 * time.Minute)
		_, err = b.svc.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, Body: "Progress.", NextUpdate: &at, Version: 1})
		require.NoError(t, err)
		got, err := b.svc.IncidentByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		requireTime(t, at, *got.NextUpdateAt)
		require.Equal(t, 2, got.Version)

		// A silent update keeps the promise; a stale form is refused.
		silent := false
		_, err = b.svc.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Body: "Typo fixed.", Notify: &silent})
		require.NoError(t, err)
		got, err = b.svc.IncidentByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		requireTime(t, at, *got.NextUpdateAt, "a silent update does not move the promise")
		_, err = b.svc.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Body: "Based on an old form.", Version: 2})
		requireKind(t, err, status.KindConflict)

		// Resolving clears the promise.
		_, err = b.svc.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		got, err = b.svc.IncidentByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Nil(t, got.NextUpdateAt)
		_, ok := status.CadenceOf(got)
		require.False(t, ok)
	})
}

func TestIncidentRecordBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		base := func() status.IncidentInput {
			return status.IncidentInput{Title: "T", Severity: status.SeverityMinor, Visibility: status.VisibilityPublic, Body: "B"}
		}
		past, far := epoch.Add(-time.Minute), epoch.Add(25*time.Hour)
		cases := map[string]struct {
			mutate func(*status.IncidentInput)
			field  string
		}{
			"unknown source":      {func(in *status.IncidentInput) { in.Source = "pigeon" }, "source"},
			"summary too long":    {func(in *status.IncidentInput) { in.Summary = strings.Repeat("x", status.MaxBodyLen+1) }, "summary"},
			"caller with NUL":     {func(in *status.IncidentInput) { in.Caller = "a\x00b" }, "caller"},
			"contact invalid utf": {func(in *status.IncidentInput) { in.Contact = "\xff" }, "contact"},
			"next update past":    {func(in *status.IncidentInput) { in.NextUpdate = &past }, "next_update"},
			"next update far":     {func(in *status.IncidentInput) { in.NextUpdate = &far }, "next_update"},
		}
		for name, tc := range cases {
			in := base()
			tc.mutate(&in)
			_, err := b.svc.DeclareIncident(b.ctx, p.ID, in)
			requireField(t, err, status.KindInvalid, tc.field)
			_ = name
		}
		incs, err := b.svc.Incidents(b.ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Empty(t, incs, "nothing half-written")
	})
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		inc, err := b.svc.DeclareIncident(b.ctx, p.ID, status.IncidentInput{Title: "Down", Severity: status.SeverityMajor,
			Visibility: status.VisibilityPublic, Body: "Investigating.", Author: "Ann",
			Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.MajorOutage}}})
		require.NoError(t, err)
		b.clock.Advance(5 * time.Minute)
		_, err = b.svc.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Kind: status.KindAnalysis,
			Body: "Found it.\nDetails follow.", Author: "Cem"})
		require.NoError(t, err)
		before := epoch.Add(-20 * time.Minute)
		_, err = b.svc.AddNote(b.ctx, p.ID, inc.ID, "First alert fired.", "Ann", &before)
		require.NoError(t, err)

		tl, err := b.svc.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var kinds []status.TimelineKind
		for _, e := range tl {
			kinds = append(kinds, e.Kind)
		}
		require.Equal(t, []status.TimelineKind{status.TimelineNote, status.TimelineDeclared, status.TimelineUpdate,
			status.TimelineComponent, status.TimelineUpdate, status.TimelineState}, kinds, "oldest first, notes at their own time")
		require.Contains(t, tl[3].Text(), "API: Operational → Major outage")
		require.Equal(t, "Analysis update posted: Found it.", tl[4].Text())
		require.Contains(t, tl[5].Text(), "Investigating to Mitigating")

		future := b.clock.Now().Add(time.Hour)
		_, err = b.svc.AddNote(b.ctx, p.ID, inc.ID, "From the future.", "Ann", &future)
		requireField(t, err, status.KindInvalid, "at")
		_, err = b.svc.AddNote(b.ctx, p.ID, inc.ID, "  ", "Ann", nil)
		requireField(t, err, status.KindInvalid, "body")
		other := statustest.Page(t, b.svc, nil)
		_, err = b.svc.Timeline(b.ctx, other.ID, inc.ID)
		requireKind(t, err, status.KindNotFound)
	})
}

// Deleting an open incident or a running maintenance, or changing a running
// maintenance's components, must not leave components in their state.
func TestDeletingSettlesComponents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		x := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "X"})
		y := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Y"})
		statusOf := func(c *status.Component) status.ComponentStatus {
			got, err := b.svc.ComponentByID(b.ctx, p.ID, c.ID)
			require.NoError(t, err)
			return got.Status
		}
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Components: []status.ComponentStatusInput{{ComponentID: x.ID, Status: status.MajorOutage}}})
		require.Equal(t, status.MajorOutage, statusOf(x))
		require.NoError(t, b.svc.DeleteIncident(b.ctx, p.ID, inc.ID))
		require.Equal(t, status.Operational, statusOf(x), "deleting an open incident settles its components")

		m, err := b.svc.ScheduleMaintenance(b.ctx, p.ID, status.MaintenanceInput{Title: "Work", Description: "Planned.",
			ScheduledFor: epoch.Add(time.Minute), ScheduledUntil: epoch.Add(time.Hour), ComponentIDs: []string{x.ID}})
		require.NoError(t, err)
		b.clock.Advance(2 * time.Minute)
		_, err = b.svc.AdvanceMaintenances(b.ctx)
		require.NoError(t, err)
		require.Equal(t, status.UnderMaintenance, statusOf(x))
		ids := []string{y.ID}
		_, err = b.svc.UpdateMaintenance(b.ctx, p.ID, m.ID, status.MaintenancePatch{ComponentIDs: &ids})
		require.NoError(t, err)
		require.Equal(t, status.Operational, statusOf(x), "a component taken out of a running maintenance is settled")
		require.Equal(t, status.UnderMaintenance, statusOf(y), "a component added to a running maintenance goes under maintenance")
		require.NoError(t, b.svc.DeleteMaintenance(b.ctx, p.ID, m.ID))
		require.Equal(t, status.Operational, statusOf(y), "deleting a running maintenance settles its components")
	})
}

// Internal activity must not show through the public "updated" time.
func TestPublicUpdatedAtIgnoresInternalActivity(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		statustest.Component(t, b.svc, p.ID, nil)
		before, err := b.svc.PageView(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		b.clock.Advance(time.Hour)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal})
		after, err := b.svc.PageView(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		requireTime(t, before.UpdatedAt, after.UpdatedAt, "an internal incident is not a public change")
		b.clock.Advance(time.Hour)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityPublic})
		after, err = b.svc.PageView(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		requireTime(t, b.clock.Now(), after.UpdatedAt, "a public incident is")
	})
}
