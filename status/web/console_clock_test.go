package web_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// timeElement is a <time> element: its datetime= (for machines) and its
// text (for people).
var timeElement = regexp.MustCompile(`<time datetime="([^"]*)"[^>]*>([^<]*)</time>`)

// requirePeopleTimes requires that page shows at least one time and that
// every time people read in it is in zone ("IST"), never UTC nor RFC 3339;
// RFC 3339 stays in the datetime= attributes.
func requirePeopleTimes(t *testing.T, page, zone string) {
	t.Helper()
	ms := timeElement.FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, ms, "the page shows times")
	iso := regexp.MustCompile(`\d{4}-\d\d-\d\d(T|\s\d)`)
	for _, m := range ms {
		require.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, m[1], "datetime= is RFC 3339 in UTC")
		require.NotContains(t, m[2], "UTC", "%q is shown to people", m[0])
		require.NotRegexp(t, iso, m[2], "%q is shown to people", m[0])
		if m[2] != "" && !regexp.MustCompile(`ago|just now`).MatchString(m[2]) {
			require.Contains(t, m[2], zone, "%q names the zone", m[0])
		}
	}
}
