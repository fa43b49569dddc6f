package status_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// recordingNotifier remembers what it was told and can be made to fail.
type recordingNotifier struct {
	status.NopNotifier
	mu      sync.Mutex // protects the fields below
	updates []*status.IncidentUpdate
	maints  []*status.MaintenanceUpdate
	fail    error
}

func (n *recordingNotifier) IncidentUpdated(_ context.Context, _ *status.Tx, _ *status.Incident, upd *status.IncidentUpdate) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return n.fail
	}
	n.updates = append(n.updates, upd)
	return nil
}

func (n *recordingNotifier) MaintenanceUpdated(_ context.Context, _ *status.Tx, _ *status.Maintenance, upd *status.MaintenanceUpdate) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return n.fail
	}
	n.maints = append(n.maints, upd)
	return nil
}

// affect is shorthand for the components of an incident input.
func affect(pairs ...any) []status.ComponentStatusInput {
	var out []status.ComponentStatusInput
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, status.ComponentStatusInput{ComponentID: pairs[i].(string), Status: pairs[i+1].(status.ComponentStatus)})
	}
	return out
}

func TestDeclareIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(epoch)
		notes := &recordingNotifier{}
		svc := status.New(bdb, status.Options{Now: clock.Now, Notifier: notes})
		ctx := t.Context()
		p := statustest.Page(t, svc, nil)
		api := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		web := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "Web"})
		clock.Advance(time.Minute)

		inc, err := svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{
			Title: " Elevated errors ", Severity: status.SeverityMajor, Visibility: status.VisibilityPublic,
			Components: affect(api.ID, status.MajorOutage, web.ID, status.Operational),
			Body:       "We see errors on the API.", Author: " Ada ",
		})
		require.NoError(t, err)
		require.Equal(t, "Elevated errors", inc.Title)
		require.Equal(t, status.StateInvestigating, inc.State, "state defaults to investigating")
		requireTime(t, clock.Now(), inc.StartedAt)
		require.Nil(t, inc.MonitoringAt)
		require.Nil(t, inc.ResolvedAt)

		require.Len(t, inc.Updates, 1)
		u := inc.Updates[0]
		require.Equal(t, status.KindAnalysis, u.Kind, "the first update defaults to analysis")
		require.Equal(t, status.StateInvestigating, u.State)
		require.Equal(t, "We see errors on the API.", u.Body)
		require.Equal(t, "Ada", u.Author)
		require.True(t, u.Notify)
		require.Equal(t, []status.ComponentChange{{ComponentID: api.ID, Name: "API", OldStatus: status.Operational, NewStatus: status.MajorOutage}},
			u.Components, "only real changes are listed")

		require.Len(t, inc.Components, 2, "both components are recorded as affected")
		byID := map[string]status.ComponentStatus{}
		for _, ic := range inc.Components {
			byID[ic.ComponentID] = ic.Status
		}
		require.Equal(t, map[string]status.ComponentStatus{api.ID: status.MajorOutage, web.ID: status.Operational}, byID)

		require.Equal(t, status.MajorOutage, componentStatus(t, &testBundle{ctx: ctx, svc: svc}, p.ID, api.ID))
		require.Equal(t, []status.ComponentStatus{status.Operational, status.MajorOutage}, statuses(history(t, bdb, api.ID)))
		require.Len(t, history(t, bdb, web.ID), 1, "an unchanged component gets no history")

		require.Len(t, notes.updates, 1)
		require.Equal(t, u.ID, notes.updates[0].ID)
	})
}

func TestDeclareIncident_NotifierFailureRollsBack(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		notes := &recordingNotifier{fail: errors.New("queue is down")}
		svc := status.New(bdb, status.Options{Notifier: notes})
		p := statustest.Page(t, svc, nil)
		c := statustest.Component(t, svc, p.ID, nil)
		_, err := svc.Incidents.Declare(t.Context(), p.ID, status.IncidentInput{Title: "Down", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "Down.", Components: affect(c.ID, status.MajorOutage)})
		require.ErrorContains(t, err, "queue is down")
		require.Equal(t, status.KindInternal, status.KindOf(err))

		incs, err := svc.Incidents.List(t.Context(), status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Empty(t, incs)
		got, err := svc.Pages.ComponentByID(t.Context(), p.ID, c.ID)
		require.NoError(t, err)
		require.Equal(t, status.Operational, got.Status)
	})
}

func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		api := statustest.Component(t, b.svc, p.ID, nil)
		db := statustest.Component(t, b.svc, p.ID, nil)
		b.clock.Advance(time.Minute)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Severity: status.SeverityMajor, Components: affect(api.ID, status.MajorOutage)})

		post := func(in status.UpdateInput) *status.IncidentUpdate {
			t.Helper()
			b.clock.Advance(10 * time.Minute)
			u, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, in)
			require.NoError(t, err)
			return u
		}

		u := post(status.UpdateInput{State: status.StateMitigating, Kind: status.KindProgress, Body: "Failing over.",
			Components: affect(db.ID, status.PartialOutage)})
		require.Equal(t, status.StateMitigating, u.State)
		require.Equal(t, status.MajorOutage, componentStatus(t, b, p.ID, api.ID), "components not in the update keep their status")
		require.Equal(t, status.PartialOutage, componentStatus(t, b, p.ID, db.ID))

		eta := b.clock.Now().Add(90 * time.Minute)
		u = post(status.UpdateInput{Kind: status.KindETA, ETA: &eta, Body: "Back within the hour and a half."})
		require.Equal(t, status.StateMitigating, u.State, "an empty state keeps the incident's state")
		requireTimePtr(t, eta, u.ETA)

		observing := b.clock.Now().Add(10 * time.Minute)
		post(status.UpdateInput{State: status.StateObserving, Kind: status.KindResolution, Resolution: status.ResolutionTemporary,
			Body: "Traffic moved to the standby.", Components: affect(api.ID, status.DegradedPerformance)})
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateObserving, got.State)
		requireTimePtr(t, observing, got.MonitoringAt)
		require.Nil(t, got.ResolvedAt)
		require.Equal(t, "monitoring", got.StatuspageStatus())

		post(status.UpdateInput{State: status.StateObserving, Body: "Still watching."})
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		requireTimePtr(t, observing, got.MonitoringAt) // when observing began, not the latest update

		// A major incident resolves only once the post-mortem decision is
		// recorded, whichever way it is resolved.
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.Equal(t, status.KindConflict, status.KindOf(err))
		require.Contains(t, status.Message(err), "post-mortem decision")
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemYes, DecidedBy: "Casey"}))
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.Equal(t, status.KindConflict, status.KindOf(err), "a yes needs the post-mortem written")
		_, err = b.svc.Incidents.SavePostmortem(b.ctx, p.ID, inc.ID, status.PostmortemInput{Kind: status.PostmortemInternal,
			Action: status.PostmortemSave, Text: "## Summary\n\nA draft."})
		require.NoError(t, err)

		resolved := b.clock.Now().Add(10 * time.Minute)
		u = post(status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution, Resolution: status.ResolutionPermanent,
			Body: "Fixed for good."})
		require.ElementsMatch(t, []status.ComponentChange{
			{ComponentID: api.ID, Name: api.Name, OldStatus: status.DegradedPerformance, NewStatus: status.Operational},
			{ComponentID: db.ID, Name: db.Name, OldStatus: status.PartialOutage, NewStatus: status.Operational},
		}, u.Components, "the resolving update lists the restored components")

		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateResolved, got.State)
		requireTimePtr(t, resolved, got.ResolvedAt)
		requireTimePtr(t, observing, got.MonitoringAt)
		require.Equal(t, resolved.Sub(got.StartedAt), got.Duration(resolved.Add(time.Hour)), "a resolved incident's duration stops")
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, api.ID))
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, db.ID))

		require.Len(t, got.Updates, 6)
		for i := 1; i < len(got.Updates); i++ {
			require.True(t, got.Updates[i-1].DisplayAt.After(got.Updates[i].DisplayAt), "updates come newest first")
		}
		require.Equal(t, []status.ComponentStatus{status.Operational, status.MajorOutage, status.DegradedPerformance, status.Operational},
			statuses(history(t, bdb, api.ID)))
	})
}

func TestResolve_ComponentHeldByAnotherOpenIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		shared := statustest.Component(t, b.svc, p.ID, nil)
		only := statustest.Component(t, b.svc, p.ID, nil)
		first := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Components: affect(shared.ID, status.MajorOutage, only.ID, status.PartialOutage)})
		b.clock.Advance(time.Minute)
		second := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Components: affect(shared.ID, status.DegradedPerformance)})
		b.clock.Advance(time.Minute)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
			Components: affect(shared.ID, status.PartialOutage)})
		require.Equal(t, status.DegradedPerformance, componentStatus(t, b, p.ID, shared.ID),
			"the latest public update sets the public status; an internal incident does not change it")

		b.clock.Advance(time.Minute)
		u, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, first.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		require.Equal(t, status.DegradedPerformance, componentStatus(t, b, p.ID, shared.ID),
			"a component held by other open public incidents gets the worst status they give it")
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, only.ID))
		require.Equal(t, []status.ComponentChange{{ComponentID: only.ID, Name: only.Name, OldStatus: status.PartialOutage, NewStatus: status.Operational}},
			u.Components, "an unchanged component is not listed")

		b.clock.Advance(time.Minute)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, second.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, shared.ID), "the internal incident holds it for the team only")
	})
}

func TestResolve_ExplicitComponentStatusWins(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)
		d := statustest.Component(t, b.svc, p.ID, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Components: affect(c.ID, status.MajorOutage, d.ID, status.MajorOutage)})
		b.clock.Advance(time.Minute)
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Mostly fixed.",
			Components: affect(c.ID, status.DegradedPerformance)})
		require.NoError(t, err)
		require.Equal(t, status.DegradedPerformance, componentStatus(t, b, p.ID, c.ID))
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, d.ID))
	})
}

func TestReopenIncident(t *testing.T) {
	t.Parallel()
	for _, reopenTo := range []status.State{status.StateInvestigating, status.StateMitigating, status.StateObserving} {
		t.Run(string(reopenTo), func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
				b := setup(t, bdb)
				p := statustest.Page(t, b.svc, nil)
				c := statustest.Component(t, b.svc, p.ID, nil)
				inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Components: affect(c.ID, status.MajorOutage)})
				b.clock.Advance(time.Hour)
				_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
				require.NoError(t, err)
				open, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID, Open: statustest.Ptr(true)})
				require.NoError(t, err)
				require.Empty(t, open)

				reopened := b.clock.Advance(time.Hour)
				_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: reopenTo, Body: "It is back.",
					Components: affect(c.ID, status.PartialOutage)})
				require.NoError(t, err)
				got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
				require.NoError(t, err)
				require.Equal(t, reopenTo, got.State)
				require.Nil(t, got.ResolvedAt, "a reopened incident is not resolved")
				require.Equal(t, status.PartialOutage, componentStatus(t, b, p.ID, c.ID))
				if reopenTo == status.StateObserving {
					requireTimePtr(t, reopened, got.MonitoringAt)
				}
				open, err = b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID, Open: statustest.Ptr(true)})
				require.NoError(t, err)
				require.Len(t, open, 1)

				resolvedAgain := b.clock.Advance(time.Hour)
				_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed again."})
				require.NoError(t, err)
				got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
				require.NoError(t, err)
				requireTimePtr(t, resolvedAgain, got.ResolvedAt)
				require.Equal(t, status.Operational, componentStatus(t, b, p.ID, c.ID))
			})
		})
	}
}

func TestPostUpdate_ToResolvedIncidentKeepsResolvedAt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		resolved := b.clock.Advance(time.Hour)
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		b.clock.Advance(time.Hour)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Body: "Root cause: a full disk.", Notify: statustest.Ptr(false)})
		require.NoError(t, err)
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateResolved, got.State)
		requireTimePtr(t, resolved, got.ResolvedAt)
		require.Equal(t, status.KindGeneral, got.Updates[0].Kind, "kind defaults to general")
		require.False(t, got.Updates[0].Notify)
		require.True(t, got.Updates[1].Notify, "notify defaults to true")
	})
}

func TestPostUpdate_InvalidInput(t *testing.T) {
	t.Parallel()
	past := epoch.Add(-time.Minute)
	future := epoch.Add(time.Hour)
	tooFar := epoch.AddDate(1, 0, 1)
	cases := []struct {
		name  string
		in    status.UpdateInput
		field string
	}{
		{"ETA kind without an ETA", status.UpdateInput{Kind: status.KindETA, Body: "Soon."}, "eta"},
		{"ETA in the past", status.UpdateInput{Kind: status.KindETA, ETA: &past, Body: "Soon."}, "eta"},
		{"ETA more than a year ahead", status.UpdateInput{Kind: status.KindETA, ETA: &tooFar, Body: "Soon."}, "eta"},
		{"resolution kind without a resolution", status.UpdateInput{Kind: status.KindResolution, Body: "Fixed."}, "resolution"},
		{"resolution kind with an unknown resolution", status.UpdateInput{Kind: status.KindResolution, Resolution: "forever", Body: "Fixed."}, "resolution"},
		{"resolution on a progress update", status.UpdateInput{Kind: status.KindProgress, Resolution: status.ResolutionPermanent, Body: "Fixed."}, "resolution"},
		{"unknown kind", status.UpdateInput{Kind: "rant", Body: "Hm."}, "kind"},
		{"unknown state", status.UpdateInput{State: "panicking", Body: "Hm."}, "state"},
		{"Statuspage state name", status.UpdateInput{State: "monitoring", Body: "Hm."}, "state"},
		{"empty body", status.UpdateInput{Body: ""}, "body"},
		{"blank body", status.UpdateInput{Body: "\n\t "}, "body"},
		{"body with a NUL", status.UpdateInput{Body: "a\x00b"}, "body"},
		{"body with invalid UTF-8", status.UpdateInput{Body: "\xed\xa0\x80"}, "body"},
		{"body too long", status.UpdateInput{Body: strings.Repeat("b", status.MaxBodyLen+1)}, "body"},
		{"author with a newline", status.UpdateInput{Body: "Hm.", Author: "Ada\nLovelace"}, "author"},
		{"malformed component id", status.UpdateInput{Body: "Hm.", Components: affect("NOPE!", status.MajorOutage)}, "components[0].id"},
		{"unknown component status", status.UpdateInput{Body: "Hm.", Components: affect(status.NewID(), status.ComponentStatus("meh"))}, "components[0].status"},
		{"component listed twice", status.UpdateInput{Body: "Hm.", Components: affect("aaaa", status.MajorOutage, "aaaa", status.Operational)}, "components[1].id"},
		{"too many components", status.UpdateInput{Body: "Hm.", Components: make([]status.ComponentStatusInput, 501)}, "components"},
		{"ETA given on a general update in the past", status.UpdateInput{Body: "Hm.", ETA: &past}, "eta"},
	}
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, tc.in)
				requireField(t, err, status.KindInvalid, tc.field)
			})
		}
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 1, "refused updates leave nothing behind")

		// The valid neighbours of those cases pass.
		for _, in := range []status.UpdateInput{
			{Kind: status.KindETA, ETA: &future, Body: "Within the hour."},
			{Kind: status.KindResolution, Resolution: status.ResolutionTemporary, Body: "Workaround in place."},
			{Kind: status.KindResolution, Resolution: status.ResolutionPermanent, Body: "Fixed."},
			{Kind: status.KindAnalysis, Body: strings.Repeat("b", status.MaxBodyLen)},
			{Kind: status.KindProgress, Body: "Line one\n\tindented\r\nline three"},
		} {
			_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, in)
			require.NoError(t, err, "%+v", in.Kind)
		}
	})
}

func TestPostUpdate_ComponentOfAnotherPage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		mine := statustest.Component(t, b.svc, p.ID, nil)
		foreign := statustest.Component(t, b.svc, other.ID, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)

		b.clock.Advance(time.Minute)
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Body: "Hm.",
			Components: affect(mine.ID, status.MajorOutage, foreign.ID, status.MajorOutage)})
		requireField(t, err, status.KindInvalid, "components[1].id")

		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateInvestigating, got.State, "the refused update changed nothing")
		require.Len(t, got.Updates, 1)
		require.Empty(t, got.Components)
		require.Equal(t, status.Operational, componentStatus(t, b, p.ID, mine.ID))
		require.Equal(t, status.Operational, componentStatus(t, b, other.ID, foreign.ID))

		_, err = b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "X", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "X.", Components: affect(foreign.ID, status.MajorOutage)})
		requireField(t, err, status.KindInvalid, "components[0].id")
		incs, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Len(t, incs, 1)
	})
}

func TestDeclareIncident_InvalidInput(t *testing.T) {
	t.Parallel()
	inFuture := epoch.Add(time.Hour)
	cases := []struct {
		name  string
		edit  func(in *status.IncidentInput)
		field string
	}{
		{"started in the future", func(in *status.IncidentInput) { in.StartedAt = &inFuture }, "started_at"},
		{"blank title", func(in *status.IncidentInput) { in.Title = " " }, "title"},
		{"title too long", func(in *status.IncidentInput) { in.Title = strings.Repeat("t", status.MaxNameLen+1) }, "title"},
		{"title with a NUL", func(in *status.IncidentInput) { in.Title = "Down\x00" }, "title"},
		{"title with invalid UTF-8", func(in *status.IncidentInput) { in.Title = "Down \xc0\xaf" }, "title"},
		{"missing severity", func(in *status.IncidentInput) { in.Severity = "" }, "severity"},
		{"unknown severity", func(in *status.IncidentInput) { in.Severity = "critical" }, "severity"},
		{"missing visibility", func(in *status.IncidentInput) { in.Visibility = "" }, "visibility"},
		{"unknown visibility", func(in *status.IncidentInput) { in.Visibility = "everyone" }, "visibility"},
		{"unknown state", func(in *status.IncidentInput) { in.State = "identified" }, "state"},
		{"empty body", func(in *status.IncidentInput) { in.Body = "" }, "body"},
		{"ETA kind needs an ETA", func(in *status.IncidentInput) { in.Kind = status.KindETA }, "eta"},
		{"component that does not exist", func(in *status.IncidentInput) {
			in.Components = affect(status.NewID(), status.MajorOutage)
		}, "components[0].id"},
	}
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := status.IncidentInput{Title: "Down", Severity: status.SeverityMinor, Visibility: status.VisibilityPublic, Body: "Down."}
				tc.edit(&in)
				_, err := b.svc.Incidents.Declare(b.ctx, p.ID, in)
				requireField(t, err, status.KindInvalid, tc.field)
			})
		}
		incs, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Empty(t, incs)

		_, err = b.svc.Incidents.Declare(b.ctx, status.NewID(), status.IncidentInput{Title: "Down", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "Down."})
		requireKind(t, err, status.KindNotFound)
	})
}

func TestDeclareIncident_StartedAt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		earlier := epoch.Add(-3 * time.Hour).In(time.FixedZone("CEST", 2*3600))
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{StartedAt: &earlier})
		requireTime(t, earlier, inc.StartedAt)
		requireTime(t, epoch, inc.CreatedAt)

		skewed := epoch.Add(time.Minute)
		inc = statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{StartedAt: &skewed})
		requireTime(t, skewed, inc.StartedAt, "a little clock skew is tolerated")

		resolved := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{State: status.StateResolved, StartedAt: &earlier})
		require.Equal(t, status.StateResolved, resolved.State, "an incident may be recorded after the fact")
		requireTimePtr(t, epoch, resolved.ResolvedAt)
		require.Equal(t, 3*time.Hour, resolved.Duration(epoch.Add(time.Hour)))
	})
}

func TestIncidentOfAnotherPage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)

		_, err := b.svc.Incidents.ByID(b.ctx, other.ID, inc.ID)
		requireKind(t, err, status.KindNotFound)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, other.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Ha."})
		requireKind(t, err, status.KindNotFound)
		_, err = b.svc.Incidents.Update(b.ctx, other.ID, inc.ID, status.IncidentPatch{Title: statustest.Ptr("Ha")})
		requireKind(t, err, status.KindNotFound)
		requireKind(t, b.svc.Incidents.Delete(b.ctx, other.ID, inc.ID), status.KindNotFound)
		_, err = b.svc.Incidents.ByID(b.ctx, p.ID, "../"+inc.ID)
		requireKind(t, err, status.KindNotFound)

		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateInvestigating, got.State)
		require.Equal(t, inc.Title, got.Title)
	})
}

func TestIncidents_Filters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		at := func(h int) *time.Time { return statustest.Ptr(epoch.Add(time.Duration(-h) * time.Hour)) }
		oldPublic := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{StartedAt: at(48), State: status.StateResolved})
		openPublic := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{StartedAt: at(3)})
		openInternal := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{StartedAt: at(2), Visibility: status.VisibilityInternal})
		resolvedCustomers := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{StartedAt: at(1),
			Visibility: status.VisibilityCustomers, State: status.StateResolved})
		statustest.Incident(t, b.svc, other.ID, nil)

		ids := func(f status.IncidentFilter) []string {
			t.Helper()
			f.PageID = p.ID
			incs, err := b.svc.Incidents.List(b.ctx, f)
			require.NoError(t, err)
			out := []string{}
			for _, inc := range incs {
				require.NotEmpty(t, inc.Updates, "updates are loaded")
				out = append(out, inc.ID)
			}
			return out
		}
		public, internal := status.VisibilityPublic, status.VisibilityInternal
		require.Equal(t, []string{resolvedCustomers.ID, openInternal.ID, openPublic.ID, oldPublic.ID}, ids(status.IncidentFilter{}),
			"latest start first, only this page")
		require.Equal(t, []string{openInternal.ID, openPublic.ID}, ids(status.IncidentFilter{Open: statustest.Ptr(true)}))
		require.Equal(t, []string{resolvedCustomers.ID, oldPublic.ID}, ids(status.IncidentFilter{Open: statustest.Ptr(false)}))
		require.Equal(t, []string{openPublic.ID, oldPublic.ID}, ids(status.IncidentFilter{Visibility: &public}))
		require.Equal(t, []string{openPublic.ID}, ids(status.IncidentFilter{Visibility: &public, Open: statustest.Ptr(true)}))
		require.Equal(t, []string{openInternal.ID}, ids(status.IncidentFilter{Visibility: &internal}))
		require.Equal(t, []string{resolvedCustomers.ID, openInternal.ID, openPublic.ID}, ids(status.IncidentFilter{Since: at(3)}),
			"since is inclusive")
		require.Equal(t, []string{openInternal.ID, openPublic.ID}, ids(status.IncidentFilter{Limit: 2, Offset: 1}))
		require.Equal(t, []string{}, ids(status.IncidentFilter{Offset: 10}))

		none, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: status.NewID()})
		require.NoError(t, err)
		require.Empty(t, none)
	})
}

func TestUpdateIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		b.clock.Advance(time.Hour)
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		require.Equal(t, "resolved", mustIncident(t, b, p.ID, inc.ID).StatuspageStatus())

		published := b.clock.Advance(time.Hour)
		started := epoch.Add(-time.Hour)
		got, err := b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{
			Title: statustest.Ptr("Database outage"), Severity: statustest.Ptr(status.SeverityMajor), StartedAt: &started,
			Postmortem: statustest.Ptr("# What happened\n\nA disk filled up."),
		})
		require.NoError(t, err)
		require.Equal(t, "Database outage", got.Title)
		require.Equal(t, status.SeverityMajor, got.Severity)
		requireTime(t, started, got.StartedAt)
		requireTimePtr(t, published, got.PostmortemAt)
		require.Equal(t, "postmortem", got.StatuspageStatus())
		require.Equal(t, status.StateResolved, got.State, "descriptive changes keep the state")
		require.Len(t, got.Updates, 2)

		got, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Postmortem: statustest.Ptr("  ")})
		require.NoError(t, err)
		require.Nil(t, got.PostmortemAt, "a blank post-mortem is unpublished")
		require.Equal(t, "resolved", got.StatuspageStatus())

		got, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityCustomers)})
		require.NoError(t, err, "narrowing a resolved incident is allowed")
		require.False(t, got.Public())
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityPublic)})
		requireKind(t, err, status.KindConflict)
		require.Contains(t, status.Message(err), "resolved", "widening a resolved incident is refused")

		tomorrow := b.clock.Now().Add(24 * time.Hour)
		for _, tc := range []struct {
			patch status.IncidentPatch
			field string
		}{
			{status.IncidentPatch{StartedAt: &tomorrow}, "started_at"},
			{status.IncidentPatch{Title: statustest.Ptr("")}, "title"},
			{status.IncidentPatch{Severity: statustest.Ptr(status.Severity("sev1"))}, "severity"},
			{status.IncidentPatch{Visibility: statustest.Ptr(status.Visibility("secret"))}, "visibility"},
			{status.IncidentPatch{Postmortem: statustest.Ptr("\x00")}, "postmortem"},
		} {
			_, err := b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, tc.patch)
			requireField(t, err, status.KindInvalid, tc.field)
		}
	})
}

func TestDeleteIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Components: affect(c.ID, status.MajorOutage)})
		require.NoError(t, b.svc.Incidents.Delete(b.ctx, p.ID, inc.ID))
		_, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		requireKind(t, err, status.KindNotFound)
		requireKind(t, b.svc.Incidents.Delete(b.ctx, p.ID, inc.ID), status.KindNotFound)
		_, err = b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err, "the components stay")
	})
}

func mustIncident(t *testing.T, b *testBundle, pageID, id string) *status.Incident {
	t.Helper()
	inc, err := b.svc.Incidents.ByID(b.ctx, pageID, id)
	require.NoError(t, err)
	return inc
}

func TestIncidentVocabulary(t *testing.T) {
	t.Parallel()
	t.Run("states map to Statuspage's names", func(t *testing.T) {
		want := map[status.State]string{
			status.StateInvestigating: "investigating", status.StateMitigating: "identified",
			status.StateObserving: "monitoring", status.StateResolved: "resolved",
		}
		for _, s := range status.States {
			require.True(t, s.Valid())
			require.Equal(t, want[s], s.Statuspage())
			require.Equal(t, s != status.StateResolved, s.Open())
		}
		require.False(t, status.State("identified").Valid())
	})
	t.Run("severities map to impacts", func(t *testing.T) {
		want := map[status.Severity]status.Impact{
			status.SeverityTrivial: status.ImpactNone, status.SeverityMinor: status.ImpactMinor,
			status.SeverityMajor: status.ImpactMajor, status.SeverityBusinessContinuity: status.ImpactCritical,
		}
		for _, s := range status.Severities {
			require.True(t, s.Valid())
			require.Equal(t, want[s], s.Impact())
			require.NotEmpty(t, s.Label())
		}
		require.False(t, status.Severity("critical").Valid())
	})
	t.Run("every value has a label", func(t *testing.T) {
		for _, s := range status.States {
			require.NotEqual(t, string(s), s.Label())
		}
		for _, k := range []status.UpdateKind{status.KindAnalysis, status.KindProgress, status.KindETA, status.KindResolution, status.KindGeneral} {
			require.True(t, k.Valid())
			require.NotEmpty(t, k.Label())
		}
		require.False(t, status.UpdateKind("rant").Valid())
		for _, v := range []status.Visibility{status.VisibilityPublic, status.VisibilityCustomers, status.VisibilityInternal} {
			require.True(t, v.Valid())
		}
		require.False(t, status.Visibility("secret").Valid())
		for _, m := range []status.MaintenanceState{status.MaintenanceScheduled, status.MaintenanceInProgress, status.MaintenanceCompleted} {
			require.True(t, m.Valid())
			require.NotEqual(t, string(m), m.Label())
		}
		require.False(t, status.MaintenanceState("cancelled").Valid())
	})
	t.Run("an open incident's duration runs to now", func(t *testing.T) {
		inc := &status.Incident{StartedAt: epoch}
		require.Equal(t, 90*time.Minute, inc.Duration(epoch.Add(90*time.Minute)))
	})
}

// Each major or business-continuity incident gets a channel of its own,
// named for the day it started in the page's time zone and numbered after
// the first; it is given when an incident becomes major and kept; minor
// ones run in #operations. The admin API's JSON carries it.
func TestIncidentChannels(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		other := statustest.Page(t, b.svc, nil)
		late := epoch.Add(-time.Duration(epoch.Hour())*time.Hour + 23*time.Hour + 30*time.Minute) // 23:30 UTC: the next day in Berlin
		day := "#incident-" + late.In(mustZone(t, "Europe/Berlin")).Format(time.DateOnly)
		b.clock.Set(late.Add(time.Minute))
		first := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMajor, StartedAt: &late})
		require.Equal(t, day, first.Channel)
		second := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityBusinessContinuity, StartedAt: &late})
		require.Equal(t, day+"-2", second.Channel)
		minor := statustest.Incident(t, b.svc, other.ID, &statustest.IncidentOpts{Severity: status.SeverityMinor, StartedAt: &late})
		require.Empty(t, minor.Channel)
		require.Equal(t, status.OperationsChannel, status.ChannelName(minor, nil))

		up, err := b.svc.Incidents.Update(b.ctx, other.ID, minor.ID, status.IncidentPatch{Severity: statustest.Ptr(status.SeverityMajor)})
		require.NoError(t, err)
		require.Equal(t, "#incident-"+late.UTC().Format(time.DateOnly), up.Channel, "the other page is in UTC")
		up, err = b.svc.Incidents.Update(b.ctx, p.ID, first.ID, status.IncidentPatch{Severity: statustest.Ptr(status.SeverityMinor)})
		require.NoError(t, err)
		require.Equal(t, day, up.Channel, "kept")
		require.Equal(t, status.OperationsChannel, status.ChannelName(up, nil))
		up, err = b.svc.Incidents.Update(b.ctx, p.ID, first.ID, status.IncidentPatch{Severity: statustest.Ptr(status.SeverityMajor)})
		require.NoError(t, err)
		require.Equal(t, day, up.Channel, "the same channel again, not a new one")
		third := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMajor, StartedAt: &late})
		require.Equal(t, day+"-3", third.Channel)
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}
