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

func TestCutTrim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		s    string
		n    int
		mark string
		want string
	}{
		{"fits as it is, trailing space and all", "a b ", 10, "…", "a b "},
		{"the mark follows a word, not a space", "abc defghij", 7, "…", "abc…"},
		{"cut inside a word keeps the word's start", "abc defghij", 9, "…", "abc de…"},
		{"runs of white space go too", "ab \t\n cdefgh", 8, "…", "ab…"},
		{"never half a character", "éé ééé", 6, "", "éé"},
		{"a mark longer than n is all there is", "abc", 1, "…", "…"},
	} {
		got := status.CutTrim(tc.s, tc.n, tc.mark)
		require.Equal(t, tc.want, got, tc.name)
		require.True(t, utf8.ValidString(got), tc.name)
		if len(tc.s) > tc.n && len(tc.mark) <= tc.n {
			require.LessOrEqual(t, len(got), tc.n, tc.name)
		}
	}
}
