package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func init() {
	allowConsole(map[string]string{
		"GET /console/templates":             "signed-in",
		"GET /console/templates/new":         "admin",
		"POST /console/templates":            "admin",
		"GET /console/templates/:id":         "signed-in",
		"POST /console/templates/:id":        "admin",
		"POST /console/templates/:id/delete": "admin",
	})
}

// Admins write update templates; everyone else reads them, and the update
// form on an incident starts from them.
func TestConsoleUpdateTemplates(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		admin := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin, Password: consolePassword})
		eng := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Password: consolePassword})
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Public API"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Errors",
			Components: []status.ComponentStatusInput{{ComponentID: api.ID, Status: status.PartialOutage}}})

		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(admin.Email, consolePassword).Code)
		list := br.send(http.MethodGet, "/console/templates", nil)
		require.Equal(t, http.StatusOK, list.Code)
		require.Contains(t, list.String(), "Cause identified", "the seeded templates")
		tok := csrfOf(t, list)

		// Bad input is answered next to the field, the text kept.
		for field, form := range map[string]url.Values{
			"name":     {"kind": {"general"}, "body": {"Kept"}},
			"kind":     {"name": {"A"}, "kind": {"gossip"}, "body": {"Kept"}},
			"state":    {"name": {"A"}, "kind": {"general"}, "state": {"asleep"}, "body": {"Kept"}},
			"body":     {"name": {"A"}, "kind": {"general"}},
			"position": {"name": {"A"}, "kind": {"general"}, "body": {"Kept"}, "position": {"first"}},
		} {
			form.Set("_csrf", tok)
			r := br.send(http.MethodPost, "/console/templates", form)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, field)
			require.Contains(t, r.String(), "field-error", field)
		}
		r := br.send(http.MethodPost, "/console/templates", url.Values{"_csrf": {tok}, "name": {strings.Repeat("n", 10000)}, "kind": {"general"}, "body": {"x"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		r = br.send(http.MethodPost, "/console/templates", url.Values{"_csrf": {tok}, "name": {"cause IDENTIFIED"}, "kind": {"general"}, "body": {"x"}})
		require.Equal(t, http.StatusConflict, r.Code, "names are unique, whatever the case")
		require.Contains(t, r.String(), "already used")
		r = br.send(http.MethodPost, "/console/templates", url.Values{"_csrf": {"forged"}, "name": {"B"}, "kind": {"general"}, "body": {"x"}})
		require.Equal(t, http.StatusForbidden, r.Code)

		r = br.send(http.MethodPost, "/console/templates", url.Values{"_csrf": {tok}, "name": {"Degraded <script>alert(1)</script>"},
			"kind": {"progress"}, "state": {"investigating"}, "body": {"{components} is slow since {started}; next by {next_update}. <script>alert(2)</script>"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		tplURL := r.Header.Get("Location")
		id := strings.TrimSuffix(strings.TrimPrefix(tplURL, "/console/templates/"), "?saved=1")
		list = br.send(http.MethodGet, "/console/templates", nil)
		require.Contains(t, list.String(), "Degraded &lt;script&gt;")
		require.NotContains(t, list.String(), "<script>alert")

		// An engineer reads templates but cannot change them, and starts an
		// update from one.
		eb := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, eb.login(eng.Email, consolePassword).Code)
		view := eb.send(http.MethodGet, "/console/templates/"+id, nil)
		require.Equal(t, http.StatusOK, view.Code)
		require.Contains(t, view.String(), "<fieldset disabled>")
		r = eb.send(http.MethodPost, "/console/templates/"+id, url.Values{"_csrf": {csrfOf(t, view)}, "name": {"Mine"}, "kind": {"general"}, "body": {"x"}})
		require.Equal(t, http.StatusForbidden, r.Code)

		incURL := incidentURLOf(p.ID, inc.ID)
		page := eb.send(http.MethodGet, incURL, nil).String()
		require.Contains(t, page, "?template="+id, "templates for the incident's state are offered")
		require.Contains(t, page, "?template=tplinvestig1")
		require.NotContains(t, page, "?template=tplprogress1", "templates for another state are not")
		page = eb.send(http.MethodGet, incURL+"?template="+id, nil).String()
		require.Contains(t, page, "Public API is slow since 13:00 CET; next by 13:30 CET. &lt;script&gt;alert(2)&lt;/script&gt;")
		require.Contains(t, page, `<option value="progress" selected>`)
		require.Equal(t, http.StatusNotFound, eb.send(http.MethodGet, incURL+"?template=nosuchtempla", nil).Code)

		// When the update is due, a holding draft is offered.
		require.NotContains(t, page, "Start from a holding update", "not while on time")
		b.clock.Advance(time.Minute)
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindAnalysis, State: status.StateMitigating,
			Body: "A faulty node.\n\nMore later."})
		require.NoError(t, err)
		b.clock.Advance(27 * time.Minute)
		page = eb.send(http.MethodGet, incURL, nil).String()
		require.Contains(t, page, "Start from a holding update")
		page = eb.send(http.MethodGet, incURL+"?draft=holding", nil).String()
		require.Contains(t, page, "What we know: A faulty node.")
		require.Contains(t, page, "next update will follow by 13:58 CET")

		r = br.send(http.MethodPost, "/console/templates/"+id+"/delete", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/templates/"+id, nil).Code)
	})
}
