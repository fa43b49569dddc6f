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

func TestIncidentRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		ann := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Ann"})
		bob := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Bob"})
		cem := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Cem"})

		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleComms, ann.ID, "Ann"))
		b.clock.Advance(time.Minute)
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleComms, bob.ID, "Bob"), "take over")
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleComms, bob.ID, "Bob"), "again is a no-op")
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleHelp, ann.ID, "Bob"))
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleHelp, cem.ID, "Bob"), "technical help may be several")
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleCommander, ann.ID, "Ann"), "one person may hold several roles")

		roles, err := b.svc.Incidents.Roles(b.ctx, inc.ID)
		require.NoError(t, err)
		var got []string
		for _, r := range roles {
			got = append(got, string(r.Role)+":"+r.User.Name)
		}
		require.Equal(t, []string{"commander:Ann", "comms:Bob", "help:Ann", "help:Cem"}, got)

		require.NoError(t, b.svc.Incidents.RemoveRole(b.ctx, p.ID, inc.ID, status.RoleHelp, cem.ID, "Bob"))
		err = b.svc.Incidents.RemoveRole(b.ctx, p.ID, inc.ID, status.RoleHelp, cem.ID, "Bob")
		requireKind(t, err, status.KindNotFound)

		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var bodies []string
		for _, e := range tl {
			if e.Kind == status.TimelineRole {
				bodies = append(bodies, e.Text())
			}
		}
		require.Equal(t, []string{
			"Ann is now communication manager.",
			"Bob took over as communication manager from Ann.",
			"Ann is now technical help.",
			"Cem is now technical help.",
			"Ann is now incident commander.",
			"Cem is no longer technical help.",
		}, bodies, "every role change is on the timeline")

		// Bad input.
		requireField(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, "janitor", ann.ID, "x"), status.KindInvalid, "role")
		requireField(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleLead, "nobody000000", "x"), status.KindInvalid, "user")
		requireField(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleLead, "'; drop", "x"), status.KindInvalid, "user")
		other := statustest.Page(t, b.svc, nil)
		requireKind(t, b.svc.Incidents.AssignRole(b.ctx, other.ID, inc.ID, status.RoleLead, ann.ID, "x"), status.KindNotFound)
		gone := statustest.User(t, b.svc, nil)
		_, err = b.svc.Accounts.UpdateUser(b.ctx, gone.ID, status.UserPatch{Disabled: statustest.Ptr(true)})
		require.NoError(t, err)
		requireField(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleLead, gone.ID, "x"), status.KindInvalid, "user")
	})
}
