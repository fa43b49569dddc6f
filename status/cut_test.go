package status_test

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

func TestCut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		n    int
		mark string
		want string
	}{
		{"short", 10, "…", "short"},
		{"exactly10!", 10, "…", "exactly10!"},
		{"abcdefghijkl", 10, "…", "abcdefg…"},
		{"ééééé", 5, "", "éé"},  // never half a character
		{"ééééé", 6, "…", "é…"}, // the mark counts too
		{"abc", 1, "…", "…"},    // a mark longer than n is all there is
	} {
		got := status.Cut(tc.s, tc.n, tc.mark)
		require.Equal(t, tc.want, got, "%q %d", tc.s, tc.n)
		require.True(t, utf8.ValidString(got))
		if len(tc.s) > tc.n && len(tc.mark) <= tc.n {
			require.LessOrEqual(t, len(got), tc.n)
		}
	}
}
