package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/web"
)

type hookBundle struct {
	*testBundle
	alerts *alerts.Service
	tokens map[string]string
}

func setupHooks(t *testing.T, bdb *bun.DB) *hookBundle {
	t.Helper()
	var as *alerts.Service
	b := setup(t, bdb, func(d *web.Deps) {
		as = alerts.New(bdb, d.Service, alerts.Options{})
		d.Alerts = as
	})
	hb := &hookBundle{testBundle: b, alerts: as, tokens: map[string]string{}}
	for _, h := range alerts.Hooks {
		tok, err := as.NewToken(b.ctx, h)
		require.NoError(t, err)
		hb.tokens[h] = tok
	}
	return hb
}

// post sends body to a hook with its token in the Authorization header.
func (b *hookBundle) post(t *testing.T, hook, body string) reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/"+hook, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.tokens[hook])
	return b.do(t, req)
}

func (b *hookBundle) result(t *testing.T, r reply) alerts.Result {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Code, "body: %s", r.Body)
	var res alerts.Result
	require.NoError(t, json.Unmarshal(r.Body, &res))
	return res
}

func (b *hookBundle) itemCount(t *testing.T) int {
	t.Helper()
	items, err := b.svc.Intake.Items(b.ctx, status.IntakeFilter{Limit: 500})
	require.NoError(t, err)
	return len(items)
}

// Alertmanager's webhook payloads, version 4, as its documentation shows
// them.
const (
	amFiring = `{
  "version": "4",
  "groupKey": "{}/{severity=\"critical\"}:{alertname=\"PostgresDown\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "herald",
  "groupLabels": {"alertname": "PostgresDown"},
  "commonLabels": {"alertname": "PostgresDown", "severity": "critical", "service": "postgres"},
  "commonAnnotations": {"summary": "PostgreSQL is down"},
  "externalURL": "http://alertmanager.example:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "PostgresDown", "instance": "db1:9187", "job": "postgres", "severity": "critical", "service": "postgres"},
      "annotations": {"summary": "PostgreSQL is down", "description": "db1 has not answered for 5 minutes."},
      "startsAt": "2026-11-24T11:58:00Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus.example:9090/graph?g0.expr=pg_up+%3D%3D+0",
      "fingerprint": "a1b2c3d4e5f60718"
    }
  ]
}`
	amGrouped = `{
  "version": "4",
  "groupKey": "{}/{severity=\"critical\"}:{alertname=\"PostgresDown\"}",
  "status": "firing",
  "receiver": "herald",
  "groupLabels": {"alertname": "PostgresDown"},
  "commonLabels": {"alertname": "PostgresDown", "severity": "critical", "service": "postgres"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager.example:9093",
  "futureField": {"tolerated": true},
  "alerts": [
    {"status": "firing", "labels": {"alertname": "PostgresDown", "instance": "db1:9187", "severity": "critical", "service": "postgres"},
     "annotations": {"summary": "PostgreSQL is down"}, "startsAt": "2026-11-24T11:58:00Z", "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": "a1b2c3d4e5f60718"},
    {"status": "firing", "labels": {"alertname": "PostgresDown", "instance": "db2:9187", "severity": "critical", "service": "postgres"},
     "annotations": {"summary": "PostgreSQL is down"}, "startsAt": "2026-11-24T11:59:00Z", "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": "b1b2c3d4e5f60718"},
    {"status": "firing", "labels": {"alertname": "PostgresDown", "instance": "db3:9187", "severity": "critical", "service": "postgres"},
     "annotations": {"summary": "PostgreSQL is down"}, "startsAt": "2026-11-24T11:59:30Z", "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": "c1b2c3d4e5f60718"}
  ]
}`
	amResolved = `{
  "version": "4",
  "groupKey": "{}/{severity=\"critical\"}:{alertname=\"PostgresDown\"}",
  "status": "resolved",
  "receiver": "herald",
  "groupLabels": {"alertname": "PostgresDown"},
  "commonLabels": {"alertname": "PostgresDown", "severity": "critical", "service": "postgres"},
  "commonAnnotations": {"summary": "PostgreSQL is down"},
  "externalURL": "http://alertmanager.example:9093",
  "alerts": [
    {
      "status": "resolved",
      "labels": {"alertname": "PostgresDown", "instance": "db1:9187", "job": "postgres", "severity": "critical", "service": "postgres"},
      "annotations": {"summary": "PostgreSQL is down"},
      "startsAt": "2026-11-24T11:58:00Z",
      "endsAt": "2026-11-24T12:04:00Z",
      "generatorURL": "http://prometheus.example:9090/graph?g0.expr=pg_up+%3D%3D+0",
      "fingerprint": "a1b2c3d4e5f60718"
    }
  ]
}`
)

func TestAlertmanagerHook(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		b.clock.Set(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
		first := b.result(t, b.post(t, "alertmanager", amFiring))
		require.Equal(t, 1, first.New)
		require.Len(t, first.Items, 1)
		item, err := b.svc.Intake.Item(b.ctx, first.Items[0])
		require.NoError(t, err)
		require.Equal(t, "PostgresDown: PostgreSQL is down", item.Title)
		require.Equal(t, status.SeverityMajor, item.Severity, "critical suggests major")
		require.Equal(t, "http://prometheus.example:9090/graph?g0.expr=pg_up+%3D%3D+0", item.Link)
		require.Contains(t, item.Body, "db1 has not answered for 5 minutes.")

		// Re-sent (Alertmanager repeats every repeat_interval): updated.
		again := b.result(t, b.post(t, "alertmanager", amFiring))
		require.Equal(t, 0, again.New)
		require.Equal(t, 1, again.Updated)
		require.Equal(t, first.Items, again.Items)

		// The group grows: the new alerts join the same item.
		grouped := b.result(t, b.post(t, "alertmanager", amGrouped))
		require.Equal(t, 2, grouped.New)
		require.Equal(t, first.Items, grouped.Items)

		b.clock.Advance(5 * time.Minute)
		resolved := b.result(t, b.post(t, "alertmanager", amResolved))
		require.Equal(t, 1, resolved.Updated)
		recs, err := b.alerts.Alerts(b.ctx, item.ID, 0)
		require.NoError(t, err)
		require.Len(t, recs, 3)
		for _, r := range recs {
			if r.Key != "a1b2c3d4e5f60718" {
				require.True(t, r.Firing(), r.Key)
				continue
			}
			require.Equal(t, alerts.Resolved, r.Status)
			require.Equal(t, time.Date(2026, 11, 24, 12, 4, 0, 0, time.UTC), r.ResolvedAt.UTC())
			require.Equal(t, 4, r.Deliveries, "firing, re-sent, in the group, resolved")
		}
		require.Equal(t, 1, b.itemCount(t))
	})
}

func TestOpsgenieHook(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		event := func(action, user string) string {
			return fmt.Sprintf(`{"action": %q, "alert": {"alertId": "0f0d4e12-8d9b-4b1e-a0a3-6b2d5f9e1c11", "message": "CPU high on db1",
  "tags": ["db", "prod"], "tinyId": "42", "entity": "db1", "alias": "cpu-db1", "createdAt": 1795867200000,
  "updatedAt": 1795867500000000000, "username": %q, "description": "Load above 16 for 10 minutes.",
  "team": "ops", "details": {"service": "postgres"}, "priority": "P1", "source": "prometheus"},
  "source": {"name": "web", "type": "API"}, "integrationName": "Herald", "integrationType": "Webhook"}`, action, user)
		}
		created := b.result(t, b.post(t, "opsgenie", event("Create", "System")))
		require.Equal(t, 1, created.New)
		b.result(t, b.post(t, "opsgenie", event("Create", "System")))
		b.result(t, b.post(t, "opsgenie", event("Acknowledge", "ann@example.com")))
		note := b.post(t, "opsgenie", event("AddNote", "ann@example.com"))
		require.Equal(t, http.StatusAccepted, note.Code, "body: %s", note.Body)
		require.Contains(t, string(note.Body), "AddNote")
		closed := b.result(t, b.post(t, "opsgenie", event("Close", "ann@example.com")))
		require.Equal(t, 1, closed.Updated)

		recs, err := b.alerts.Alerts(b.ctx, created.Items[0], 0)
		require.NoError(t, err)
		require.Len(t, recs, 1, "the alias is the key")
		require.Equal(t, "CPU high on db1", recs[0].Title)
		require.Equal(t, "ann@example.com", recs[0].AcknowledgedBy)
		require.Equal(t, alerts.Resolved, recs[0].Status)
		require.Equal(t, 4, recs[0].Deliveries)
		require.Equal(t, "postgres", recs[0].Labels["service"])
		require.Equal(t, 1, b.itemCount(t))
	})
}

func TestGenericHook(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		one := `{"source": "icinga", "key": "db1/disk", "status": "firing", "title": "Disk almost full on db1",
  "description": "/var at 95%", "severity": "warning", "labels": {"host": "db1", "service": "postgres"},
  "link": "https://icinga.example/icingaweb2/monitoring/service/show?host=db1&service=disk", "unknown": [1, 2]}`
		res := b.result(t, b.post(t, "generic", one))
		require.Equal(t, 1, res.New)
		item, err := b.svc.Intake.Item(b.ctx, res.Items[0])
		require.NoError(t, err)
		require.Equal(t, "Disk almost full on db1", item.Title)
		require.Equal(t, status.SeverityMinor, item.Severity)

		// An array; the first is the same alert resolving.
		many := `[{"source": "icinga", "key": "db1/disk", "status": "resolved", "title": "Disk almost full on db1"},
  {"source": "portal", "key": "T-1001", "title": "Customer reports login errors", "labels": {"customer": "acme"}}]`
		res = b.result(t, b.post(t, "generic", many))
		require.Equal(t, 1, res.New)
		require.Equal(t, 1, res.Updated)
		recs, err := b.alerts.Alerts(b.ctx, item.ID, 0)
		require.NoError(t, err)
		require.Equal(t, alerts.Resolved, recs[0].Status)
		require.Equal(t, 2, b.itemCount(t), "another source is another item")
	})
}

func TestHooksRefuseBadTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		send := func(path, auth string) reply {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(amFiring))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			return b.do(t, req)
		}
		for name, r := range map[string]reply{
			"no token":           send("/hooks/alertmanager", ""),
			"wrong token":        send("/hooks/alertmanager", "Bearer nope"),
			"basic auth":         send("/hooks/alertmanager", "Basic "+b.tokens["alertmanager"]),
			"other hook's token": send("/hooks/alertmanager", "Bearer "+b.tokens["generic"]),
			"wrong path token":   send("/hooks/alertmanager/"+b.tokens["opsgenie"], ""),
			"token cut short":    send("/hooks/alertmanager/"+b.tokens["alertmanager"][:20], ""),
		} {
			requireAPIError(t, r, http.StatusUnauthorized)
			require.Equal(t, `Bearer realm="herald hooks"`, r.Header.Get("WWW-Authenticate"), name)
		}
		require.Zero(t, b.itemCount(t), "nothing stored")

		// A revoked token is refused too.
		require.NoError(t, b.alerts.RevokeToken(b.ctx, "generic"))
		req := httptest.NewRequest(http.MethodPost, "/hooks/generic", strings.NewReader(`{"title": "x"}`))
		req.Header.Set("Authorization", "Bearer "+b.tokens["generic"])
		requireAPIError(t, b.do(t, req), http.StatusUnauthorized)

		// The scheme is case-insensitive (RFC 6750).
		res := b.result(t, send("/hooks/alertmanager", "bearer "+b.tokens["alertmanager"]))
		require.Equal(t, 1, res.New)

		// The token as the last path segment works.
		res = b.result(t, send("/hooks/alertmanager/"+b.tokens["alertmanager"], ""))
		require.Equal(t, 1, res.Updated)
		// Unknown hooks and methods.
		requireAPIError(t, send("/hooks/nagios", "Bearer x"), http.StatusNotFound)
		r := b.do(t, httptest.NewRequest(http.MethodGet, "/hooks/alertmanager", nil))
		require.NotEqual(t, http.StatusOK, r.Code)
	})
}

func TestHooksRefuseBadPayloads(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		for _, c := range []struct{ hook, body, says string }{
			{"alertmanager", ``, ""},
			{"alertmanager", `{"version": "4", "alerts": [`, "byte"},
			{"alertmanager", `{"version": "4", "status": "firing", "alerts": []}`, "no alerts"},
			{"alertmanager", `{"status": "firing", "alerts": [{"status": "fring", "labels": {"a": "b"}}]}`, "alerts[0].status"},
			{"alertmanager", `{"status": "firing", "alerts": {"a": 1}}`, "alerts"},
			{"alertmanager", `[1, 2, 3]`, ""},
			{"alertmanager", `{"status": "firing", "alerts": [{"labels": {"a": "b"}}]} trailing`, ""},
			{"opsgenie", `{"alert": {"alias": "x"}}`, "action"},
			{"opsgenie", `{"action": "Create"}`, "alert"},
			{"generic", `{"status": "firing"}`, "title"},
			{"generic", `{"title": "x", "status": "maybe"}`, "status"},
			{"generic", `{"title": "x", "source": "alertmanager"}`, "source"},
			{"generic", `{"title": "x", "labels": {"a": {"b": "c"}}}`, "labels"},
			{"generic", `{"title": 42}`, "title"},
			{"generic", "\x00\x01\x02", ""},
		} {
			r := b.post(t, c.hook, c.body)
			requireAPIError(t, r, http.StatusBadRequest)
			require.Contains(t, string(r.Body), c.says, "%s %q", c.hook, c.body)
		}
		require.Zero(t, b.itemCount(t), "nothing stored")

		// Alerts without labels or fingerprint are kept, with the problem
		// named; nothing is lost.
		res := b.result(t, b.post(t, "alertmanager", `{"version": "4", "status": "firing", "receiver": "herald",
  "alerts": [{"status": "firing", "annotations": {"summary": "Something"}, "startsAt": "2026-11-24T11:58:00Z"}]}`))
		require.Equal(t, 1, res.New)
		require.NotEmpty(t, res.Problems)
		require.Contains(t, strings.Join(res.Problems, "\n"), "no labels")
		// A javascript: link never reaches the console.
		res = b.result(t, b.post(t, "generic", `{"title": "x", "key": "js", "link": "javascript:alert(1)"}`))
		item, err := b.svc.Intake.Item(b.ctx, res.Items[0])
		require.NoError(t, err)
		require.Empty(t, item.Link)
	})
}

// TestHookBodyOverLimit sends more than the server accepts over a real
// connection: 413 as JSON, nothing stored.
func TestHookBodyOverLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		r := postOverLimit(t, b.srv, "/hooks/generic", b.tokens["generic"], `{"title":"`)
		requireAPIError(t, r, http.StatusRequestEntityTooLarge)
		require.Zero(t, b.itemCount(t))
	})
}

func TestHooksOffWithoutAlertService(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		requireAPIError(t, b.do(t, httptest.NewRequest(http.MethodPost, "/hooks/generic", strings.NewReader(`{"title":"x"}`))),
			http.StatusNotFound)
	})
}

// alertItem ingests alerts and returns the item they went to.
func alertItem(t *testing.T, b *hookBundle, batch ...alerts.Alert) *status.IntakeItem {
	t.Helper()
	res, err := b.alerts.Ingest(b.ctx, batch)
	require.NoError(t, err)
	item, err := b.svc.Intake.Item(b.ctx, res.Items[0])
	require.NoError(t, err)
	return item
}

// TestAlertStormThroughTheHook sends 200 alerts in a minute, one delivery
// each, from an Icinga-like sender: one item lists all 200.
func TestAlertStormThroughTheHook(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		for i := range 200 {
			body := fmt.Sprintf(`{"source": "icinga", "key": "web%d/http", "status": "problem", "title": "HTTP check failed on web%d",
  "severity": "critical", "labels": {"host": "web%d", "service": "http"}}`, i, i, i)
			b.result(t, b.post(t, "generic", body))
			b.clock.Advance(300 * time.Millisecond)
		}
		items, err := b.svc.Intake.Items(b.ctx, status.IntakeFilter{})
		require.NoError(t, err)
		require.Len(t, items, 1)
		require.Equal(t, 200, items[0].AlertCount)
		require.Equal(t, "HTTP check failed on web0 and 199 more alerts", items[0].Title)
		recs, err := b.alerts.Alerts(b.ctx, items[0].ID, 0)
		require.NoError(t, err)
		require.Len(t, recs, 200)
	})
}
