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

func init() {
	allowConsole(map[string]string{
		"GET /console/pages":                              "signed-in",
		"GET /console/pages/new":                          "manager",
		"POST /console/pages":                             "manager",
		"GET /console/pages/:page":                        "signed-in",
		"POST /console/pages/:page":                       "manager",
		"POST /console/pages/:page/delete":                "manager",
		"POST /console/pages/:page/groups":                "manager",
		"POST /console/pages/:page/groups/:id":            "manager",
		"POST /console/pages/:page/groups/:id/delete":     "manager",
		"POST /console/pages/:page/groups/:id/move":       "manager",
		"POST /console/pages/:page/components":            "manager",
		"POST /console/pages/:page/components/:id":        "manager",
		"POST /console/pages/:page/components/:id/delete": "manager",
		"POST /console/pages/:page/components/:id/move":   "manager",
		"POST /console/pages/:page/components/:id/status": "writer",
	})
}

var pageLocation = regexp.MustCompile(`^/console/pages/([0-9a-z]+)$`)

// pagesBrowser signs in a new user of role and returns the browser and a
// CSRF token for its forms.
func pagesBrowser(t *testing.T, b *testBundle, role status.Role) (*browser, string) {
	t.Helper()
	u := statustest.User(t, b.svc, &statustest.UserOpts{Role: role, Password: consolePassword})
	br := newBrowser(t, b)
	require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
	return br, csrfOf(t, br.send(http.MethodGet, "/console/", nil))
}

// postWith sends form to path with the CSRF token tok.
func (br *browser) postWith(path, tok string, form url.Values) reply {
	br.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", tok)
	return br.send(http.MethodPost, path, form)
}

// publicNames returns the public page's component names in the order
// shown, group by group, from the snapshot.
func publicNames(t *testing.T, b *testBundle, slug string) []string {
	t.Helper()
	b.refresh(t)
	sn := b.srv.Snapshots().BySlug(slug)
	require.NotNil(t, sn, "no snapshot of %s", slug)
	var out []string
	for _, c := range sn.View.Components {
		if c.GroupID == nil {
			out = append(out, c.Name)
		}
	}
	for _, g := range sn.View.Groups {
		out = append(out, "["+g.Name+"]")
		for _, c := range sn.View.Components {
			if c.GroupID != nil && *c.GroupID == g.ID {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

func groupByName(t *testing.T, b *testBundle, pageID, name string) *status.ComponentGroup {
	t.Helper()
	gs, err := b.svc.Pages.Groups(b.ctx, pageID)
	require.NoError(t, err)
	for _, g := range gs {
		if g.Name == name {
			return g
		}
	}
	require.Failf(t, "no such group", "%s", name)
	return nil
}

func componentByName(t *testing.T, b *testBundle, pageID, name string) *status.Component {
	t.Helper()
	cs, err := b.svc.Pages.Components(b.ctx, pageID)
	require.NoError(t, err)
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	require.Failf(t, "no such component", "%s", name)
	return nil
}

// requireIndexOrder requires that the parts appear in doc in this order.
func requireIndexOrder(t *testing.T, doc string, parts ...string) {
	t.Helper()
	last := -1
	for _, p := range parts {
		i := strings.Index(doc, p)
		require.GreaterOrEqual(t, i, 0, "missing %q", p)
		require.Greater(t, i, last, "%q is out of order", p)
		last = i
	}
}

func TestConsolePagesCreateAndArrange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		br, tok := pagesBrowser(t, b, status.RoleManager)

		list := br.send(http.MethodGet, "/console/pages", nil)
		require.Equal(t, http.StatusOK, list.Code)
		require.Contains(t, list.String(), "There is no status page yet.")
		form := br.send(http.MethodGet, "/console/pages/new", nil)
		require.Equal(t, http.StatusOK, form.Code)
		require.Contains(t, form.String(), `<option value="Europe/Berlin">`, "common time zones are offered")

		r := br.postWith("/console/pages", tok, url.Values{"name": {"Acme Cloud"}, "slug": {"acme"}, "time_zone": {"Europe/Berlin"},
			"hosts": {"status.acme.test\r\n\r\n STATUS.acme.example \n"}, "support_email": {"help@acme.test"},
			"support_url": {"https://acme.test/help"}, "description": {"Everything Acme runs."}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		m := pageLocation.FindStringSubmatch(r.Header.Get("Location"))
		require.NotNil(t, m, r.Header.Get("Location"))
		p, err := b.svc.Pages.ByID(b.ctx, m[1])
		require.NoError(t, err)
		require.Equal(t, "Europe/Berlin", p.TimeZone)
		require.Equal(t, []string{"status.acme.example", "status.acme.test"}, p.Hosts)
		screen := "/console/pages/" + p.ID

		// Groups and components, each added at the end.
		for _, g := range []string{"Core", "Edge"} {
			r = br.postWith(screen+"/groups", tok, url.Values{"name": {g}})
			require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		}
		core, edge := groupByName(t, b, p.ID, "Core"), groupByName(t, b, p.ID, "Edge")
		require.Less(t, core.Position, edge.Position)
		for _, c := range []struct{ name, group string }{{"API", core.ID}, {"Database", core.ID}, {"Website", ""}, {"CDN", edge.ID}} {
			r = br.postWith(screen+"/components", tok, url.Values{"name": {c.name}, "group_id": {c.group}, "description": {c.name + " service"}})
			require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		}
		r = br.postWith(screen+"/components", tok, url.Values{"name": {"Billing"}, "group_id": {core.ID}, "hidden": {"on"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.True(t, componentByName(t, b, p.ID, "Billing").Hidden)
		require.Equal(t, []string{"Website", "[Core]", "API", "Database", "[Edge]", "CDN"}, publicNames(t, b, "acme"))

		page := br.send(http.MethodGet, screen, nil)
		require.Equal(t, http.StatusOK, page.Code)
		requireIndexOrder(t, page.String(), "Website", "API", "Database", "Billing", "CDN")
		require.Contains(t, page.String(), `href="/p/acme/"`)

		// Reorder: Database above API, Edge above Core.
		db := componentByName(t, b, p.ID, "Database")
		r = br.postWith(screen+"/components/"+db.ID+"/move", tok, url.Values{"direction": {"up"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, screen+"#component-"+db.ID, r.Header.Get("Location"))
		r = br.postWith(screen+"/groups/"+edge.ID+"/move", tok, url.Values{"direction": {"up"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, []string{"Website", "[Edge]", "CDN", "[Core]", "Database", "API"}, publicNames(t, b, "acme"))
		pub := b.get(t, "", "/p/acme/")
		require.Equal(t, http.StatusOK, pub.Code)
		requireIndexOrder(t, pub.String(), "Website", "Edge", "CDN", "Core", "Database", "API")
		requireNotContains(t, pub.String(), "Billing", "hidden components stay off the public page")
		// Moving past the end changes nothing.
		r = br.postWith(screen+"/components/"+db.ID+"/move", tok, url.Values{"direction": {"up"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, []string{"Website", "[Edge]", "CDN", "[Core]", "Database", "API"}, publicNames(t, b, "acme"))

		// A status set by hand shows on the public page.
		api := componentByName(t, b, p.ID, "API")
		r = br.postWith(screen+"/components/"+api.ID+"/status", tok, url.Values{"status": {"degraded_performance"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		b.refresh(t)
		for _, c := range b.srv.Snapshots().BySlug("acme").View.Components {
			if c.ID == api.ID {
				require.Equal(t, status.DegradedPerformance, c.Status)
			}
		}
		requireContains(t, b.get(t, "", "/p/acme/").String(), "Degraded performance")

		// Edit a component: rename it and move it into Edge, at the end.
		r = br.postWith(screen+"/components/"+api.ID, tok, url.Values{"name": {"Public API"}, "description": {"REST"}, "group_id": {edge.ID}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, []string{"Website", "[Edge]", "CDN", "Public API", "[Core]", "Database"}, publicNames(t, b, "acme"))
		require.Equal(t, status.DegradedPerformance, componentByName(t, b, p.ID, "Public API").Status, "editing keeps the status")

		// Rename a group, then delete it: its components stay, ungrouped.
		r = br.postWith(screen+"/groups/"+core.ID, tok, url.Values{"name": {"Core platform"}, "position": {"7"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, 7, groupByName(t, b, p.ID, "Core platform").Position)
		r = br.postWith(screen+"/groups/"+core.ID+"/delete", tok, nil)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Nil(t, componentByName(t, b, p.ID, "Database").GroupID)

		// Deleting a component needs the box ticked.
		cdn := componentByName(t, b, p.ID, "CDN")
		r = br.postWith(screen+"/components/"+cdn.ID+"/delete", tok, nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "tick the box to confirm")
		r = br.postWith(screen+"/components/"+cdn.ID+"/delete", tok, url.Values{"confirm": {"yes"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		_, err = b.svc.Pages.ComponentByID(b.ctx, p.ID, cdn.ID)
		require.Equal(t, status.KindNotFound, status.KindOf(err))

		// Settings.
		r = br.postWith(screen, tok, url.Values{"name": {"Acme Status"}, "slug": {"acme-status"}, "time_zone": {"America/New_York"},
			"hosts": {"status.acme.test"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		p, err = b.svc.Pages.ByID(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme Status", p.Name)
		require.Equal(t, "acme-status", p.Slug)
		require.Equal(t, []string{"status.acme.test"}, p.Hosts)
		require.Empty(t, p.SupportEmail, "an emptied field is cleared")
		list = br.send(http.MethodGet, "/console/pages", nil)
		requireContains(t, list.String(), "Acme Status")
		requireContains(t, list.String(), `href="/p/acme-status/"`)

		// Deleting the page needs its slug typed.
		r = br.postWith(screen+"/delete", tok, url.Values{"confirm": {"acme"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "type the slug acme-status to confirm")
		r = br.postWith(screen+"/delete", tok, url.Values{"confirm": {"acme-status"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, "/console/pages", r.Header.Get("Location"))
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, screen, nil).Code)
	})
}

func TestConsolePagesBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		taken := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "taken", Hosts: []string{"status.taken.test"}})
		br, tok := pagesBrowser(t, b, status.RoleAdmin)
		valid := func(changes ...string) url.Values {
			f := url.Values{"name": {"Fine"}, "slug": {"fine"}, "time_zone": {"Etc/UTC"}}
			for i := 0; i+1 < len(changes); i += 2 {
				f.Set(changes[i], changes[i+1])
			}
			return f
		}
		cases := map[string]struct {
			form url.Values
			code int
			msg  string
		}{
			"missing name":      {valid("name", ""), http.StatusUnprocessableEntity, "is required"},
			"huge name":         {valid("name", strings.Repeat("x", 10000)), http.StatusUnprocessableEntity, "is too long"},
			"invalid slug":      {valid("slug", "Not A Slug"), http.StatusUnprocessableEntity, "lowercase letters"},
			"script slug":       {valid("slug", `"><script>alert(1)</script>`), http.StatusUnprocessableEntity, "lowercase letters"},
			"duplicate slug":    {valid("slug", "taken"), http.StatusConflict, "is already used by another page"},
			"duplicate host":    {valid("hosts", "ok.test\nstatus.taken.test"), http.StatusConflict, "line 2: is already used"},
			"bad host":          {valid("hosts", "not a host!"), http.StatusUnprocessableEntity, "line 1: must be a host name"},
			"unknown time zone": {valid("time_zone", "Mars/Olympus_Mons"), http.StatusUnprocessableEntity, "is not a known IANA time zone"},
			"bad email":         {valid("support_email", "nobody"), http.StatusUnprocessableEntity, "must be an email address"},
			"javascript url":    {valid("support_url", "javascript:alert(1)"), http.StatusUnprocessableEntity, "must be an http or https URL"},
			"nul in name":       {valid("name", "a\x00b"), http.StatusUnprocessableEntity, "control characters"},
			"everything empty":  {url.Values{}, http.StatusUnprocessableEntity, "is required"},
		}
		for name, tc := range cases {
			r := br.postWith("/console/pages", tok, tc.form)
			require.Equal(t, tc.code, r.Code, "%s: %s", name, excerpt(r.String()))
			requireContains(t, r.String(), `class="field-error"`, name)
			requireContains(t, r.String(), tc.msg, name)
			requireNotContains(t, r.String(), "<script>alert(1)", name)
			// The same input on an existing page's settings (its own
			// slug and host are fine there).
			if name == "duplicate slug" || name == "duplicate host" {
				continue
			}
			r = br.postWith("/console/pages/"+taken.ID, tok, tc.form)
			require.Equal(t, tc.code, r.Code, "settings, %s", name)
			requireContains(t, r.String(), tc.msg, "settings, %s", name)
		}
		// A new page without a time zone gets UTC; settings need one.
		r := br.postWith("/console/pages/"+taken.ID, tok, valid("time_zone", ""))
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		requireContains(t, r.String(), "must be an IANA time zone")
		pages, err := b.svc.Pages.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, pages, 1, "no bad form created a page")
		require.Equal(t, "taken", pages[0].Slug, "no bad form changed the page")

		// Group and component forms.
		screen := "/console/pages/" + taken.ID
		g := statustest.Group(t, b.svc, taken.ID, &statustest.GroupOpts{Name: "Core"})
		c := statustest.Component(t, b.svc, taken.ID, &statustest.ComponentOpts{Name: "API"})
		other := statustest.Page(t, b.svc, nil)
		foreign := statustest.Group(t, b.svc, other.ID, nil)
		bad := []struct {
			name, path string
			form       url.Values
			code       int
			msg        string
		}{
			{"group without name", "/groups", url.Values{"name": {" "}}, 422, "is required"},
			{"group with huge name", "/groups", url.Values{"name": {strings.Repeat("g", 10000)}}, 422, "is too long"},
			{"group with a word for position", "/groups", url.Values{"name": {"G"}, "position": {"first"}}, 422, "must be a whole number"},
			{"group with negative position", "/groups/" + g.ID, url.Values{"name": {"G"}, "position": {"-4"}}, 422, "must be between"},
			{"component without name", "/components", url.Values{"name": {""}}, 422, "is required"},
			{"component in an unknown group", "/components", url.Values{"name": {"X"}, "group_id": {status.NewID()}}, 422, "no such group on this page"},
			{"component in another page's group", "/components/" + c.ID, url.Values{"name": {"X"}, "group_id": {foreign.ID}}, 422, "no such group on this page"},
			{"component in a malformed group", "/components", url.Values{"name": {"X"}, "group_id": {"../x"}}, 422, "is not a valid id"},
			{"component with unknown status", "/components", url.Values{"name": {"X"}, "status": {"on_fire"}}, 422, "must be one of"},
			{"status by hand unknown", "/components/" + c.ID + "/status", url.Values{"status": {"on_fire"}}, 422, "must be one of"},
			{"status by hand empty", "/components/" + c.ID + "/status", nil, 422, "must be one of"},
			{"move sideways", "/components/" + c.ID + "/move", url.Values{"direction": {"sideways"}}, 422, "up or down"},
			{"move group sideways", "/groups/" + g.ID + "/move", nil, 422, "up or down"},
			{"move unknown component", "/components/" + status.NewID() + "/move", url.Values{"direction": {"up"}}, 404, "not found"},
			{"edit unknown component", "/components/" + status.NewID(), url.Values{"name": {"X"}}, 404, "not found"},
			{"delete unknown group", "/groups/" + status.NewID() + "/delete", nil, 404, "not found"},
			{"delete another page's group", "/groups/" + foreign.ID + "/delete", nil, 404, "not found"},
		}
		for _, tc := range bad {
			r := br.postWith(screen+tc.path, tok, tc.form)
			require.Equal(t, tc.code, r.Code, "%s: %s", tc.name, excerpt(r.String()))
			requireContains(t, r.String(), tc.msg, tc.name)
		}
		_, err = b.svc.Pages.ByID(b.ctx, other.ID)
		require.NoError(t, err)
		require.Len(t, mustGroups(t, b, other.ID), 1, "another page's group was not touched")

		// Unknown and malformed pages.
		for _, path := range []string{"/console/pages/" + status.NewID(), "/console/pages/..%2F..", "/console/pages/" + strings.Repeat("z", 300)} {
			require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, path, nil).Code, path)
		}
		require.Equal(t, http.StatusNotFound, br.postWith("/console/pages/"+status.NewID()+"/delete", tok, url.Values{"confirm": {"x"}}).Code)

		// Forged or missing CSRF tokens are refused and change nothing.
		for _, forged := range []string{"forged", ""} {
			r := br.postWith("/console/pages", forged, valid())
			require.Equal(t, http.StatusForbidden, r.Code)
			r = br.postWith(screen+"/delete", forged, url.Values{"confirm": {"taken"}})
			require.Equal(t, http.StatusForbidden, r.Code)
		}
		_, err = b.svc.Pages.ByID(b.ctx, taken.ID)
		require.NoError(t, err)
	})
}

func mustGroups(t *testing.T, b *testBundle, pageID string) []*status.ComponentGroup {
	t.Helper()
	gs, err := b.svc.Pages.Groups(b.ctx, pageID)
	require.NoError(t, err)
	return gs
}

func TestConsolePagesScriptIsInert(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		br, tok := pagesBrowser(t, b, status.RoleManager)
		const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
		r := br.postWith("/console/pages", tok, url.Values{"name": {"Page " + evil}, "slug": {"evil"}, "time_zone": {"Etc/UTC"},
			"description": {evil}, "support_url": {"https://example.test/?q=" + url.QueryEscape(evil)}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		pageID := pageLocation.FindStringSubmatch(r.Header.Get("Location"))[1]
		screen := "/console/pages/" + pageID
		r = br.postWith(screen+"/groups", tok, url.Values{"name": {"Group " + evil}, "description": {evil}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		g := mustGroups(t, b, pageID)[0]
		r = br.postWith(screen+"/components", tok, url.Values{"name": {"Component " + evil}, "description": {evil}, "group_id": {g.ID}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		// A refused form echoes what was typed, escaped.
		r = br.postWith(screen+"/components", tok, url.Values{"name": {evil}, "group_id": {evil}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)

		b.refresh(t)
		for name, doc := range map[string]reply{
			"page screen": br.send(http.MethodGet, screen, nil), "pages list": br.send(http.MethodGet, "/console/pages", nil),
			"refused form": r, "public page": b.get(t, "", "/p/evil/"),
		} {
			requireNotContains(t, doc.String(), "<script>alert(1)", name)
			requireNotContains(t, doc.String(), "<img src=x", name)
		}
		requireContains(t, br.send(http.MethodGet, screen, nil).String(), "Component &#34;&gt;&lt;script&gt;")
	})
}

func TestConsolePagesRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "roles"})
		c := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		screen := "/console/pages/" + p.ID

		viewer, vtok := pagesBrowser(t, b, status.RoleViewer)
		list := viewer.send(http.MethodGet, "/console/pages", nil)
		require.Equal(t, http.StatusOK, list.Code, "viewers read")
		require.NotContains(t, list.String(), "New page", "viewers are not offered what they may not do")
		page := viewer.send(http.MethodGet, screen, nil)
		require.Equal(t, http.StatusOK, page.Code)
		require.Contains(t, page.String(), "API")
		for _, offer := range []string{"Save settings", "Add a group", "Add a component", "Delete page", "/components/" + c.ID + "/status"} {
			require.NotContains(t, page.String(), offer, "viewer is offered %q", offer)
		}
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodGet, "/console/pages/new", nil).Code)
		for _, path := range []string{"/console/pages", screen, screen + "/delete", screen + "/groups", screen + "/components",
			screen + "/components/" + c.ID + "/status", screen + "/components/" + c.ID + "/move"} {
			require.Equal(t, http.StatusForbidden, viewer.postWith(path, vtok, url.Values{"name": {"X"}, "status": {"major_outage"}}).Code, path)
		}

		eng, etok := pagesBrowser(t, b, status.RoleEngineer)
		page = eng.send(http.MethodGet, screen, nil)
		require.Equal(t, http.StatusOK, page.Code)
		require.NotContains(t, page.String(), "Save settings", "engineers do not change page settings")
		require.Contains(t, page.String(), "/components/"+c.ID+"/status", "engineers set a component's status")
		for _, path := range []string{"/console/pages", screen, screen + "/delete", screen + "/groups", screen + "/components",
			screen + "/components/" + c.ID, screen + "/components/" + c.ID + "/move"} {
			r := eng.postWith(path, etok, url.Values{"name": {"X"}, "slug": {"roles"}, "confirm": {"roles"}, "direction": {"up"}})
			require.Equal(t, http.StatusForbidden, r.Code, path)
		}
		r := eng.postWith(screen+"/components/"+c.ID+"/status", etok, url.Values{"status": {"major_outage"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		got, err := b.svc.Pages.ComponentByID(b.ctx, p.ID, c.ID)
		require.NoError(t, err)
		require.Equal(t, status.MajorOutage, got.Status)
		_, err = b.svc.Pages.ByID(b.ctx, p.ID)
		require.NoError(t, err, "the engineer could not delete the page")

		anon := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, anon.send(http.MethodGet, screen, nil).Code)
		require.Equal(t, http.StatusUnauthorized, anon.send(http.MethodPost, screen+"/delete", url.Values{"confirm": {"roles"}}).Code)
	})
}
