package web_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// RSS items keep their guid, as Atom entries keep their id, when the page
// gets a host name: feed readers do not show old incidents again.
func TestFeedIDsSurviveANewHostName(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "ids"})
		statustest.Incident(t, b.svc, p.ID, nil)
		b.refresh(t)
		guids := regexp.MustCompile(`<guid isPermaLink="false">([^<]+)</guid>`)
		ids := regexp.MustCompile(`<entry>\s*<id>([^<]+)</id>`)
		rss, atom := b.get(t, "", "/p/ids/history.rss").String(), b.get(t, "", "/p/ids/history.atom").String()
		before := guids.FindAllStringSubmatch(rss, -1)
		require.Len(t, before, 1)
		require.Equal(t, ids.FindStringSubmatch(atom)[1], before[0][1], "RSS and Atom name an item alike")

		_, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{Hosts: &[]string{"status.ids.example"}})
		require.NoError(t, err)
		b.refresh(t)
		rss = b.get(t, "status.ids.example", "/history.rss").String()
		requireContains(t, rss, "https://status.ids.example/incidents/", "the link follows the host")
		require.Equal(t, before, guids.FindAllStringSubmatch(rss, -1), "the guid does not")
	})
}
