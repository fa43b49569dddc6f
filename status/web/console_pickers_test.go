package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// pickerWorld is a page whose groups and components are created in an
// order other than their positions (and names), so that only the
// position order gives the public page's order.
type pickerWorld struct {
	b                  *testBundle
	br                 *browser
	page               *status.Page
	website            *status.Component // in no group
	dns, cdn           *status.Component // Edge, position 1
	blobs, archive     *status.Component // Storage, position 2
	queue              *status.Component // hidden, in Storage
	foreign            *status.Component // on another page
	edgeName, storName string
}

func setupPickers(t *testing.T, bdb *bun.DB) *pickerWorld {
	t.Helper()
	b := setup(t, bdb)
	w := &pickerWorld{b: b, edgeName: "Edge", storName: "Storage"}
	w.page = statustest.Page(t, b.svc, nil)
	storage := statustest.Group(t, b.svc, w.page.ID, &statustest.GroupOpts{Name: w.storName, Position: 2})
	edge := statustest.Group(t, b.svc, w.page.ID, &statustest.GroupOpts{Name: w.edgeName, Position: 1})
	comp := func(name string, g *status.ComponentGroup, pos int, hidden bool) *status.Component {
		o := &statustest.ComponentOpts{Name: name, Position: pos, Hidden: hidden}
		if g != nil {
			o.GroupID = &g.ID
		}
		return statustest.Component(t, b.svc, w.page.ID, o)
	}
	w.archive = comp("Archive", storage, 2, false)
	w.queue = comp("Internal queue", storage, 0, true)
	w.blobs = comp("Blobs", storage, 1, false)
	w.cdn = comp("CDN", edge, 2, false)
	w.dns = comp("DNS", edge, 1, false)
	w.website = comp("Website", nil, 1, false)
	other := statustest.Page(t, b.svc, nil)
	w.foreign = statustest.Component(t, b.svc, other.ID, &statustest.ComponentOpts{Name: "Elsewhere"})
	u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Name: "Erin", Password: consolePassword})
	w.br = newBrowser(t, b)
	require.Equal(t, http.StatusSeeOther, w.br.login(u.Email, consolePassword).Code)
	return w
}

var (
	pickerLegend  = regexp.MustCompile(`<fieldset class="picker[^"]*"><legend>([^<]+)</legend>`)
	publicGroup   = regexp.MustCompile(`<h3 class="group-name">([^<]+?) <span`)
	componentItem = regexp.MustCompile(`id="[cu]-([0-9a-z]+)"`)
	versionField  = regexp.MustCompile(`name="version" value="(\d+)"`)
)

// submatches returns the first submatch of each match of re in s.
func submatches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// pickerPart is the component part of a console form: from its first
// picker fieldset to the end of its last.
func pickerPart(t *testing.T, body string) string {
	t.Helper()
	from := strings.Index(body, `<fieldset class="picker`)
	to := strings.LastIndex(body, `</fieldset>`)
	require.True(t, from >= 0 && to > from, "no component picker")
	return body[from:to]
}

// selectOf is the inner HTML of the select of a component.
func selectOf(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)name="component\.` + id + `">(.*?)</select>`).FindStringSubmatch(body)
	require.NotNil(t, m, "no select for component %s", id)
	return m[1]
}

func (w *pickerWorld) ids(cs ...*status.Component) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// The declare and update forms list components as the public page does:
// in no group first, then each group by position with its components by
// theirs, hidden ones last; the update form puts the incident's affected
// components first, each with its status on the incident chosen.
func TestConsolePickersFollowThePublicPage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		w := setupPickers(t, bdb)
		w.b.refresh(t)
		pub := w.b.get(t, "", "/p/"+w.page.Slug+"/").String()
		require.Equal(t, []string{w.edgeName, w.storName}, submatches(publicGroup, pub), "the public page's groups")
		publicOrder := w.ids(w.website, w.dns, w.cdn, w.blobs, w.archive)
		require.Equal(t, publicOrder, submatches(componentItem, pub), "the public page's components")

		form := w.br.send(http.MethodGet, "/console/incidents/new?page="+w.page.ID, nil)
		require.Equal(t, http.StatusOK, form.Code)
		part := pickerPart(t, form.String())
		require.Equal(t, []string{"Not in a group", w.edgeName, w.storName, "Hidden (never shown publicly)"}, submatches(pickerLegend, part))
		require.Equal(t, append(publicOrder, w.queue.ID), submatches(componentItem, part), "the public page's order, hidden last")
		require.Regexp(t, `Internal queue <span class="hint">\(hidden\)</span>`, part)
		require.NotContains(t, part, `name="all_affected"`, "nothing is affected before declaring")

		inc := statustest.Incident(t, w.b.svc, w.page.ID, &statustest.IncidentOpts{Visibility: status.VisibilityPublic,
			Components: []status.ComponentStatusInput{{ComponentID: w.archive.ID, Status: status.DegradedPerformance},
				{ComponentID: w.cdn.ID, Status: status.PartialOutage}}})
		page := w.br.send(http.MethodGet, incidentURLOf(w.page.ID, inc.ID), nil)
		require.Equal(t, http.StatusOK, page.Code)
		part = pickerPart(t, page.String())
		require.Equal(t, []string{"Affected by this incident", "Not in a group", w.edgeName, w.storName, "Hidden (never shown publicly)"},
			submatches(pickerLegend, part))
		require.Equal(t, w.ids(w.cdn, w.archive, w.website, w.dns, w.blobs, w.queue), submatches(componentItem, part),
			"affected first in the public page's order, then the others as the public page shows them")
		require.Contains(t, selectOf(t, part, w.cdn.ID), `value="partial_outage" selected`)
		require.Contains(t, selectOf(t, part, w.archive.ID), `value="degraded_performance" selected`)
		require.NotContains(t, selectOf(t, part, w.cdn.ID), `value=""`, "an affected component's choice is its status")
		require.Contains(t, selectOf(t, part, w.dns.ID), `<option value="">unchanged</option>`)
		require.NotContains(t, selectOf(t, part, w.dns.ID), `selected`)
		require.Contains(t, part, `<select id="all_affected" name="all_affected"`)
		require.Regexp(t, `label for="u-`+w.cdn.ID+`">CDN \(now Partial outage\)</label>`, part)
	})
}

// "All affected → X" sets every affected component to X, except one whose
// own select was changed; a select left at its status changes nothing.
func TestConsolePickersAllAffected(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		w := setupPickers(t, bdb)
		inc := statustest.Incident(t, w.b.svc, w.page.ID, &statustest.IncidentOpts{Visibility: status.VisibilityPublic,
			Components: []status.ComponentStatusInput{{ComponentID: w.archive.ID, Status: status.DegradedPerformance},
				{ComponentID: w.cdn.ID, Status: status.PartialOutage}}})
		at := incidentURLOf(w.page.ID, inc.ID)
		post := func(extra url.Values) reply {
			t.Helper()
			page := w.br.send(http.MethodGet, at, nil)
			f := url.Values{"_csrf": {csrfOf(t, page)}, "version": {versionField.FindStringSubmatch(page.String())[1]},
				"kind": {"progress"}, "state": {"mitigating"}, "body": {"Working on it."}, "next_update": {"30"},
				// What the form sends untouched: affected at their
				// status, the others unchanged.
				"component." + w.cdn.ID: {"partial_outage"}, "component." + w.archive.ID: {"degraded_performance"},
				"component." + w.dns.ID: {""}, "component." + w.website.ID: {""}}
			for k, v := range extra {
				f[k] = v
			}
			return w.br.send(http.MethodPost, at+"/updates", f)
		}
		statuses := func() map[string]status.ComponentStatus {
			t.Helper()
			got, err := w.b.svc.Incidents.ByID(w.b.ctx, w.page.ID, inc.ID)
			require.NoError(t, err)
			out := map[string]status.ComponentStatus{}
			for _, ic := range got.Components {
				out[ic.ComponentID] = ic.Status
			}
			for _, c := range []*status.Component{w.dns, w.website} {
				pc, err := w.b.svc.Pages.ComponentByID(w.b.ctx, w.page.ID, c.ID)
				require.NoError(t, err)
				out[c.ID] = pc.Status
			}
			return out
		}

		// Untouched: nothing changes, and the update names no component.
		r := post(nil)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, status.PartialOutage, statuses()[w.cdn.ID])
		got, err := w.b.svc.Incidents.ByID(w.b.ctx, w.page.ID, inc.ID)
		require.NoError(t, err)
		var posted *status.IncidentUpdate
		for _, u := range got.Updates {
			if u.Body == "Working on it." {
				posted = u
			}
		}
		require.NotNil(t, posted)
		require.Empty(t, posted.Components, "a select left at its status changes nothing")

		// A component's own choice wins over "all affected".
		r = post(url.Values{"all_affected": {"major_outage"}, "component." + w.cdn.ID: {"degraded_performance"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		s := statuses()
		require.Equal(t, status.DegradedPerformance, s[w.cdn.ID], "its own choice")
		require.Equal(t, status.MajorOutage, s[w.archive.ID], "all affected")
		require.Equal(t, status.Operational, s[w.dns.ID], "not affected: unchanged")
		require.Equal(t, status.Operational, s[w.website.ID])
		arch, err := w.b.svc.Pages.ComponentByID(w.b.ctx, w.page.ID, w.archive.ID)
		require.NoError(t, err)
		require.Equal(t, status.MajorOutage, arch.Status, "a public incident's change is public")

		// All affected back to operational, the selects left as shown.
		r = post(url.Values{"all_affected": {"operational"}, "component." + w.cdn.ID: {"degraded_performance"},
			"component." + w.archive.ID: {"major_outage"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		s = statuses()
		require.Equal(t, status.Operational, s[w.cdn.ID])
		require.Equal(t, status.Operational, s[w.archive.ID])
		for _, c := range []*status.Component{w.cdn, w.archive} {
			pc, err := w.b.svc.Pages.ComponentByID(w.b.ctx, w.page.ID, c.ID)
			require.NoError(t, err)
			require.Equal(t, status.Operational, pc.Status, c.Name)
		}
		page := w.br.send(http.MethodGet, at, nil)
		require.Contains(t, selectOf(t, page.String(), w.archive.ID), `value="operational" selected`, "still affected, now operational")
	})
}

// Refused picker input: an unknown "all affected" status, a component of
// another page, "all affected" for an incident that affects nothing. Each
// is answered 422 with the reason at the top of the page, the typed text
// kept and nothing written.
func TestConsolePickersBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		w := setupPickers(t, bdb)
		inc := statustest.Incident(t, w.b.svc, w.page.ID, &statustest.IncidentOpts{Visibility: status.VisibilityPublic,
			Components: []status.ComponentStatusInput{{ComponentID: w.cdn.ID, Status: status.PartialOutage}}})
		bare := statustest.Incident(t, w.b.svc, w.page.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal})
		typed := "Typed <b>text</b> kept " + strings.Repeat("ü", 300)
		for name, c := range map[string]struct {
			inc   *status.Incident
			extra url.Values
			alert string
		}{
			"unknown status": {inc, url.Values{"all_affected": {"on_fire"}},
				"All affected components: must be one of operational, degraded_performance"},
			"script as status": {inc, url.Values{"all_affected": {`"><script>alert(1)</script>`}},
				"All affected components: must be one of"},
			"huge status": {inc, url.Values{"all_affected": {strings.Repeat("x", 100000)}},
				"All affected components: must be one of"},
			"component of another page": {inc, url.Values{"component." + w.foreign.ID: {"major_outage"}},
				"Components: a component: no such component on this page."},
			"unknown component status": {inc, url.Values{"component." + w.dns.ID: {"meh"}},
				"Components: a component:"},
			"nothing affected": {bare, url.Values{"all_affected": {"operational"}},
				"All affected components: this incident affects no component yet"},
		} {
			at := incidentURLOf(w.page.ID, c.inc.ID)
			page := w.br.send(http.MethodGet, at, nil)
			before, err := w.b.svc.Incidents.ByID(w.b.ctx, w.page.ID, c.inc.ID)
			require.NoError(t, err)
			f := url.Values{"_csrf": {csrfOf(t, page)}, "version": {versionField.FindStringSubmatch(page.String())[1]},
				"kind": {"progress"}, "body": {typed}, "next_update": {"30"}}
			for k, v := range c.extra {
				f[k] = v
			}
			r := w.br.send(http.MethodPost, at+"/updates", f)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, name)
			body := r.String()
			summary := strings.Index(body, `id="error-summary"`)
			require.True(t, summary >= 0, "%s: the refusal is summed up: %s", name, body)
			alert := strings.Index(body[summary:], c.alert)
			require.True(t, alert >= 0, "%s: the reason is shown: %s", name, body)
			require.Less(t, summary+alert, strings.Index(body, `<header class="incident-head`), "%s: at the top of the page", name)
			require.Contains(t, body, "Typed &lt;b&gt;text&lt;/b&gt; kept", "%s: the typed text is kept", name)
			require.NotContains(t, body, "<script>alert(1)", name)
			after, err := w.b.svc.Incidents.ByID(w.b.ctx, w.page.ID, c.inc.ID)
			require.NoError(t, err)
			require.Equal(t, before.Version, after.Version, "%s: nothing written", name)
			require.Len(t, after.Updates, len(before.Updates), name)
		}
		pc, err := w.b.svc.Pages.ComponentByID(w.b.ctx, w.page.ID, w.cdn.ID)
		require.NoError(t, err)
		require.Equal(t, status.PartialOutage, pc.Status)

		// Declaring with a component of another page is refused the same
		// way, the form keeping what was chosen.
		form := w.br.send(http.MethodGet, "/console/incidents/new?page="+w.page.ID, nil)
		r := w.br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {csrfOf(t, form)}, "page": {w.page.ID},
			"title": {"Slow edge"}, "severity": {"minor"}, "visibility": {"public"}, "body": {typed},
			"component." + w.dns.ID: {"degraded_performance"}, "component." + w.foreign.ID: {"major_outage"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		body := r.String()
		summary := strings.Index(body, `id="error-summary"`)
		alert := strings.Index(body, `Components: a component: no such component on this page.`)
		require.True(t, summary >= 0 && alert > summary && alert < strings.Index(body, "<h1>"), "the reason at the top: %s", body)
		require.Contains(t, selectOf(t, body, w.dns.ID), `value="degraded_performance" selected`, "the choice is kept")
		require.Contains(t, body, "Typed &lt;b&gt;text&lt;/b&gt; kept")
		incs, err := w.b.svc.Incidents.List(w.b.ctx, status.IncidentFilter{PageID: w.page.ID})
		require.NoError(t, err)
		require.Len(t, incs, 2, "nothing declared")
	})
}
