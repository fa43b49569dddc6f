package status_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestCreateComponent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		g := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "Backend"})

		c, err := b.svc.Pages.CreateComponent(b.ctx, p.ID, status.ComponentInput{Name: " API ", GroupID: &g.ID, Position: 2})
		require.NoError(t, err)
		require.Equal(t, "API", c.Name)
		require.Equal(t, status.Operational, c.Status, "status defaults to operational")
		requireTime(t, epoch, c.StartDate)

		got, err := b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err)
		require.NotNil(t, got.GroupID)
		require.Equal(t, g.ID, *got.GroupID)
		require.Equal(t, 2, got.Position)
		require.False(t, got.Hidden)

		hs := history(t, bdb, c.ID)
		require.Len(t, hs, 1, "creation starts the history")
		require.Equal(t, status.Operational, hs[0].Status)
		requireTime(t, epoch, hs[0].ChangedAt)

		hidden := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Billing", Status: status.DegradedPerformance, Hidden: true})
		require.True(t, hidden.Hidden)
		require.Equal(t, []status.ComponentStatus{status.DegradedPerformance}, statuses(history(t, bdb, hidden.ID)))

		cs, err := b.svc.Pages.Components(b.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, cs, 2, "hidden components are listed for the console")
		require.Equal(t, hidden.ID, cs[0].ID, "ordered by position")
		require.Equal(t, c.ID, cs[1].ID)
	})
}

func TestCreateComponent_Refused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		foreign := statustest.Group(t, b.svc, other.ID, nil)

		cases := []struct {
			name  string
			in    status.ComponentInput
			kind  status.Kind
			field string
		}{
			{"group of another page", status.ComponentInput{Name: "API", GroupID: &foreign.ID}, status.KindInvalid, "group_id"},
			{"group that does not exist", status.ComponentInput{Name: "API", GroupID: statustest.Ptr(status.NewID())}, status.KindInvalid, "group_id"},
			{"malformed group id", status.ComponentInput{Name: "API", GroupID: statustest.Ptr("../x")}, status.KindInvalid, "group_id"},
			{"blank name", status.ComponentInput{Name: " \t "}, status.KindInvalid, "name"},
			{"name too long", status.ComponentInput{Name: strings.Repeat("x", status.MaxNameLen+1)}, status.KindInvalid, "name"},
			{"name with a NUL", status.ComponentInput{Name: "A\x00PI"}, status.KindInvalid, "name"},
			{"name with invalid UTF-8", status.ComponentInput{Name: "API\xc3"}, status.KindInvalid, "name"},
			{"description with a NUL", status.ComponentInput{Name: "API", Description: "\x00"}, status.KindInvalid, "description"},
			{"unknown status", status.ComponentInput{Name: "API", Status: "on_fire"}, status.KindInvalid, "status"},
			{"negative position", status.ComponentInput{Name: "API", Position: -1}, status.KindInvalid, "position"},
			{"huge position", status.ComponentInput{Name: "API", Position: 1 << 40}, status.KindInvalid, "position"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := b.svc.Pages.CreateComponent(b.ctx, p.ID, tc.in)
				requireField(t, err, tc.kind, tc.field)
			})
		}
		_, err := b.svc.Pages.CreateComponent(b.ctx, status.NewID(), status.ComponentInput{Name: "API"})
		requireKind(t, err, status.KindNotFound)

		cs, err := b.svc.Pages.Components(b.ctx, p.ID)
		require.NoError(t, err)
		require.Empty(t, cs)
	})
}

func TestUpdateComponent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		g := statustest.Group(t, b.svc, p.ID, nil)
		c := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API", Description: "keep"})

		t1 := b.clock.Advance(time.Hour)
		got, err := b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{
			Name: statustest.Ptr("Public API"), GroupID: statustest.Ptr(&g.ID),
			Status: statustest.Ptr(status.MajorOutage), Hidden: statustest.Ptr(true), Position: statustest.Ptr(7),
		})
		require.NoError(t, err)
		require.Equal(t, status.MajorOutage, got.Status)
		requireTime(t, t1, got.UpdatedAt)

		got, err = b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err)
		require.Equal(t, "Public API", got.Name)
		require.Equal(t, "keep", got.Description, "nil fields stay")
		require.Equal(t, g.ID, *got.GroupID)
		require.True(t, got.Hidden)
		require.Equal(t, 7, got.Position)
		require.Equal(t, status.MajorOutage, got.Status)

		// A patch that does not change the status adds no history.
		b.clock.Advance(time.Hour)
		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{Status: statustest.Ptr(status.MajorOutage)})
		require.NoError(t, err)
		t3 := b.clock.Advance(time.Hour)
		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{Status: statustest.Ptr(status.Operational)})
		require.NoError(t, err)

		hs := history(t, bdb, c.ID)
		require.Equal(t, []status.ComponentStatus{status.Operational, status.MajorOutage, status.Operational}, statuses(hs))
		requireTime(t, epoch, hs[0].ChangedAt)
		requireTime(t, t1, hs[1].ChangedAt)
		requireTime(t, t3, hs[2].ChangedAt)

		// Ungroup with a nil group id.
		got, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{GroupID: statustest.Ptr[*string](nil)})
		require.NoError(t, err)
		require.Nil(t, got.GroupID)
		got, err = b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err)
		require.Nil(t, got.GroupID)
	})
}

func TestUpdateComponent_Refused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		foreignGroup := statustest.Group(t, b.svc, other.ID, nil)
		foreign := statustest.Component(t, b.svc, other.ID, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)

		_, err := b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{GroupID: statustest.Ptr(&foreignGroup.ID)})
		requireField(t, err, status.KindInvalid, "group_id")
		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{Status: statustest.Ptr(status.ComponentStatus("down"))})
		requireField(t, err, status.KindInvalid, "status")
		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, c.ID, status.ComponentPatch{Name: statustest.Ptr("x\x00")})
		requireField(t, err, status.KindInvalid, "name")

		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, foreign.ID, status.ComponentPatch{Status: statustest.Ptr(status.MajorOutage)})
		requireKind(t, err, status.KindNotFound)
		_, err = b.svc.Pages.ComponentByID(b.ctx, p.ID, foreign.ID)
		requireKind(t, err, status.KindNotFound)
		requireKind(t, b.svc.Pages.DeleteComponent(b.ctx, p.ID, foreign.ID), status.KindNotFound)

		got, err := b.svc.Pages.ComponentByID(b.ctx, other.ID, foreign.ID)
		require.NoError(t, err)
		require.Equal(t, status.Operational, got.Status, "the other page's component is untouched")
		require.Nil(t, got.GroupID)
	})
}

func TestDeleteComponent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)
		require.NoError(t, b.svc.Pages.DeleteComponent(b.ctx, p.ID, c.ID))
		_, err := b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		requireKind(t, err, status.KindNotFound)
		require.Empty(t, history(t, bdb, c.ID), "the history goes with the component")
		requireKind(t, b.svc.Pages.DeleteComponent(b.ctx, p.ID, c.ID), status.KindNotFound)
	})
}

func TestGroups(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		second := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "Second", Position: 2})
		first := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "First", Position: 1})
		statustest.Group(t, b.svc, other.ID, nil)

		gs, err := b.svc.Pages.Groups(b.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, gs, 2)
		require.Equal(t, first.ID, gs[0].ID)
		require.Equal(t, second.ID, gs[1].ID)

		g, err := b.svc.Pages.UpdateGroup(b.ctx, p.ID, second.ID, status.GroupInput{Name: " Zeroth ", Position: 0})
		require.NoError(t, err)
		require.Equal(t, "Zeroth", g.Name)
		gs, err = b.svc.Pages.Groups(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, second.ID, gs[0].ID)

		_, err = b.svc.Pages.UpdateGroup(b.ctx, other.ID, second.ID, status.GroupInput{Name: "Stolen"})
		requireKind(t, err, status.KindNotFound)
		_, err = b.svc.Pages.UpdateGroup(b.ctx, p.ID, second.ID, status.GroupInput{Name: ""})
		requireField(t, err, status.KindInvalid, "name")
		_, err = b.svc.Pages.CreateGroup(b.ctx, p.ID, status.GroupInput{Name: "G", Position: -5})
		requireField(t, err, status.KindInvalid, "position")
		_, err = b.svc.Pages.CreateGroup(b.ctx, status.NewID(), status.GroupInput{Name: "G"})
		requireKind(t, err, status.KindNotFound)
	})
}

func TestDeleteGroup_KeepsComponentsUngrouped(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		g := statustest.Group(t, b.svc, p.ID, nil)
		c := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{GroupID: &g.ID})

		requireKind(t, b.svc.Pages.DeleteGroup(b.ctx, other.ID, g.ID), status.KindNotFound)
		got, err := b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err)
		require.NotNil(t, got.GroupID, "a refused delete ungroups nothing")

		require.NoError(t, b.svc.Pages.DeleteGroup(b.ctx, p.ID, g.ID))
		got, err = b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err)
		require.Nil(t, got.GroupID)
		gs, err := b.svc.Pages.Groups(b.ctx, p.ID)
		require.NoError(t, err)
		require.Empty(t, gs)
	})
}

func TestComponentStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status status.ComponentStatus
		label  string
		rank   int
		impact status.Impact
	}{
		{status.Operational, "Operational", 0, status.ImpactNone},
		{status.DegradedPerformance, "Degraded performance", 1, status.ImpactMinor},
		{status.PartialOutage, "Partial outage", 2, status.ImpactMajor},
		{status.MajorOutage, "Major outage", 3, status.ImpactCritical},
		{status.UnderMaintenance, "Under maintenance", 0, status.ImpactNone},
	}
	for _, tc := range cases {
		t.Run(string(tc.status), func(t *testing.T) {
			require.True(t, tc.status.Valid())
			require.Equal(t, tc.label, tc.status.Label())
			require.Equal(t, tc.rank, tc.status.Rank())
			require.Equal(t, tc.impact, tc.status.Impact())
		})
	}
	for _, bad := range []status.ComponentStatus{"", "Operational", "down", "operational "} {
		require.False(t, bad.Valid(), "%q", bad)
	}
}

// ComponentGroupIDs names the groups the components are in now, each once;
// ungrouped and unknown components add nothing.
func TestComponentGroupIDs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		core := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "Core"})
		edge := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "Edge"})
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API", GroupID: &core.ID})
		db := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Database", GroupID: &core.ID})
		cdn := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "CDN", GroupID: &edge.ID})
		site := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Website"})

		ids, err := b.svc.Pages.ComponentGroupIDs(b.ctx, []string{api.ID, db.ID, site.ID, "zzzzzzzzzzzz"})
		require.NoError(t, err)
		require.Equal(t, []string{core.ID}, ids)
		ids, err = b.svc.Pages.ComponentGroupIDs(b.ctx, []string{cdn.ID, api.ID})
		require.NoError(t, err)
		want := []string{core.ID, edge.ID}
		slices.Sort(want)
		require.Equal(t, want, ids)
		ids, err = b.svc.Pages.ComponentGroupIDs(b.ctx, nil)
		require.NoError(t, err)
		require.Empty(t, ids)

		// Moved to another group: the group it is in now.
		_, err = b.svc.Pages.UpdateComponent(b.ctx, p.ID, cdn.ID, status.ComponentPatch{GroupID: statustest.Ptr(&core.ID)})
		require.NoError(t, err)
		require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
			ids, err := tx.ComponentGroupIDs(ctx, []string{cdn.ID})
			require.NoError(t, err)
			require.Equal(t, []string{core.ID}, ids)
			return nil
		}))
	})
}
