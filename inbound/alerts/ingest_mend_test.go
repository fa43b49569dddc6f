package alerts_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

// A problem with one alert never fails the delivery: what can be stored
// is stored, and the answer says what was changed or left out (issue
// 14.6). A group whose first alert has a long non-ASCII title once lost
// every alert of the group.
func TestIngestStoresWhatItCan(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		group := `{}:{alertname="Replication"}`
		body, err := alerts.ParseAlertmanager([]byte(`{"groupKey":` + jsonString(group) + `,"status":"firing","alerts":[` +
			`{"fingerprint":"long","labels":{"alertname":"Replication"},"annotations":{"summary":` + jsonString(strings.Repeat("Репликация отстаёт ", 20)) + `}},` +
			`{"fingerprint":"short","labels":{"alertname":"Replication"},"annotations":{"summary":"lag on db2"}},` +
			`{"fingerprint":"broken","status":"pending"}]}`))
		require.NoError(t, err)
		res := b.ingest(t, body...)
		require.Equal(t, 3, res.Alerts)
		require.Equal(t, 2, res.New)
		require.Equal(t, 1, res.Dropped)
		problems := strings.Join(res.Problems, "\n")
		require.Contains(t, problems, "alertmanager long: title cut to 200 bytes")
		require.Contains(t, problems, `alerts[2].status: must be "firing" or "resolved", got "pending"`)

		items := b.items(t)
		require.Len(t, items, 1)
		require.LessOrEqual(t, len(items[0].Title), status.MaxNameLen)
		recs, err := b.alerts.Alerts(t.Context(), items[0].ID, 0)
		require.NoError(t, err)
		require.Len(t, recs, 2, "both alerts of the group are kept")
		require.Contains(t, recs[0].Problems, "title cut to 200 bytes", "the item says so too")

		// Alerts built by other callers than the parsers are mended too,
		// or left out, never the whole delivery refused.
		res = b.ingest(t,
			alerts.Alert{Source: "icinga", Key: "too-long", Event: alerts.Firing, Title: strings.Repeat("ü", 150)},
			alerts.Alert{Source: "icinga", Key: "controls", Event: alerts.Firing, Title: "a\x01b", Description: "x\x00y\x1bz"},
			alerts.Alert{Source: "icinga", Key: "empty", Event: alerts.Firing, Title: " "},
			alerts.Alert{Source: "icinga", Key: "ok", Event: alerts.Firing, Title: "Fine"},
			// A source no item can name: refused by the intake item, left out.
			alerts.Alert{Source: strings.Repeat("s", 300), Key: "huge-source", Event: alerts.Firing, Title: "Lost"},
		)
		require.Equal(t, 4, res.New)
		require.Equal(t, 1, res.Dropped)
		require.Contains(t, strings.Join(res.Problems, "\n"), "huge-source: the item's recorded_by is too long")
		for _, it := range b.items(t) {
			require.LessOrEqual(t, len(it.Title), status.MaxNameLen)
			require.NotContains(t, it.Title, "\x01")
		}
		require.Contains(t, strings.Join(res.Problems, "\n"), "icinga too-long: title cut to 200 bytes")
		require.Contains(t, strings.Join(res.Problems, "\n"), "icinga controls: title: control characters removed")
	})
}

// Invalid UTF-8 in an Alertmanager payload is named in the answer and on
// the alert in its item (issue 14.7).
func TestIngestNamesInvalidUTF8(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		batch, err := alerts.ParseAlertmanager(amBody("{\"fingerprint\":\"f\",\"labels\":{\"alertname\":\"Disk\"},\"annotations\":{\"summary\":\"full \xff\"}}"))
		require.NoError(t, err)
		res := b.ingest(t, batch...)
		require.Contains(t, res.Problems, "alertmanager f: annotations.summary: invalid UTF-8 replaced by U+FFFD")
		recs, err := b.alerts.Alerts(t.Context(), res.Items[0], 0)
		require.NoError(t, err)
		require.Equal(t, "Disk: full \uFFFD", recs[0].Title)
		require.Contains(t, recs[0].Problems, "annotations.summary: invalid UTF-8 replaced by U+FFFD")
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
