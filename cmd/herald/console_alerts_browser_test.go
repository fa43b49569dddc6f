package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status/db/dbtest"
)

// alertPayload is an Alertmanager webhook (version 4) with one alert per
// instance in one group.
func alertPayload(status string, instances ...string) string {
	var list []string
	for i, inst := range instances {
		ends := "0001-01-01T00:00:00Z"
		if status == "resolved" {
			ends = "2026-11-24T12:30:00Z"
		}
		list = append(list, fmt.Sprintf(`{"status": %q, "labels": {"alertname": "CheckoutErrors", "service": "checkout",
  "severity": "critical", "instance": %q}, "annotations": {"summary": "Checkout fails", "description": "5xx above 20%%"},
  "startsAt": "2026-11-24T12:00:00Z", "endsAt": %q, "generatorURL": "http://prometheus.example:9090/graph?g0.expr=checkout",
  "fingerprint": "fp%d"}`, status, inst, ends, i))
	}
	return fmt.Sprintf(`{"version": "4", "groupKey": "{}:{alertname=\"CheckoutErrors\"}", "status": %q, "receiver": "herald",
  "groupLabels": {"alertname": "CheckoutErrors"}, "commonLabels": {"alertname": "CheckoutErrors"}, "commonAnnotations": {},
  "externalURL": "http://alertmanager.example:9093", "alerts": [%s]}`, status, strings.Join(list, ","))
}

// sendAlerts posts an Alertmanager payload to Herald's hook.
func sendAlerts(t *testing.T, w flowWorld, token, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.a.URL+"/hooks/alertmanager", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// From alert to incident in the console: a mapping rule set in the
// console, three alerts of one group in one inbox item, acknowledged,
// declared with what the alerts suggest, their resolution on the
// timeline and the suggestion to observe.
func TestConsoleDeclareFromAlertInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			w := setupFlow(t, startApp(t, d, false))
			token, err := w.a.alerts.NewToken(t.Context(), "alertmanager")
			require.NoError(t, err)
			sess := newSession(t, browser)
			tb := signIn(t, sess, w.a.URL, w.casey)

			// The rule: checkout alerts are the Checkout API's.
			tb.open(t, w.a.URL+"/console/alerts")
			setField(t, tb, "#matchers", `service="checkout"`)
			setField(t, tb, "#component_id", w.checkout.ID)
			require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/alerts/rules"] button[type=submit]`))
			require.Contains(t, textOf(t, tb, "main table"), "Shop · Checkout API")
			screenshot(t, tb, "console-alerts-"+d+".png")

			sendAlerts(t, w, token, alertPayload("firing", "web1", "web2"))
			sendAlerts(t, w, token, alertPayload("firing", "web1", "web2", "web3")) // re-sent, and one more

			tb.open(t, w.a.URL+"/console/inbox")
			require.Equal(t, 1, count(t, tb, "main table.list tbody tr"), "one item for the group")
			require.Contains(t, textOf(t, tb, "main table.list tbody"), "3 alerts, 3 firing")
			require.Equal(t, int64(http.StatusOK), submit(t, tb, `main table.list tbody a[href^="/console/inbox/"]`))
			require.Contains(t, textOf(t, tb, "dl.record"), "Shop · Checkout API")
			require.Contains(t, textOf(t, tb, "dl.record"), "Major")
			require.Equal(t, 3, count(t, tb, "table.alerts tbody tr"))

			require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action$="/acknowledge"] button`))
			require.Contains(t, textOf(t, tb, "#acknowledged"), "by Casey")
			screenshot(t, tb, "console-alert-item-"+d+".png")

			require.Equal(t, int64(http.StatusOK), submit(t, tb, `a.button[href*="intake="]`))
			require.Equal(t, "/console/incidents/new", eval[string](t, tb, `location.pathname`))
			require.Equal(t, "monitoring", eval[string](t, tb, `document.querySelector('#source').value`))
			require.Equal(t, "http://prometheus.example:9090/graph?g0.expr=checkout", eval[string](t, tb, `document.querySelector('#source_reference').value`))
			require.True(t, eval[bool](t, tb, `document.querySelector('#sev-major').checked`), "critical suggests major")
			require.Equal(t, "major_outage", eval[string](t, tb, `document.querySelector('#c-`+w.checkout.ID+`').value`))
			require.Equal(t, "", eval[string](t, tb, `document.querySelector('#c-`+w.login.ID+`').value`))
			setField(t, tb, "#body", "Checkout fails for many customers; we are looking into it.")
			require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/incidents"] button[type=submit]`))
			require.Contains(t, eval[string](t, tb, `location.pathname`), "/console/pages/"+w.page.ID+"/incidents/")
			require.Contains(t, timeline(t, tb), "3 alerts, 3 firing")
			require.Zero(t, count(t, tb, "#alerts-resolved"))

			sendAlerts(t, w, token, alertPayload("resolved", "web1", "web2", "web3"))
			tb.open(t, eval[string](t, tb, `location.href`))
			require.Contains(t, timeline(t, tb), "Alert resolved: CheckoutErrors: Checkout fails on web1 at 18:00 IST; CheckoutErrors: Checkout fails on web2 at 18:00 IST",
				"in the console's zone (the only page's)")
			require.Contains(t, textOf(t, tb, "#alerts-resolved"), "All 3 alerts of this incident have resolved")
			require.Equal(t, int64(http.StatusOK), submit(t, tb, `#alerts-resolved a`))
			require.Equal(t, "observing", eval[string](t, tb, `document.querySelector('#state').value`))
			setField(t, tb, "#body", "The fix holds; we are watching checkout.")
			require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action$="/updates"] button[type=submit]`))
			require.Zero(t, count(t, tb, "#alerts-resolved"), "observing now: no more suggestion")
			tb.requireQuiet(t, "declaring from an alert")
		})
	}
}
