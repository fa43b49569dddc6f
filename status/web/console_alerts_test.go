package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func init() {
	allowConsole(map[string]string{
		"GET /console/alerts":                     "signed-in",
		"POST /console/alerts/rules":              "manager",
		"POST /console/alerts/rules/:id":          "manager",
		"POST /console/alerts/rules/:id/delete":   "manager",
		"POST /console/alerts/rules/:id/up":       "manager",
		"POST /console/alerts/rules/:id/down":     "manager",
		"POST /console/alerts/hooks/:hook/token":  "admin",
		"POST /console/alerts/hooks/:hook/revoke": "admin",
		"POST /console/inbox/:id/acknowledge":     "writer",
	})
}

var newHookToken = regexp.MustCompile(`id="new-hook-token" type="text" readonly value="([^"]+)"`)

func TestConsoleAlertRulesAndHookTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Acme Cloud"})
		db := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Database"})

		viewer := customerBrowser(t, b.testBundle, status.RoleViewer)
		page := viewer.send(http.MethodGet, "/console/alerts", nil)
		require.Equal(t, http.StatusOK, page.Code)
		require.Contains(t, page.String(), "No rules yet")
		require.NotContains(t, page.String(), "Add rule", "viewers change nothing")
		require.Contains(t, page.String(), baseURL+"/hooks/alertmanager")

		manager := customerBrowser(t, b.testBundle, status.RoleManager)
		page = manager.send(http.MethodGet, "/console/alerts", nil)
		require.Contains(t, page.String(), "Add rule")
		require.NotContains(t, page.String(), "Make a token", "tokens are an admin's")
		tok := csrfOf(t, page)
		for _, bad := range []url.Values{
			{"matchers": {`service=="postgres"`}},
			{"matchers": {`service=~"("`}},
			{"matchers": {""}},
			{"matchers": {`service="postgres"`}, "component_id": {"zzzzzzzzzzzz"}},
			{"matchers": {`service="postgres"`}, "auto_declare": {"on"}},
			{"matchers": {`service="postgres"`}, "severity": {"apocalyptic"}},
			{"matchers": {strings.Repeat(`a="b", `, 500)}},
		} {
			bad.Set("_csrf", tok)
			r := manager.send(http.MethodPost, "/console/alerts/rules", bad)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, "%v: %s", bad, r)
			require.Contains(t, r.String(), `class="field-error"`)
		}
		rules, err := b.alerts.Rules(b.ctx)
		require.NoError(t, err)
		require.Empty(t, rules)
		r := manager.send(http.MethodPost, "/console/alerts/rules", url.Values{"_csrf": {tok}, "matchers": {`service="postgres", env=~"prod.*"`},
			"component_id": {db.ID}, "severity": {"major"}, "auto_declare": {"on"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		page = manager.send(http.MethodGet, "/console/alerts?added=1", nil)
		require.Contains(t, page.String(), "Acme Cloud · Database")
		require.Contains(t, page.String(), `service=&#34;postgres&#34;, env=~&#34;prod.*&#34;`)
		rules, err = b.alerts.Rules(b.ctx)
		require.NoError(t, err)
		require.Len(t, rules, 1)
		require.True(t, rules[0].AutoDeclare)

		// Order matters: the first matching rule with a severity sets it.
		r = manager.send(http.MethodPost, "/console/alerts/rules", url.Values{"_csrf": {tok}, "matchers": {`env="prod"`},
			"severity": {"business_continuity"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		rules, err = b.alerts.Rules(b.ctx)
		require.NoError(t, err)
		require.Len(t, rules, 2)
		r = manager.send(http.MethodPost, "/console/alerts/rules/"+rules[1].ID+"/up", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		page = manager.send(http.MethodGet, "/console/alerts", nil)
		require.Less(t, strings.Index(page.String(), "env=&#34;prod&#34;"), strings.Index(page.String(), "service=&#34;postgres&#34;"))
		require.Equal(t, http.StatusNotFound, manager.send(http.MethodPost, "/console/alerts/rules/"+status.NewID()+"/down",
			url.Values{"_csrf": {tok}}).Code)
		require.NoError(t, b.alerts.DeleteRule(b.ctx, rules[1].ID))
		rules, err = b.alerts.Rules(b.ctx)
		require.NoError(t, err)

		// Changing a rule in its place.
		edit := manager.send(http.MethodGet, "/console/alerts?edit="+rules[0].ID, nil)
		require.Contains(t, edit.String(), `action="/console/alerts/rules/`+rules[0].ID+`"`)
		require.Contains(t, edit.String(), `value="service=&#34;postgres&#34;, env=~&#34;prod.*&#34;"`)
		r = manager.send(http.MethodPost, "/console/alerts/rules/"+rules[0].ID, url.Values{"_csrf": {tok}, "matchers": {`service=~"postgres|pg"`},
			"component_id": {db.ID}, "severity": {"minor"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		changed, err := b.alerts.Rule(b.ctx, rules[0].ID)
		require.NoError(t, err)
		require.Equal(t, `service=~"postgres|pg"`, changed.Matchers)
		require.Equal(t, status.SeverityMinor, changed.Severity)
		require.False(t, changed.AutoDeclare)
		r = manager.send(http.MethodPost, "/console/alerts/rules/"+rules[0].ID, url.Values{"_csrf": {tok}, "matchers": {`service=~"("`}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), `action="/console/alerts/rules/`+rules[0].ID+`"`, "the form still changes that rule")
		require.Equal(t, http.StatusNotFound, manager.send(http.MethodPost, "/console/alerts/rules/"+status.NewID(),
			url.Values{"_csrf": {tok}, "matchers": {`a="b"`}}).Code)
		require.Equal(t, http.StatusNotFound, manager.send(http.MethodGet, "/console/alerts?edit=nope", nil).Code)
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodPost, "/console/alerts/rules/"+rules[0].ID,
			url.Values{"_csrf": {csrfOf(t, page)}, "matchers": {`a="b"`}}).Code)
		_, err = b.alerts.UpdateRule(b.ctx, rules[0].ID, alerts.RuleInput{Matchers: `service="postgres", env=~"prod.*"`,
			ComponentID: db.ID, Severity: status.SeverityMajor, AutoDeclare: true})
		require.NoError(t, err)

		// Trying labels against the rules; the viewer may too.
		try := viewer.send(http.MethodGet, "/console/alerts?try="+url.QueryEscape(`service="postgres", env="production", severity="critical"`), nil)
		require.Equal(t, http.StatusOK, try.Code)
		require.Regexp(t, `(?s)<dl class="record" id="preview">.*Acme Cloud · Database.*Major.*an internal incident`, try.String())
		try = viewer.send(http.MethodGet, "/console/alerts?try="+url.QueryEscape(`service="web"`), nil)
		require.Regexp(t, `(?s)<dt>Matching rules</dt><dd>none</dd>.*<dt>Suggested severity</dt><dd>Minor</dd>`, try.String())
		for _, bad := range []string{`service=~"post.*"`, `service="x`, "<script>", strings.Repeat(`a="b", `, 300)} {
			try = viewer.send(http.MethodGet, "/console/alerts?try="+url.QueryEscape(bad), nil)
			require.Equal(t, http.StatusUnprocessableEntity, try.Code, bad)
			require.Contains(t, try.String(), `id="try-err" class="field-error"`)
			require.NotContains(t, try.String(), "<script>")
		}

		// An admin makes a token; it is shown once and works.
		admin := customerBrowser(t, b.testBundle, status.RoleAdmin)
		page = admin.send(http.MethodGet, "/console/alerts", nil)
		r = admin.send(http.MethodPost, "/console/alerts/hooks/generic/token", url.Values{"_csrf": {csrfOf(t, page)}})
		require.Equal(t, http.StatusOK, r.Code)
		m := newHookToken.FindStringSubmatch(r.String())
		require.NotNil(t, m, r.String())
		req := httptest.NewRequest(http.MethodPost, "/hooks/generic/"+m[1], strings.NewReader(`{"title": "From the console's token"}`))
		require.Equal(t, http.StatusOK, b.do(t, req).Code)
		after := admin.send(http.MethodGet, "/console/alerts", nil).String()
		require.NotContains(t, after, m[1], "shown once")
		require.Regexp(t, `(?s)<td>generic</td>.*?last delivery <time`, after)
		require.Regexp(t, `(?s)<td>opsgenie</td>.*?last delivery never`, after)
		r = admin.send(http.MethodPost, "/console/alerts/hooks/nagios/token", url.Values{"_csrf": {csrfOf(t, page)}})
		require.Equal(t, http.StatusNotFound, r.Code)
		r = admin.send(http.MethodPost, "/console/alerts/hooks/generic/revoke", url.Values{"_csrf": {csrfOf(t, page)}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		req = httptest.NewRequest(http.MethodPost, "/hooks/generic/"+m[1], strings.NewReader(`{"title": "again"}`))
		require.Equal(t, http.StatusUnauthorized, b.do(t, req).Code)

		r = manager.send(http.MethodPost, "/console/alerts/rules/"+rules[0].ID+"/delete", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		r = manager.send(http.MethodPost, "/console/alerts/rules/"+rules[0].ID+"/delete", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusNotFound, r.Code)
	})
}

func TestConsoleAlertItemToIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupHooks(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Acme Cloud"})
		statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Other"})
		db := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Database"})
		_, err := b.alerts.AddRule(b.ctx, alerts.RuleInput{Matchers: `service="postgres"`, ComponentID: db.ID})
		require.NoError(t, err)
		var batch []alerts.Alert
		for i := range 3 {
			batch = append(batch, alerts.Alert{Source: "alertmanager", Key: fmt.Sprint("fp", i), Event: alerts.Firing,
				Title: "PostgresDown " + customerScript, Severity: "critical", Group: "g1",
				Labels: map[string]string{"service": "postgres", "instance": fmt.Sprintf("db%d", i)},
				Link:   "https://prometheus.example/graph?g0.expr=pg_up"})
		}
		item := alertItem(t, b, batch...)
		dbInc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow queries",
			Components: []status.ComponentStatusInput{{ComponentID: db.ID, Status: status.DegradedPerformance}}})
		b.clock.Advance(time.Second)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Newer, unrelated"})

		br := customerBrowser(t, b.testBundle, status.RoleEngineer)
		list := br.send(http.MethodGet, "/console/inbox", nil)
		require.Contains(t, list.String(), "3 alerts, 3 firing")
		require.NotContains(t, list.String(), "<script>alert")
		page := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		body := page.String()
		require.NotContains(t, body, "<script>alert")
		require.Contains(t, body, "Acme Cloud · Database")
		require.Contains(t, body, "Major")
		require.Contains(t, body, `instance=&#34;db2&#34;`)
		require.Contains(t, body, "not yet")
		require.Contains(t, body, "Alert firing: PostgresDown &lt;script&gt;alert(1)&lt;/script&gt; on db0; PostgresDown", "the item's history")
		require.Contains(t, body, "/console/incidents/new?page="+p.ID+"&amp;intake="+item.ID, "declared on the component's page")
		require.Regexp(t, `<select id="incident" name="incident"><option value="`+p.ID+"/"+dbInc.ID+`">Slow queries · Acme Cloud · affects Database</option><option`,
			body, "the incident affecting the alerts' component comes first")

		// Acknowledging records who and when.
		r := br.send(http.MethodPost, "/console/inbox/"+item.ID+"/acknowledge", url.Values{"_csrf": {csrfOf(t, page)}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		page = br.send(http.MethodGet, "/console/inbox/"+item.ID+"?acknowledged=1", nil)
		require.Regexp(t, `<dd id="acknowledged">by [^<]+, <time`, page.String())
		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, b.clock.Now(), got.AcknowledgedAt.UTC())
		require.Equal(t, http.StatusNotFound, br.send(http.MethodPost, "/console/inbox/"+status.NewID()+"/acknowledge",
			url.Values{"_csrf": {csrfOf(t, page)}}).Code)

		// The declare form starts from what the alerts suggest.
		form := br.send(http.MethodGet, "/console/incidents/new?page="+p.ID+"&intake="+item.ID, nil)
		require.Equal(t, http.StatusOK, form.Code)
		body = form.String()
		require.Contains(t, body, `<option value="monitoring" selected>`)
		require.Contains(t, body, `value="https://prometheus.example/graph?g0.expr=pg_up"`)
		require.Contains(t, body, `name="severity" value="major" checked`)
		require.Regexp(t, `name="component.`+db.ID+`">(?s:.*?)<option value="major_outage" selected>`, body)
		require.Contains(t, body, `value="Monitoring (alertmanager)"`)

		r = br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {csrfOf(t, form)}, "page": {p.ID}, "intake": {item.ID},
			"title": {"Database down"}, "severity": {"major"}, "visibility": {"public"}, "component." + db.ID: {"major_outage"},
			"body": {"The database is down."}, "next_update": {"30"}, "source": {"monitoring"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		m := incidentLocation.FindStringSubmatch(r.Header.Get("Location"))
		require.NotNil(t, m)
		incPath := "/console/pages/" + p.ID + "/incidents/" + m[2]
		require.NotContains(t, br.send(http.MethodGet, incPath, nil).String(), `id="alerts-resolved"`)

		// Every alert resolves: written on the timeline, and observing is
		// suggested.
		b.clock.Advance(10 * time.Minute)
		for i := range batch {
			batch[i].Event = alerts.Resolved
		}
		_, err = b.alerts.Ingest(b.ctx, batch)
		require.NoError(t, err)
		inc := br.send(http.MethodGet, incPath, nil)
		body = inc.String()
		require.Contains(t, body, "Alert resolved: PostgresDown &lt;script&gt;alert(1)&lt;/script&gt; on db0 at 12:10 UTC")
		require.Contains(t, body, `id="alerts-resolved"`)
		require.Contains(t, body, "All 3 alerts of this incident have resolved")
		require.NotContains(t, body, "<script>alert")
		obs := br.send(http.MethodGet, incPath+"?state=observing", nil)
		require.Contains(t, obs.String(), `<option value="observing" selected>`)

		// Once observing, it is not suggested again.
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, m[2], status.UpdateInput{State: status.StateObserving, Kind: status.KindProgress, Body: "Watching."})
		require.NoError(t, err)
		require.NotContains(t, br.send(http.MethodGet, incPath, nil).String(), `id="alerts-resolved"`)
	})
}
