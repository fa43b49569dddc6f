package status_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

func TestComponentSections(t *testing.T) {
	t.Parallel()
	g1, g2, gone := "g1", "g2", "gone"
	groups := []*status.ComponentGroup{{ID: g2, Name: "First by position"}, {ID: g1, Name: "Second"}, {ID: "empty", Name: "Empty"}}
	comps := []*status.Component{ // in position order
		{ID: "a", GroupID: &g1}, {ID: "b", GroupID: &g2}, {ID: "h", GroupID: &g2, Hidden: true},
		{ID: "u"}, {ID: "o", GroupID: &gone}, {ID: "c", GroupID: &g1}, {ID: "s"},
	}
	ids := func(secs []status.ComponentSection) [][]string {
		var out [][]string
		for _, s := range secs {
			var row []string
			for _, c := range s.Components {
				row = append(row, c.ID)
			}
			out = append(out, row)
		}
		return out
	}
	secs := status.ComponentSections(groups, comps, nil)
	require.Equal(t, [][]string{{"u", "o", "s"}, {"b"}, {"a", "c"}, {"h"}}, ids(secs),
		"no group first (a lost group's too), groups in the given order, no empty group, hidden last")
	require.Nil(t, secs[0].Group)
	require.Equal(t, g2, secs[1].Group.ID)
	require.True(t, secs[3].Hidden)

	secs = status.ComponentSections(groups, comps, func(c *status.Component) bool { return c.ID != "c" && c.ID != "h" })
	require.Equal(t, [][]string{{"c"}, {"h"}}, ids(secs), "skip leaves components out")
	require.Empty(t, status.ComponentSections(nil, nil, nil))
}
