package web_test

import (
	"net/http"
	"net/url"
	"path"
	"regexp"
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
		"GET /console/maintenance":                          "signed-in",
		"GET /console/maintenance/new":                      "writer",
		"POST /console/maintenance":                         "writer",
		"GET /console/pages/:page/maintenance/:id":          "signed-in",
		"POST /console/pages/:page/maintenance/:id":         "writer",
		"POST /console/pages/:page/maintenance/:id/updates": "writer",
		"POST /console/pages/:page/maintenance/:id/delete":  "writer",
	})
}

var maintenanceLocation = regexp.MustCompile(`^/console/pages/([0-9a-z]+)/maintenance/([0-9a-z]+)$`)

// maintenanceForm is a valid form to schedule maintenance on pageID
// tomorrow (the test clock's), with changes given as name, value pairs.
func maintenanceForm(pageID string, changes ...string) url.Values {
	f := url.Values{"page": {pageID}, "title": {"Database upgrade"}, "scheduled_for": {"2026-03-11T10:00"},
		"scheduled_until": {"2026-03-11T12:00"}, "description": {"We upgrade **the** database."}}
	for i := 0; i+1 < len(changes); i += 2 {
		f[changes[i]] = []string{changes[i+1]}
	}
	return f
}

func TestConsoleMaintenanceScheduleAndRun(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "maint", TimeZone: "Europe/Berlin"})
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Public API"})
		db := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Database"})
		br, tok := pagesBrowser(t, b, status.RoleEngineer)

		form := br.send(http.MethodGet, "/console/maintenance/new?page="+p.ID, nil)
		require.Equal(t, http.StatusOK, form.Code)
		body := form.String()
		require.Contains(t, body, `name="components" value="`+api.ID+`"`)
		require.Contains(t, body, `value="2026-03-10T14:00"`, "the window starts at the next full hour, in the page's time zone")
		require.Contains(t, body, `data-preview="maintenance-preview"`, "the message has the live preview")

		f := maintenanceForm(p.ID)
		f["components"] = []string{api.ID}
		r := br.postWith("/console/maintenance", tok, f)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		loc := r.Header.Get("Location")
		mm := maintenanceLocation.FindStringSubmatch(loc)
		require.NotNil(t, mm, loc)
		m, err := b.svc.Maintenances.ByID(b.ctx, p.ID, mm[2])
		require.NoError(t, err)
		requireTimeEqual(t, time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC), m.ScheduledFor, "the window is read in the page's time zone")
		require.Equal(t, []string{api.ID}, m.ComponentIDs)
		require.Equal(t, status.MaintenanceScheduled, m.State)

		list := br.send(http.MethodGet, "/console/maintenance", nil)
		require.Equal(t, http.StatusOK, list.Code)
		requireIndexOrder(t, list.String(), "Upcoming", "Database upgrade", "Mar 11, 2026 10:00 CET", "Public API", "Recently completed")

		detail := br.send(http.MethodGet, loc, nil)
		require.Equal(t, http.StatusOK, detail.Code)
		body = detail.String()
		require.Contains(t, body, `href="/p/maint/maintenance/`+m.ID+`"`)
		require.Contains(t, body, "<strong>the</strong>", "the message is rendered as Markdown")
		require.Contains(t, body, `value="2026-03-11T10:00"`)

		// Edit: another title, the window ends an hour later, both
		// components.
		f = url.Values{"title": {"Database and API upgrade"}, "scheduled_for": {"2026-03-11T10:00"},
			"scheduled_until": {"2026-03-11T13:00"}, "components": {api.ID, db.ID}}
		r = br.postWith(loc, tok, f)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		m, err = b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, "Database and API upgrade", m.Title)
		requireTimeEqual(t, time.Date(2026, 3, 11, 12, 0, 0, 0, time.UTC), m.ScheduledUntil, "new end")
		require.ElementsMatch(t, []string{api.ID, db.ID}, m.ComponentIDs)

		// Start it early with an update: the components go under
		// maintenance, on the public page too.
		b.clock.Advance(time.Hour)
		r = br.postWith(loc+"/updates", tok, url.Values{"state": {"in_progress"}, "body": {"We started early."}, "notify": {"on"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		c, err := b.svc.Pages.ComponentByID(b.ctx, p.ID, db.ID)
		require.NoError(t, err)
		require.Equal(t, status.UnderMaintenance, c.Status)
		b.refresh(t)
		pub := b.get(t, "", "/p/maint/")
		requireContains(t, pub.String(), "We started early.")
		list = br.send(http.MethodGet, "/console/maintenance", nil)
		requireIndexOrder(t, list.String(), "In progress", "Database and API upgrade", "Upcoming")

		// Back to scheduled is refused, with the message kept.
		r = br.postWith(loc+"/updates", tok, url.Values{"state": {"scheduled"}, "body": {"Oops, typed in haste."}})
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), "cannot go back to scheduled")
		require.Contains(t, r.String(), "Oops, typed in haste.")
		// An update without a state change keeps the state.
		r = br.postWith(loc+"/updates", tok, url.Values{"body": {"Halfway there."}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		// The notify box: ticked for the start, left empty for this one.
		mnt, err := b.svc.Maintenances.ByID(b.ctx, p.ID, path.Base(loc))
		require.NoError(t, err)
		notified := map[string]bool{}
		for _, u := range mnt.Updates {
			notified[u.Body] = u.Notify
		}
		require.True(t, notified["We started early."])
		require.False(t, notified["Halfway there."])
		requireContains(t, br.send(http.MethodGet, loc, nil).String(), "not emailed")

		// The clock completes it at the end of the window.
		b.clock.Set(time.Date(2026, 3, 11, 12, 1, 0, 0, time.UTC))
		n, err := b.svc.Maintenances.Advance(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		br, tok = pagesBrowser(t, b, status.RoleEngineer) // the idle session has ended meanwhile
		list = br.send(http.MethodGet, "/console/maintenance", nil)
		requireIndexOrder(t, list.String(), "Recently completed", "Database and API upgrade")
		detail = br.send(http.MethodGet, loc, nil)
		require.NotContains(t, detail.String(), "Change title, window or components", "a completed maintenance keeps its window")
		c, err = b.svc.Pages.ComponentByID(b.ctx, p.ID, db.ID)
		require.NoError(t, err)
		require.Equal(t, status.Operational, c.Status)

		// Cancel another one: the box must be ticked.
		other := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{Title: "Network work"})
		oloc := "/console/pages/" + p.ID + "/maintenance/" + other.ID
		r = br.postWith(oloc+"/delete", tok, nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "tick the box to confirm")
		r = br.postWith(oloc+"/delete", tok, url.Values{"confirm": {"yes"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, "/console/maintenance", r.Header.Get("Location"))
		_, err = b.svc.Maintenances.ByID(b.ctx, p.ID, other.ID)
		require.Equal(t, status.KindNotFound, status.KindOf(err))
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, oloc, nil).Code)
	})
}

func TestConsoleMaintenanceBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		other := statustest.Page(t, b.svc, nil)
		foreign := statustest.Component(t, b.svc, other.ID, nil)
		br, tok := pagesBrowser(t, b, status.RoleManager)

		cases := map[string]struct {
			form       url.Values
			field, msg string
		}{
			"end before start":         {maintenanceForm(p.ID, "scheduled_until", "2026-03-11T09:00"), "scheduled_until", "must be after"},
			"end in the past":          {maintenanceForm(p.ID, "scheduled_for", "2026-03-09T10:00", "scheduled_until", "2026-03-09T12:00"), "scheduled_until", "must be in the future"},
			"window too long":          {maintenanceForm(p.ID, "scheduled_until", "2026-05-11T12:00"), "scheduled_until", "at most 31 days"},
			"start years ahead":        {maintenanceForm(p.ID, "scheduled_for", "2030-01-01T10:00", "scheduled_until", "2030-01-01T12:00"), "scheduled_for", "within two years"},
			"garbage start":            {maintenanceForm(p.ID, "scheduled_for", "tomorrow"), "scheduled_for", "must be a date and time"},
			"missing end":              {maintenanceForm(p.ID, "scheduled_until", ""), "scheduled_until", "is required"},
			"missing title":            {maintenanceForm(p.ID, "title", " "), "title", "is required"},
			"huge title":               {maintenanceForm(p.ID, "title", strings.Repeat("t", 10000)), "title", "is too long"},
			"missing message":          {maintenanceForm(p.ID, "description", ""), "description", "is required"},
			"unknown component":        {maintenanceForm(p.ID, "components", status.NewID()), "components", "no such component on this page"},
			"another page's component": {maintenanceForm(p.ID, "components", foreign.ID), "components", "no such component on this page"},
			"malformed component":      {maintenanceForm(p.ID, "components", `"><script>alert(1)</script>`), "components", "is not a valid id"},
			"unknown page":             {maintenanceForm(status.NewID()), "page", "choose a status page"},
			"malformed page":           {maintenanceForm("../x"), "page", "choose a status page"},
		}
		for name, tc := range cases {
			r := br.postWith("/console/maintenance", tok, tc.form)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, "%s: %s", name, excerpt(r.String()))
			requireContains(t, r.String(), `class="field-error"`, name)
			requireContains(t, r.String(), tc.msg, name)
			requireNotContains(t, r.String(), "<script>alert(1)", name)
		}
		ms, err := b.svc.Maintenances.List(b.ctx, status.MaintenanceFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Empty(t, ms, "no bad form scheduled anything")

		// The same rules when editing, shown beside the field.
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{Title: "Planned", ComponentIDs: []string{api.ID}})
		loc := "/console/pages/" + p.ID + "/maintenance/" + m.ID
		edit := func(changes ...string) url.Values {
			f := url.Values{"title": {"Planned"}, "scheduled_for": {"2026-03-11T10:00"}, "scheduled_until": {"2026-03-11T12:00"}}
			for i := 0; i+1 < len(changes); i += 2 {
				f.Set(changes[i], changes[i+1])
			}
			return f
		}
		for name, tc := range map[string]struct {
			form url.Values
			msg  string
		}{
			"end before start":  {edit("scheduled_until", "2026-03-11T08:00"), "must be after"},
			"emptied start":     {edit("scheduled_for", ""), "is required"},
			"garbage end":       {edit("scheduled_until", "noon"), "must be a date and time"},
			"unknown component": {edit("components", status.NewID()), "no such component on this page"},
			"blank title":       {edit("title", ""), "is required"},
		} {
			r := br.postWith(loc, tok, tc.form)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, "%s: %s", name, excerpt(r.String()))
			requireContains(t, r.String(), tc.msg, name)
			requireContains(t, r.String(), "<details class=\"card\" open>", "%s: the edit form is open", name)
		}
		got, err := b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
		require.Equal(t, "Planned", got.Title)
		require.Equal(t, []string{api.ID}, got.ComponentIDs)

		// Updates.
		for name, f := range map[string]url.Values{
			"empty message": {"body": {""}},
			"unknown state": {"body": {"x"}, "state": {"cancelled"}},
			"nul":           {"body": {"a\x00b"}},
		} {
			r := br.postWith(loc+"/updates", tok, f)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, name)
			requireContains(t, r.String(), `class="field-error"`, name)
		}

		// Unknown ids, and an incident's id where a maintenance's goes.
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		for _, path := range []string{"/console/pages/" + p.ID + "/maintenance/" + status.NewID(),
			"/console/pages/" + p.ID + "/maintenance/" + inc.ID, "/console/pages/" + other.ID + "/maintenance/" + m.ID,
			"/console/pages/" + p.ID + "/maintenance/" + strings.Repeat("z", 500)} {
			require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, path, nil).Code, path)
			for _, action := range []string{"", "/updates", "/delete"} {
				r := br.postWith(path+action, tok, url.Values{"body": {"x"}, "title": {"x"}, "confirm": {"yes"}})
				require.Equal(t, http.StatusNotFound, r.Code, path+action)
			}
		}

		// Forged CSRF.
		r := br.postWith("/console/maintenance", "forged", maintenanceForm(p.ID))
		require.Equal(t, http.StatusForbidden, r.Code)
		r = br.postWith(loc+"/delete", "forged", url.Values{"confirm": {"yes"}})
		require.Equal(t, http.StatusForbidden, r.Code)
		_, err = b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
	})
}

func TestConsoleMaintenanceScriptIsInert(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "inert", Name: "Page " + evil})
		statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Component " + evil})
		br, tok := pagesBrowser(t, b, status.RoleEngineer)
		r := br.postWith("/console/maintenance", tok, maintenanceForm(p.ID, "title", "Title "+evil, "description", "Body "+evil))
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		loc := r.Header.Get("Location")
		r2 := br.postWith(loc+"/updates", tok, url.Values{"body": {"Update " + evil}})
		require.Equal(t, http.StatusSeeOther, r2.Code, r2.String())
		refused := br.postWith(loc, tok, url.Values{"title": {evil}, "scheduled_for": {evil}})
		require.Equal(t, http.StatusUnprocessableEntity, refused.Code)
		b.refresh(t)
		mid := maintenanceLocation.FindStringSubmatch(loc)[2]
		for name, doc := range map[string]reply{
			"detail": br.send(http.MethodGet, loc, nil), "list": br.send(http.MethodGet, "/console/maintenance", nil),
			"new form": br.send(http.MethodGet, "/console/maintenance/new?page="+p.ID, nil), "refused": refused,
			"public": b.get(t, "", "/p/inert/maintenance/"+mid),
		} {
			require.Less(t, doc.Code, 500, name)
			requireNotContains(t, doc.String(), "<script>alert(1)", name)
			requireNotContains(t, doc.String(), "<img src=x", name)
		}
	})
}

func TestConsoleMaintenanceRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{Title: "Planned work"})
		loc := "/console/pages/" + p.ID + "/maintenance/" + m.ID
		viewer, tok := pagesBrowser(t, b, status.RoleViewer)
		list := viewer.send(http.MethodGet, "/console/maintenance", nil)
		require.Equal(t, http.StatusOK, list.Code, "viewers read")
		require.Contains(t, list.String(), "Planned work")
		require.NotContains(t, list.String(), "/console/maintenance/new")
		detail := viewer.send(http.MethodGet, loc, nil)
		require.Equal(t, http.StatusOK, detail.Code)
		require.NotContains(t, detail.String(), "Post an update")
		require.NotContains(t, detail.String(), "Delete maintenance")
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodGet, "/console/maintenance/new", nil).Code)
		for _, path := range []string{"/console/maintenance", loc, loc + "/updates", loc + "/delete"} {
			r := viewer.postWith(path, tok, maintenanceForm(p.ID, "body", "x", "confirm", "yes"))
			require.Equal(t, http.StatusForbidden, r.Code, path)
		}
		_, err := b.svc.Maintenances.ByID(b.ctx, p.ID, m.ID)
		require.NoError(t, err)
	})
}
