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

func goodClose() status.CloseInput {
	return status.CloseInput{ConfirmedBy: "Bob at Acme", ConfirmationSource: "customer", ConfirmationMethod: "email", Message: "All good again.",
		Resolution: status.ResolutionPermanent, Cause: "A full disk.", Solution: "Cleaned up and added space.",
		FollowUps: "https://tickets.example/OPS-1\nhttps://tickets.example/OPS-2", Author: "Max"}
}

func TestCloseIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)
		minor := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMinor,
			Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.PartialOutage}}})
		b.clock.Advance(30 * time.Minute)

		bad := map[string]func(*status.CloseInput){
			"confirmed_by":        func(in *status.CloseInput) { in.ConfirmedBy = " " },
			"confirmation_source": func(in *status.CloseInput) { in.ConfirmationSource = "rumour" },
			"confirmation_method": func(in *status.CloseInput) { in.ConfirmationMethod = "carrier pigeon" },
			"message":             func(in *status.CloseInput) { in.Message = "" },
			"resolution":          func(in *status.CloseInput) { in.Resolution = "" },
			"cause":               func(in *status.CloseInput) { in.Cause = "" },
			"solution":            func(in *status.CloseInput) { in.Solution = strings.Repeat("x", status.MaxBodyLen+1) },
			"follow_ups":          func(in *status.CloseInput) { in.FollowUps = "javascript:alert(1)" },
		}
		for field, mutate := range bad {
			in := goodClose()
			mutate(&in)
			_, err := b.svc.Incidents.Close(b.ctx, p.ID, minor.ID, in)
			requireField(t, err, status.KindInvalid, field)
		}
		in := goodClose()
		in.Version = 99
		_, err := b.svc.Incidents.Close(b.ctx, p.ID, minor.ID, in)
		requireKind(t, err, status.KindConflict)

		_, err = b.svc.Incidents.Close(b.ctx, p.ID, minor.ID, goodClose())
		require.NoError(t, err)
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, minor.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateResolved, got.State)
		require.Equal(t, "Bob at Acme", got.ConfirmedBy)
		require.Equal(t, "customer", got.ConfirmationSource)
		require.Equal(t, "A full disk.", got.Cause)
		require.Equal(t, status.KindResolution, got.Updates[0].Kind)
		comp, err := b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err)
		require.Equal(t, status.Operational, comp.Status, "closing settles components")
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, minor.ID, goodClose())
		requireKind(t, err, status.KindConflict)

		// The post-mortem gate.
		major := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMajor})
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, major.ID, goodClose())
		e := requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Message, "post-mortem decision")
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, major.ID, status.EscalationStep{What: status.RecordPostmortemYes, DecidedBy: "Max"}))
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, major.ID, goodClose())
		e = requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Message, "write it")
		pm := "# Post-mortem\n\nWhat we learned."
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, major.ID, status.IncidentPatch{Postmortem: &pm})
		require.NoError(t, err)
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, major.ID, goodClose())
		require.NoError(t, err)
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, major.ID)
		require.NoError(t, err)
		require.Equal(t, "postmortem", got.StatuspageStatus())

		long := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMinor})
		b.clock.Advance(4*time.Hour + time.Minute)
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, long.ID, goodClose())
		requireKind(t, err, status.KindConflict)
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, long.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Max"}))
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, long.ID, goodClose())
		require.NoError(t, err, "a recorded \"no\" lets it close")
	})
}
