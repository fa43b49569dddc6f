package status_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// componentOrder returns the names of a page's components in a group (nil
// for the ungrouped ones), in the order the page shows them.
func componentOrder(t *testing.T, b *testBundle, pageID string, groupID *string) []string {
	t.Helper()
	cs, err := b.svc.Pages.Components(b.ctx, pageID)
	require.NoError(t, err)
	var out []string
	for _, c := range cs {
		if (c.GroupID == nil) == (groupID == nil) && (groupID == nil || *c.GroupID == *groupID) {
			out = append(out, c.Name)
		}
	}
	return out
}

func groupOrder(t *testing.T, b *testBundle, pageID string) []string {
	t.Helper()
	gs, err := b.svc.Pages.Groups(b.ctx, pageID)
	require.NoError(t, err)
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = g.Name
	}
	return out
}

func pageVersion(t *testing.T, b *testBundle, pageID string) int64 {
	t.Helper()
	p, err := b.svc.Pages.ByID(b.ctx, pageID)
	require.NoError(t, err)
	return p.Version
}

func TestOrderingMoveComponent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		g := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "Core"})
		// Equal positions: the shown order falls back to the name.
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API", GroupID: &g.ID})
		statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Billing", GroupID: &g.ID})
		cdn := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "CDN", GroupID: &g.ID})
		statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Website"}) // ungrouped, untouched
		require.Equal(t, []string{"API", "Billing", "CDN"}, componentOrder(t, b, p.ID, &g.ID))

		v := pageVersion(t, b, p.ID)
		b.clock.Advance(time.Minute)
		moved, err := b.svc.Pages.MoveComponent(b.ctx, p.ID, cdn.ID, -1)
		require.NoError(t, err)
		require.Equal(t, 2, moved.Position)
		require.Equal(t, []string{"API", "CDN", "Billing"}, componentOrder(t, b, p.ID, &g.ID))
		require.Greater(t, pageVersion(t, b, p.ID), v, "the public snapshot is told")

		_, err = b.svc.Pages.MoveComponent(b.ctx, p.ID, cdn.ID, -1)
		require.NoError(t, err)
		require.Equal(t, []string{"CDN", "API", "Billing"}, componentOrder(t, b, p.ID, &g.ID))

		// Past the top it stays, and nothing is written.
		v = pageVersion(t, b, p.ID)
		_, err = b.svc.Pages.MoveComponent(b.ctx, p.ID, cdn.ID, -1)
		require.NoError(t, err)
		require.Equal(t, v, pageVersion(t, b, p.ID), "a move that changes nothing writes nothing")

		// A huge delta stops at the bottom.
		_, err = b.svc.Pages.MoveComponent(b.ctx, p.ID, cdn.ID, math.MaxInt)
		require.NoError(t, err)
		require.Equal(t, []string{"API", "Billing", "CDN"}, componentOrder(t, b, p.ID, &g.ID))
		_, err = b.svc.Pages.MoveComponent(b.ctx, p.ID, api.ID, math.MinInt)
		require.NoError(t, err)
		require.Equal(t, []string{"API", "Billing", "CDN"}, componentOrder(t, b, p.ID, &g.ID))
		require.Equal(t, []string{"Website"}, componentOrder(t, b, p.ID, nil))

		// Each move is in the audit log with the order before and after.
		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "component", SubjectID: cdn.ID})
		require.NoError(t, err)
		var moves []*status.AuditEntry
		for _, e := range log {
			if e.Action == "move" {
				moves = append(moves, e)
			}
		}
		require.Len(t, moves, 3)
		var after struct {
			GroupID  *string  `json:"group_id"`
			Position int      `json:"position"`
			Order    []string `json:"order"`
		}
		require.NoError(t, json.Unmarshal([]byte(moves[0].After), &after))
		require.Equal(t, 3, after.Position)
		require.Equal(t, g.ID, *after.GroupID)
		require.Len(t, after.Order, 3)
		require.Equal(t, cdn.ID, after.Order[2])
		require.NotEmpty(t, moves[0].Before)
		require.Equal(t, p.ID, moves[0].PageID)
	})
}

func TestOrderingMoveGroup(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		a := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "A", Position: 10})
		statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "B", Position: 20})
		c := statustest.Group(t, b.svc, p.ID, &statustest.GroupOpts{Name: "C", Position: 30})
		other := statustest.Page(t, b.svc, nil)
		foreign := statustest.Group(t, b.svc, other.ID, &statustest.GroupOpts{Name: "Elsewhere"})

		g, err := b.svc.Pages.MoveGroup(b.ctx, p.ID, a.ID, 1)
		require.NoError(t, err)
		require.Equal(t, 2, g.Position)
		require.Equal(t, []string{"B", "A", "C"}, groupOrder(t, b, p.ID))
		_, err = b.svc.Pages.MoveGroup(b.ctx, p.ID, c.ID, -2)
		require.NoError(t, err)
		require.Equal(t, []string{"C", "B", "A"}, groupOrder(t, b, p.ID))

		gs, err := b.svc.Pages.Groups(b.ctx, p.ID)
		require.NoError(t, err)
		for i, g := range gs {
			require.Equal(t, i+1, g.Position, "renumbered 1…n")
		}

		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "group", SubjectID: c.ID})
		require.NoError(t, err)
		require.NotEmpty(t, log)
		require.Equal(t, "move", log[0].Action)

		_, err = b.svc.Pages.MoveGroup(b.ctx, p.ID, foreign.ID, 1)
		requireKind(t, err, status.KindNotFound)
		require.Equal(t, []string{"Elsewhere"}, groupOrder(t, b, other.ID))
	})
}

func TestOrderingRefused(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, other.ID, nil)
		g := statustest.Group(t, b.svc, p.ID, nil)
		cases := []struct {
			name string
			move func() error
		}{
			{"component of another page", func() error { _, err := b.svc.Pages.MoveComponent(b.ctx, p.ID, c.ID, 1); return err }},
			{"unknown component", func() error { _, err := b.svc.Pages.MoveComponent(b.ctx, p.ID, status.NewID(), 1); return err }},
			{"malformed component id", func() error { _, err := b.svc.Pages.MoveComponent(b.ctx, p.ID, "../x", 1); return err }},
			{"unknown page", func() error { _, err := b.svc.Pages.MoveComponent(b.ctx, status.NewID(), c.ID, 1); return err }},
			{"malformed page id", func() error { _, err := b.svc.Pages.MoveGroup(b.ctx, "' OR 1=1 --", g.ID, 1); return err }},
			{"unknown group", func() error { _, err := b.svc.Pages.MoveGroup(b.ctx, p.ID, status.NewID(), -1); return err }},
			{"malformed group id", func() error { _, err := b.svc.Pages.MoveGroup(b.ctx, p.ID, "", -1); return err }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				requireKind(t, tc.move(), status.KindNotFound)
			})
		}
	})
}
