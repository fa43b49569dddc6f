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

// The console's zone: the setting when there is one (a bad name reads as
// UTC: start-up refuses it), else the oldest page's, else UTC.
func TestConsoleLocation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(epoch)
		svc := status.New(bdb, status.Options{Now: clock.Now})
		zone := func(svc *status.Service) string {
			t.Helper()
			loc, err := svc.ConsoleLocation(t.Context())
			require.NoError(t, err)
			return loc.String()
		}
		require.Equal(t, "UTC", zone(svc), "no page: UTC")
		statustest.Page(t, svc, &statustest.PageOpts{Slug: "tokyo", TimeZone: "Asia/Tokyo"})
		require.Equal(t, "Asia/Tokyo", zone(svc), "the only page's zone")
		clock.Advance(time.Minute)
		statustest.Page(t, svc, &statustest.PageOpts{Slug: "aaa", Name: "AAA", TimeZone: "America/New_York"})
		require.Equal(t, "Asia/Tokyo", zone(svc), "the oldest page's zone, whatever the names' order")
		require.Equal(t, "Europe/Berlin", zone(status.New(bdb, status.Options{ConsoleTimeZone: "Europe/Berlin"})), "the setting wins")
		require.Equal(t, "UTC", zone(status.New(bdb, status.Options{ConsoleTimeZone: "Mars/Olympus"})))
	})
}
