package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

// Seen end to end (issue 14.6): a group whose first alert's title was
// over 200 bytes got 422, and Alertmanager dropped the whole group, the
// short alert with it. Now every alert is stored, the answer is 200 and
// says what was cut; invalid UTF-8 is named (14.7); an alert that cannot
// be used is left out and named, the others kept.
func TestAlertmanagerHookKeepsTheGroup(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		long := strings.Repeat("Datenbank-Replikation hängt hinterher; ", 8)
		body := `{"version": "4", "groupKey": "{}:{alertname=\"Replication\"}", "status": "firing", "receiver": "herald",
  "alerts": [
    {"status": "firing", "labels": {"alertname": "Replication", "instance": "db1"}, "annotations": {"summary": "` + long + `"},
     "fingerprint": "1111111111111111", "startsAt": "2026-11-24T11:58:00Z"},
    {"status": "firing", "labels": {"alertname": "Replication", "instance": "db2"}, "annotations": {"summary": "Lag on db2 ` + "\xff" + `"},
     "fingerprint": "2222222222222222", "startsAt": "2026-11-24T11:58:00Z"},
    {"status": "pending", "labels": {"alertname": "Replication", "instance": "db3"}, "fingerprint": "3333333333333333"}
  ]}`
		r := b.post(t, "alertmanager", body)
		require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
		res := b.result(t, r)
		require.Equal(t, 3, res.Alerts)
		require.Equal(t, 2, res.New)
		require.Equal(t, 1, res.Dropped)
		problems := strings.Join(res.Problems, "\n")
		require.Contains(t, problems, "alertmanager 1111111111111111: title cut to 200 bytes")
		require.Contains(t, problems, "alertmanager 2222222222222222: annotations.summary: invalid UTF-8 replaced by U+FFFD")
		require.Contains(t, problems, `alerts[2].status: must be "firing" or "resolved", got "pending"`)

		require.Len(t, res.Items, 1)
		item, err := b.svc.Intake.Item(b.ctx, res.Items[0])
		require.NoError(t, err)
		require.LessOrEqual(t, len(item.Title), status.MaxNameLen)
		recs, err := b.alerts.Alerts(b.ctx, item.ID, 0)
		require.NoError(t, err)
		require.Len(t, recs, 2)
		require.Contains(t, recs[0].Problems, "title cut to 200 bytes")
		require.Contains(t, recs[1].Problems, "annotations.summary: invalid UTF-8 replaced by U+FFFD")

		// The item's page shows the problems beside the alerts.
		br := customerBrowser(t, b.testBundle, status.RoleViewer)
		page := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Equal(t, http.StatusOK, page.Code)
		require.Contains(t, page.String(), "title cut to 200 bytes")
		require.Contains(t, page.String(), "invalid UTF-8 replaced by U&#43;FFFD", "html/template escapes the plus")
	})
}
