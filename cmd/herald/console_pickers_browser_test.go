package main

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The declare form's component fieldsets come in the public page's group
// order, and "all affected → operational" in the update form posts and
// puts every affected component back.
func TestConsolePickersInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			w := setupFlow(t, startApp(t, d, false))
			svc := w.a.svc
			// Groups and components made out of their positions' order.
			front := statustest.Group(t, svc, w.page.ID, &statustest.GroupOpts{Name: "Shop front", Position: 2})
			identity := statustest.Group(t, svc, w.page.ID, &statustest.GroupOpts{Name: "Identity", Position: 1})
			cart := statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Cart", GroupID: &front.ID, Position: 1})
			statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Single sign-on", GroupID: &identity.ID, Position: 2})
			statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Password reset", GroupID: &identity.ID, Position: 1})
			statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Fraud checks", GroupID: &front.ID, Hidden: true})
			sess := newSession(t, browser)
			signIn(t, sess, w.a.URL, w.casey)

			t.Run("declare form", func(t *testing.T) {
				pub := newTab(t, sess)
				awaitPage(t, pub, w.pubBase+"/", `document.querySelectorAll('h3.group-name').length === 2`, "both groups")
				groups := eval[[]string](t, pub, `[...document.querySelectorAll('h3.group-name')].map(h => h.firstChild.textContent.trim())`)
				names := eval[[]string](t, pub, `[...document.querySelectorAll('.component .name')].map(n => n.textContent.trim())`)
				require.Equal(t, []string{"Identity", "Shop front"}, groups)

				tb := newTab(t, sess)
				require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
				tb.open(t, w.a.URL+"/console/incidents/new?page="+w.page.ID)
				legends := eval[[]string](t, tb, `[...document.querySelectorAll('form[action="/console/incidents"] fieldset.picker > legend')]
					.map(l => l.textContent.trim())`)
				require.Equal(t, append(append([]string{"Not in a group"}, groups...), "Hidden (never shown publicly)"), legends,
					"the components in no group first, as on the public page, then its groups in order, hidden last")
				picked := eval[[]string](t, tb, `[...document.querySelectorAll('fieldset.picker:not(.picker-hidden) select')]
					.map(s => document.querySelector('label[for="' + s.id + '"]').firstChild.textContent.trim())`)
				require.Equal(t, names, picked, "the components in the public page's order")
				require.Equal(t, "Fraud checks (hidden)", textOf(t, tb, `fieldset.picker-hidden label`))
				tb.requireQuiet(t, "the declare form")
			})

			t.Run("all affected", func(t *testing.T) {
				inc := statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Checkout fails",
					Visibility: status.VisibilityPublic, Components: []status.ComponentStatusInput{
						{ComponentID: w.login.ID, Status: status.MajorOutage}, {ComponentID: cart.ID, Status: status.PartialOutage}}})
				tb := newTab(t, sess)
				require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
				console := w.a.URL + "/console/pages/" + w.page.ID + "/incidents/" + inc.ID
				tb.open(t, console)
				require.Equal(t, "Affected by this incident", textOf(t, tb, `fieldset.picker-affected > legend`))
				affected := eval[map[string]string](t, tb, `Object.fromEntries([...document.querySelectorAll('fieldset.picker-affected select[name^="component."]')]
					.map(s => [s.name.slice(10), s.value]))`)
				require.Equal(t, map[string]string{w.login.ID: "major_outage", cart.ID: "partial_outage"}, affected,
					"the affected components with their status chosen")
				require.Equal(t, "fieldset picker picker-affected", eval[string](t, tb,
					`'fieldset ' + document.querySelector('form[action$="/updates"] fieldset.picker').className`), "they come first")

				setField(t, tb, "#all_affected", string(status.Operational))
				setField(t, tb, "#state", string(status.StateObserving))
				setField(t, tb, "#body", "Checkout works again; we are watching it.")
				require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action$="/updates"] button[type=submit]`))
				require.Equal(t, console+"?done=update", eval[string](t, tb, `location.href`), "back on the incident, saying it was published")
				require.Equal(t, "", textOf(t, tb, `.error`), "not refused")
				for _, c := range []*status.Component{w.login, cart} {
					require.Equal(t, "operational", eval[string](t, tb, `document.querySelector('#u-`+c.ID+`').value`), c.Name)
					got, err := svc.Pages.ComponentByID(context.Background(), w.page.ID, c.ID)
					require.NoError(t, err)
					require.Equal(t, status.Operational, got.Status, c.Name)
				}
				tb.requireQuiet(t, "posting all affected → operational")

				pub := newTab(t, sess)
				awaitPage(t, pub, w.pubBase+"/", `[...document.querySelectorAll('.component')].every(c => c.querySelector('.cs').textContent.includes('Operational'))`,
					"every component operational on the public page")
				require.Contains(t, awaitUpdate(t, pub, w.pubBase+"/incidents/"+inc.ID, "Checkout works again"), "Observing")
				require.Contains(t, textOf(t, pub, ".updates"), "Login: Major outage → Operational")
			})
		})
	}
}
