package status_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func flagOf(flags []status.Flag, kind status.FlagKind) *status.Flag {
	for i := range flags {
		if flags[i].Kind == kind {
			return &flags[i]
		}
	}
	return nil
}

func TestEscalationsFromTheDatabase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Database"})
		on := []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.PartialOutage}}
		resolve := func(inc *status.Incident) {
			_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
			require.NoError(t, err)
		}
		first := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Components: on})
		b.clock.Advance(10 * time.Minute)
		resolve(first)
		b.clock.Advance(20 * time.Hour)
		second := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Components: on})
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, second.ID)
		require.NoError(t, err)
		flags, err := b.svc.Incidents.EscalationsOf(b.ctx, got)
		require.NoError(t, err)
		require.Nil(t, flagOf(flags, status.FlagAccountManagement), "the second incident in 48 h does not escalate")
		b.clock.Advance(10 * time.Minute)
		resolve(second)

		b.clock.Advance(20 * time.Hour)
		third := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Components: on})
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, third.ID)
		require.NoError(t, err)
		flags, err = b.svc.Incidents.EscalationsOf(b.ctx, got)
		require.NoError(t, err)
		am := flagOf(flags, status.FlagAccountManagement)
		require.NotNil(t, am, "the third incident on a component within 48 h escalates")
		require.False(t, am.Done)
		require.Contains(t, am.Reason, "Database")

		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, third.ID, status.EscalationStep{What: status.RecordAMInformed, DecidedBy: "Max"}))
		b.clock.Advance(5 * time.Hour)
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, third.ID)
		require.NoError(t, err)
		require.Equal(t, "Max", got.AMInformedBy)
		flags, err = b.svc.Incidents.EscalationsOf(b.ctx, got)
		require.NoError(t, err)
		require.True(t, flagOf(flags, status.FlagAccountManagement).Done)
		pm := flagOf(flags, status.FlagPostmortemDecision)
		require.NotNil(t, pm, "over 4 h asks for the post-mortem decision")
		require.False(t, pm.Done)

		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, third.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Max"}))
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, third.ID)
		require.NoError(t, err)
		require.Equal(t, status.PostmortemNo, got.PostmortemDecision)
		flags, err = b.svc.Incidents.EscalationsOf(b.ctx, got)
		require.NoError(t, err)
		require.True(t, flagOf(flags, status.FlagPostmortemDecision).Done)

		err = b.svc.Incidents.RecordEscalation(b.ctx, p.ID, third.ID, status.EscalationStep{What: "coffee", DecidedBy: "Max"})
		requireField(t, err, status.KindInvalid, "record")
		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, third.ID)
		require.NoError(t, err)
		var bodies []string
		for _, e := range tl {
			bodies = append(bodies, e.Text())
		}
		require.Contains(t, bodies, "Account Management informed: Max, recorded by Herald.")
		require.Contains(t, bodies, "Post-mortem decision by Max (Account Management), recorded by Herald: no post-mortem.")
	})
}
