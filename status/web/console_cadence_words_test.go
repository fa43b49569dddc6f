package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The console words an incident's regular update by its audience: an
// internal incident's is for the ticket ("Next internal update",
// "Internal updates"); customers-only and public incidents keep
// "customer update". The declare form follows the visibility chosen, also
// when it comes back with an error.
func TestConsoleWordsTheCadenceByAudience(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Name: "Erin", Password: consolePassword})
		p := statustest.Page(t, b.svc, nil)
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)

		for vis, want := range map[status.Visibility][]string{
			status.VisibilityInternal:  {"Next internal update", `<h2 id="updates-h">Internal updates</h2>`, "Next internal update in</label>"},
			status.VisibilityCustomers: {"Next customer update", `<h2 id="updates-h">Customer updates</h2>`, "Next customer update in</label>"},
			status.VisibilityPublic:    {"Next customer update", `<h2 id="updates-h">Customer updates</h2>`, "Next customer update in</label>"},
		} {
			inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow " + string(vis), Visibility: vis})
			r := br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
			require.Equal(t, http.StatusOK, r.Code)
			for _, s := range want {
				require.Contains(t, r.String(), s, vis)
			}
			if vis == status.VisibilityInternal {
				require.NotContains(t, r.String(), "customer update", "an internal incident has no customer update")
				require.NotContains(t, r.String(), "Customer update")
			}
		}

		form := br.send(http.MethodGet, "/console/incidents/new?page="+p.ID, nil)
		require.Equal(t, http.StatusOK, form.Code)
		require.Contains(t, form.String(), "Next customer update in</label>", "public by default")
		require.Contains(t, form.String(), `<input id="contact" name="contact" type="text" maxlength="200" value="">`,
			"the contact is shown to customers: it starts empty, not with the declarer's address")
		require.Contains(t, form.String(), "empty: the page's support address")

		// Declared internal without a title: refused, with the internal
		// wording and what was typed kept.
		r := br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {csrfOf(t, form)}, "page": {p.ID},
			"title": {""}, "severity": {"minor"}, "visibility": {"internal"}, "body": {"Replica lag on db2."},
			"next_update": {"30"}, "contact": {"ops desk"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "Next internal update in</label>")
		require.Contains(t, r.String(), "Replica lag on db2.")
		require.Contains(t, r.String(), `value="ops desk"`)
	})
}
