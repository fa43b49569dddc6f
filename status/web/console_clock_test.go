package web_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
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

// The inbox, an intake item and an incident's timeline show people the
// page's zone (the only page's, for the inbox), with the zone named; the
// timeline's own sentences too ("Start time corrected to …").
func TestConsoleTimesInThePagesZone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Asia/Kolkata"})
		item := intakeItem(t, b, status.IntakeInput{Title: "API down", SenderEmail: "x@elsewhere.example"})
		br := customerBrowser(t, b, status.RoleViewer)
		for _, path := range []string{"/console/inbox", "/console/inbox/" + item.ID} {
			r := br.send(http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, r.Code, path)
			requirePeopleTimes(t, r.String(), "IST")
		}

		started := b.clock.Now().Add(-time.Hour)
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Checkout", Severity: status.SeverityMinor,
			Visibility: status.VisibilityInternal, Body: "Looking.", Author: "Ann", StartedAt: &started})
		require.NoError(t, err)
		earlier := started.Add(-30 * time.Minute)
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{StartedAt: &earlier})
		require.NoError(t, err)
		r := br.send(http.MethodGet, "/console/pages/"+p.ID+"/incidents/"+inc.ID, nil)
		require.Equal(t, http.StatusOK, r.Code)
		requirePeopleTimes(t, r.String(), "IST")
		require.Contains(t, r.String(), "Start time corrected to "+earlier.In(p.Location()).Format(status.PeopleTime)+".")
		require.NotRegexp(t, `corrected to \d{4}-`, r.String())
	})
}
