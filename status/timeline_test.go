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
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Slow API", Severity: status.SeverityMinor,
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
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, Body: "Progress.", NextUpdate: &at, Version: 1})
		require.NoError(t, err)
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		requireTime(t, at, *got.NextUpdateAt)
		require.Equal(t, 2, got.Version)

		// A silent update keeps the promise; a stale form is refused.
		silent := false
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Body: "Typo fixed.", Notify: &silent})
		require.NoError(t, err)
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		requireTime(t, at, *got.NextUpdateAt, "a silent update does not move the promise")
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Body: "Based on an old form.", Version: 2})
		requireKind(t, err, status.KindConflict)

		// Resolving clears the promise.
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
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
			_, err := b.svc.Incidents.Declare(b.ctx, p.ID, in)
			requireField(t, err, status.KindInvalid, tc.field)
			_ = name
		}
		incs, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID})
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
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Down", Severity: status.SeverityMajor,
			Visibility: status.VisibilityPublic, Body: "Investigating.", Author: "Ann",
			Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.MajorOutage}}})
		require.NoError(t, err)
		b.clock.Advance(5 * time.Minute)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Kind: status.KindAnalysis,
			Body: "Found it.\nDetails follow.", Author: "Cem"})
		require.NoError(t, err)
		before := epoch.Add(-20 * time.Minute)
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, inc.ID, "First alert fired.", "Ann", &before)
		require.NoError(t, err)

		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
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
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, inc.ID, "From the future.", "Ann", &future)
		requireField(t, err, status.KindInvalid, "at")
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, inc.ID, "  ", "Ann", nil)
		requireField(t, err, status.KindInvalid, "body")
		other := statustest.Page(t, b.svc, nil)
		_, err = b.svc.Incidents.Timeline(b.ctx, other.ID, inc.ID)
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
			got, err := b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
			require.NoError(t, err)
			return got.Status
		}
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Components: []status.ComponentStatusInput{{ComponentID: x.ID, Status: status.MajorOutage}}})
		require.Equal(t, status.MajorOutage, statusOf(x))
		require.NoError(t, b.svc.Incidents.Delete(b.ctx, p.ID, inc.ID))
		require.Equal(t, status.Operational, statusOf(x), "deleting an open incident settles its components")

		m, err := b.svc.Maintenances.Schedule(b.ctx, p.ID, status.MaintenanceInput{Title: "Work", Description: "Planned.",
			ScheduledFor: epoch.Add(time.Minute), ScheduledUntil: epoch.Add(time.Hour), ComponentIDs: []string{x.ID}})
		require.NoError(t, err)
		b.clock.Advance(2 * time.Minute)
		_, err = b.svc.Maintenances.Advance(b.ctx)
		require.NoError(t, err)
		require.Equal(t, status.UnderMaintenance, statusOf(x))
		ids := []string{y.ID}
		_, err = b.svc.Maintenances.Update(b.ctx, p.ID, m.ID, status.MaintenancePatch{ComponentIDs: &ids})
		require.NoError(t, err)
		require.Equal(t, status.Operational, statusOf(x), "a component taken out of a running maintenance is settled")
		require.Equal(t, status.UnderMaintenance, statusOf(y), "a component added to a running maintenance goes under maintenance")
		require.NoError(t, b.svc.Maintenances.Delete(b.ctx, p.ID, m.ID))
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
		before, err := b.svc.Pages.View(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		b.clock.Advance(time.Hour)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal})
		after, err := b.svc.Pages.View(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		requireTime(t, before.UpdatedAt, after.UpdatedAt, "an internal incident is not a public change")
		b.clock.Advance(time.Hour)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityPublic})
		after, err = b.svc.Pages.View(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		requireTime(t, b.clock.Now(), after.UpdatedAt, "a public incident is")
	})
}

// An incident's life, from declaring to closing, writes one entry per
// event, each a message Text renders: the sentences the console shows.
func TestTimelineLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		c := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API: EU"})
		ann := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Ann"})
		bob := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Bob"})
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		started := epoch.Add(-30 * time.Minute)
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: `Checkout "down"`, Severity: status.SeverityMinor,
			Visibility: status.VisibilityInternal, Body: "Looking.", Author: "Ann", StartedAt: &started,
			Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.MajorOutage}}})
		require.NoError(t, err)
		b.clock.Advance(time.Minute)
		silent := false
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Kind: status.KindAnalysis,
			Body: "Found it: <b>disk</b>.\nMore.", Author: "Cem", Notify: &silent})
		require.NoError(t, err)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindGeneral, Body: "Still on it.", Author: "Cem"})
		require.NoError(t, err)
		inc, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		b.clock.Advance(time.Minute)
		title, public, sev, vis, summary, on := "Checkout <down>", "Checkout slow", status.SeverityMajor, status.VisibilityPublic, "Disk full.", true
		newStart := epoch.Add(-45 * time.Minute)
		inc, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Title: &title, PublicTitle: &public, Severity: &sev,
			Visibility: &vis, PublishUpdates: []string{inc.Updates[len(inc.Updates)-1].ID}, StartedAt: &newStart, Summary: &summary, AutoHolding: &on})
		require.NoError(t, err)
		b.clock.Advance(time.Minute)
		none, off := "", false
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{PublicTitle: &none, AutoHolding: &off})
		require.NoError(t, err)
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleCommander, ann.ID, "Ann"))
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleCommander, bob.ID, "Bob"))
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleHelp, ann.ID, "Bob"))
		require.NoError(t, b.svc.Incidents.RemoveRole(b.ctx, p.ID, inc.ID, status.RoleHelp, ann.ID, "Bob"))
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, inc.ID, "Paged <i>storage</i>.", "Bob", nil)
		require.NoError(t, err)
		for _, k := range []status.UpdateKind{status.KindProgress, status.KindAnalysis, status.KindGeneral} {
			su, err := b.svc.Incidents.ScheduleUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Kind: k, Body: "Later.", Author: "Bob"}, epoch.Add(2*time.Hour))
			require.NoError(t, err)
			require.NoError(t, b.svc.Incidents.CancelScheduledUpdate(b.ctx, p.ID, inc.ID, su.ID, "Bob"))
		}
		for _, r := range []status.EscalationRecord{status.RecordAMInformed, status.RecordContinuityPlan, status.RecordPostmortemNo, status.RecordPostmortemYes} {
			require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, inc.ID, status.EscalationStep{What: r, DecidedBy: "Bob"}))
		}
		for _, in := range []status.PostmortemInput{{Kind: status.PostmortemInternal, Action: status.PostmortemSave, Text: "We learnt."},
			{Kind: status.PostmortemPublic, Action: status.PostmortemSave, Text: "Draft."},
			{Kind: status.PostmortemPublic, Action: status.PostmortemPublish, Text: "Published."},
			{Kind: status.PostmortemPublic, Action: status.PostmortemUnpublish}} {
			_, err = b.svc.Incidents.SavePostmortem(b.ctx, p.ID, inc.ID, in)
			require.NoError(t, err)
		}
		require.NoError(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{acme.ID}))
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, inc.ID, status.CloseInput{ConfirmedBy: "Wile", ConfirmationSource: "internal",
			ConfirmationMethod: "chat", Message: "Fixed.", Resolution: status.ResolutionPermanent, Cause: "Disk.", Solution: "Space.",
			Author: "Bob"})
		require.NoError(t, err)

		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var got []string
		for _, e := range tl {
			got = append(got, string(e.Kind)+" "+e.Actor+": "+e.Text())
		}
		require.Equal(t, []string{
			"declared Ann: The incident started.",
			`declared Ann: Declared minor incident "Checkout \"down\"" (internal).`,
			"update Ann: Analysis update posted: Looking.",
			"component Ann: API: EU: Operational → Major outage.",
			"update Cem: Analysis update posted (silent): Found it: <b>disk</b>.",
			"state Cem: State changed from Investigating to Mitigating.",
			"update Cem: Update posted: Still on it.", // was "Update update posted"
			"change Herald: 1 earlier update made visible to public.",
			"severity Herald: Severity changed from minor to major.",
			"change Herald: Visibility changed from internal to public.",
			`change Herald: Title changed to "Checkout <down>".`,
			`change Herald: Public title set to "Checkout slow".`,
			"change Herald: Start time corrected to Mar 10, 2026 12:15 CET.", // in the page's zone
			"change Herald: Automatic holding update turned on: when an update falls due with nothing posted, Herald posts a holding update.",
			"change Herald: Incident record edited.",
			"change Herald: Public title removed: the public sees the title.",
			"change Herald: Automatic holding update turned off.",
			"role Ann: Ann is now incident commander.",
			"role Bob: Bob took over as incident commander from Ann.",
			"role Bob: Ann is now technical help.",
			"role Bob: Ann is no longer technical help.",
			"note Bob: Paged <i>storage</i>.",
			"change Bob: Scheduled a progress update for 10 Mar 15:00 CET: Later.",
			"change Bob: Cancelled the update scheduled for Mar 10, 2026 15:00 CET.",
			"change Bob: Scheduled an analysis update for 10 Mar 15:00 CET: Later.",
			"change Bob: Cancelled the update scheduled for Mar 10, 2026 15:00 CET.",
			"change Bob: Scheduled an update for 10 Mar 15:00 CET: Later.",
			"change Bob: Cancelled the update scheduled for Mar 10, 2026 15:00 CET.",
			"change Herald: Account Management informed: Bob, recorded by Herald.",
			"change Herald: Business continuity plan triggered.",
			"change Herald: Post-mortem decision by Bob (Account Management), recorded by Herald: no post-mortem.",
			"change Herald: Post-mortem decision by Bob (Account Management), recorded by Herald: a post-mortem will be written.",
			"change Herald: Internal post-mortem saved.",
			"change Herald: Public post-mortem draft saved.",
			"change Herald: Public post-mortem published.",
			"change Herald: Public post-mortem withdrawn from the public page.",
			"change Herald: Affected customers changed: 1 added, 0 removed, 1 in all.",
			"change Bob: Services confirmed back by Wile (team member, in chat).",
			"update Bob: Resolution update posted: Fixed.",
			"state Bob: State changed from Mitigating to Resolved.",
			"component Bob: API: EU: Major outage → Operational.",
		}, got)
		for _, e := range tl {
			require.NotEqual(t, status.MsgLegacyText, e.Message, "new entries are never legacy text")
			require.Contains(t, status.TimelineMessages(), e.Message)
		}
	})
}

// Correcting the start moves "The incident started." to the new start, so
// the timeline reads in order; an incident declared as starting when it
// was declared gets the entry at an earlier start; a start after the
// declaration moves the entry after it.
func TestTimelineStartCorrected(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		entries := func(inc *status.Incident) []string {
			t.Helper()
			tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
			require.NoError(t, err)
			var got []string
			for _, e := range tl {
				got = append(got, e.At.UTC().Format("15:04")+" "+e.TextIn(p.Location()))
			}
			return got
		}
		started := epoch.Add(-30 * time.Minute) // epoch is 12:00 UTC
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Checkout", Severity: status.SeverityMinor,
			Visibility: status.VisibilityInternal, Body: "Looking.", Author: "Ann", StartedAt: &started})
		require.NoError(t, err)
		b.clock.Advance(10 * time.Minute)
		earlier := epoch.Add(-2 * time.Hour)
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{StartedAt: &earlier})
		require.NoError(t, err)
		got := entries(inc)
		require.Equal(t, "10:00 The incident started.", got[0], "the start entry moved to the corrected start: %q", got)
		require.Contains(t, got, "12:10 Start time corrected to Mar 10, 2026 11:00 CET.")
		require.Len(t, got, 4, "the entry was moved, not copied: %q", got)

		// Corrected again, and then twice to the same time: one entry each time it changed.
		later := epoch.Add(-20 * time.Minute)
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{StartedAt: &later})
		require.NoError(t, err)
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{StartedAt: &later})
		require.NoError(t, err)
		got = entries(inc)
		require.Equal(t, "11:40 The incident started.", got[0], "%q", got)
		require.Len(t, got, 5, "%q", got)

		// Declared as starting now: no start entry until the start is corrected to an earlier time.
		now := epoch.Add(10 * time.Minute)
		inc2, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Search", Severity: status.SeverityMinor,
			Visibility: status.VisibilityInternal, Body: "Looking.", Author: "Bob", StartedAt: &now})
		require.NoError(t, err)
		for _, l := range entries(inc2) {
			require.NotContains(t, l, "The incident started.")
		}
		b.clock.Advance(5 * time.Minute)
		before := epoch.Add(-5 * time.Minute)
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc2.ID, status.IncidentPatch{StartedAt: &before})
		require.NoError(t, err)
		got = entries(inc2)
		require.Equal(t, "11:55 The incident started.", got[0], "%q", got)
	})
}
