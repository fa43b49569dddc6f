package web_test

import (
	"net/http"
	"net/url"
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

var incidentLocation = regexp.MustCompile(`^/console/pages/([0-9a-z]+)/incidents/([0-9a-z]+)$`)

func TestConsoleDeclareAndRunIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Name: "Erin", Password: consolePassword})
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Public API"})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)

		form := br.send(http.MethodGet, "/console/incidents/new?page="+p.ID, nil)
		require.Equal(t, http.StatusOK, form.Code)
		require.Contains(t, form.String(), "within 15 minutes", "severities show their expected resolution")
		require.Contains(t, form.String(), "Rule of thumb")
		tok := csrfOf(t, form)

		r := br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {tok}, "page": {p.ID},
			"title": {"API errors <script>alert(1)</script>"}, "severity": {"major"}, "visibility": {"public"},
			"component." + api.ID: {"partial_outage"}, "summary": {"5xx from one node"}, "source": {"monitoring"},
			"source_reference": {"https://alerts.example/1"}, "started_at": {"2026-03-10T12:50"},
			"body": {"We are investigating errors on the API."}, "next_update": {"15"}, "contact": {"Erin"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		m := incidentLocation.FindStringSubmatch(r.Header.Get("Location"))
		require.NotNil(t, m, r.Header.Get("Location"))
		incID := m[2]

		inc, err := b.svc.Incidents.ByID(b.ctx, p.ID, incID)
		require.NoError(t, err)
		require.Equal(t, status.SeverityMajor, inc.Severity)
		require.Equal(t, "Erin", inc.DeclaredBy)
		require.Equal(t, status.SourceMonitoring, inc.Source)
		requireTimeEqual(t, time.Date(2026, 3, 10, 11, 50, 0, 0, time.UTC), inc.StartedAt, "started_at is read in the page's time zone")
		requireTimeEqual(t, epoch.Add(15*time.Minute), *inc.NextUpdateAt, "the chosen next update")

		page := br.send(http.MethodGet, r.Header.Get("Location"), nil)
		require.Equal(t, http.StatusOK, page.Code)
		body := page.String()
		require.Contains(t, body, "API errors &lt;script&gt;")
		require.NotContains(t, body, "<script>alert(1)")
		require.Contains(t, body, "#incident-2026-03-10", "major incidents get their own channel")
		require.Contains(t, body, "due in 15 min")
		require.Contains(t, body, "Declared major incident")

		// Post an update; then a stale form is refused with a clear message.
		tok = csrfOf(t, page)
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)[1]
		b.clock.Advance(10 * time.Minute)
		r = br.send(http.MethodPost, r.Header.Get("Location")+"/updates", url.Values{"_csrf": {tok}, "version": {version},
			"kind": {"analysis"}, "state": {"mitigating"}, "body": {"A node is faulty; draining it."}, "notify": {"on"}, "next_update": {"30"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		r = br.send(http.MethodPost, incidentURLOf(p.ID, incID)+"/updates", url.Values{"_csrf": {tok}, "version": {version},
			"kind": {"progress"}, "body": {"Based on an old page."}, "notify": {"on"}})
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), "Someone else changed this incident meanwhile")
		require.Contains(t, r.String(), "Based on an old page.", "the text typed is kept in the form")

		// Bad update input is answered next to the field.
		r = br.send(http.MethodPost, incidentURLOf(p.ID, incID)+"/updates", url.Values{"_csrf": {tok}, "version": {"2"},
			"kind": {"eta"}, "body": {""}, "next_update": {"45"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "must be 15, 30 or 60 minutes")

		// A timeline note at an earlier time.
		r = br.send(http.MethodPost, incidentURLOf(p.ID, incID)+"/notes", url.Values{"_csrf": {tok},
			"note": {"Alert fired in monitoring."}, "note_at": {"2026-03-10T12:45"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, incID)
		require.NoError(t, err)
		require.Equal(t, "Alert fired in monitoring.", tl[0].Text(), "the note sorts by its own time")

		// The public page shows the incident and the promise.
		b.refresh(t)
		pub := b.get(t, "", "/p/"+p.Slug+"/")
		require.Contains(t, pub.String(), "A node is faulty")
		require.Contains(t, pub.String(), "Next update by")
	})
}

func incidentURLOf(pageID, incID string) string {
	return "/console/pages/" + pageID + "/incidents/" + incID
}

func requireTimeEqual(t *testing.T, want, got time.Time, msg string) {
	t.Helper()
	require.True(t, want.Equal(got), "%s: want %s, got %s", msg, want, got)
}

func TestConsoleRolesAndBadDeclare(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal})
		viewer := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(viewer.Email, consolePassword).Code)
		dash := br.send(http.MethodGet, "/console/", nil)
		require.NotContains(t, dash.String(), "Declare an incident", "viewers are not offered what they may not do")
		tok := csrfOf(t, dash)
		require.Equal(t, http.StatusForbidden, br.send(http.MethodGet, "/console/incidents/new", nil).Code)
		require.Equal(t, http.StatusForbidden, br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {tok}}).Code)
		view := br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
		require.Equal(t, http.StatusOK, view.Code, "viewers read")
		require.NotContains(t, view.String(), "Post an update")
		require.Equal(t, http.StatusForbidden, br.send(http.MethodPost, incidentURLOf(p.ID, inc.ID)+"/updates",
			url.Values{"_csrf": {tok}, "body": {"x"}}).Code)
		require.Equal(t, http.StatusForbidden, br.send(http.MethodPost, incidentURLOf(p.ID, inc.ID)+"/notes",
			url.Values{"_csrf": {tok}, "note": {"x"}}).Code)

		// Anonymous visitors: GETs go to login, POSTs are refused.
		anon := newBrowser(t, b)
		for _, path := range []string{"/console/", "/console/incidents/new", incidentURLOf(p.ID, inc.ID), "/console/password"} {
			require.Equal(t, http.StatusSeeOther, anon.send(http.MethodGet, path, nil).Code, path)
		}
		for _, path := range []string{"/console/incidents", incidentURLOf(p.ID, inc.ID) + "/updates", "/console/logout"} {
			require.Equal(t, http.StatusUnauthorized, anon.send(http.MethodPost, path, url.Values{}).Code, path)
		}

		// Bad declare input from an engineer: errors next to the fields,
		// nothing written.
		eng := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Password: consolePassword})
		br = newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(eng.Email, consolePassword).Code)
		form := br.send(http.MethodGet, "/console/incidents/new", nil)
		tok = csrfOf(t, form)
		cases := map[string]url.Values{
			"missing everything": {"page": {p.ID}},
			"bad severity":       {"page": {p.ID}, "title": {"T"}, "severity": {"apocalyptic"}, "visibility": {"public"}, "body": {"b"}},
			"future start":       {"page": {p.ID}, "title": {"T"}, "severity": {"minor"}, "visibility": {"public"}, "body": {"b"}, "started_at": {"2027-01-01T00:00"}},
			"garbage start":      {"page": {p.ID}, "title": {"T"}, "severity": {"minor"}, "visibility": {"public"}, "body": {"b"}, "started_at": {"yesterday"}},
			"foreign component":  {"page": {p.ID}, "title": {"T"}, "severity": {"minor"}, "visibility": {"public"}, "body": {"b"}, "component.zzzzzzzzzzzz": {"major_outage"}},
			"huge title":         {"page": {p.ID}, "title": {strings.Repeat("x", 5000)}, "severity": {"minor"}, "visibility": {"public"}, "body": {"b"}},
			"unknown page":       {"page": {"nope"}, "title": {"T"}},
		}
		for name, f := range cases {
			f.Set("_csrf", tok)
			r := br.send(http.MethodPost, "/console/incidents", f)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, name)
			require.Contains(t, r.String(), "field-error", name)
		}
		forged := br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {"forged"}, "page": {p.ID}, "title": {"T"},
			"severity": {"minor"}, "visibility": {"public"}, "body": {"b"}})
		require.Equal(t, http.StatusForbidden, forged.Code)
		incs, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Len(t, incs, 1, "no bad form wrote anything")
	})
}

func TestConsoleRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		erin := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Name: "Erin", Password: consolePassword})
		max := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Name: "Max", Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(erin.Email, consolePassword).Code)
		form := br.send(http.MethodGet, "/console/incidents/new", nil)
		tok := csrfOf(t, form)
		r := br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {tok}, "page": {p.ID}, "title": {"Disk full"},
			"severity": {"minor"}, "visibility": {"internal"}, "body": {"Investigating."}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		loc := r.Header.Get("Location")
		incID := incidentLocation.FindStringSubmatch(loc)[2]

		roles, err := b.svc.Incidents.Roles(b.ctx, incID)
		require.NoError(t, err)
		require.Len(t, roles, 1)
		require.Equal(t, status.RoleCommander, roles[0].Role, "whoever declares is incident commander")
		require.Equal(t, erin.ID, roles[0].UserID)

		// Erin assigns Max as communication manager; Max takes over as
		// commander; Erin removes herself from nothing she holds.
		r = br.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {tok}, "role": {"comms"}, "user": {max.ID}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		maxb := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, maxb.login(max.Email, consolePassword).Code)
		page := maxb.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), "take over")
		r = maxb.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {csrfOf(t, page)}, "role": {"commander"}, "user": {max.ID}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		roles, err = b.svc.Incidents.Roles(b.ctx, incID)
		require.NoError(t, err)
		require.Len(t, roles, 2)
		for _, ra := range roles {
			require.Equal(t, max.ID, ra.UserID, string(ra.Role))
		}
		tl := maxb.send(http.MethodGet, loc, nil).String()
		require.Contains(t, tl, "Max took over as incident commander from Erin.")

		r = br.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {tok}, "role": {"comms"}, "user": {max.ID}, "remove": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		r = br.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {tok}, "role": {"comms"}, "user": {max.ID}, "remove": {"1"}})
		require.Equal(t, http.StatusNotFound, r.Code, "removing what nobody holds")
		r = br.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {tok}, "role": {"janitor"}, "user": {max.ID}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "choose a role and a person")
		r = br.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {"forged"}, "role": {"comms"}, "user": {erin.ID}})
		require.Equal(t, http.StatusForbidden, r.Code)

		viewer := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: consolePassword})
		vb := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, vb.login(viewer.Email, consolePassword).Code)
		vp := vb.send(http.MethodGet, loc, nil)
		require.NotContains(t, vp.String(), "take over")
		r = vb.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {csrfOf(t, vp)}, "role": {"comms"}, "user": {viewer.ID}})
		require.Equal(t, http.StatusForbidden, r.Code, "viewers take no roles")
	})
}

func TestConsoleRecordsEscalations(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		m := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Name: "Max", Password: consolePassword})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityBusinessContinuity})
		b.clock.Advance(2*time.Hour + time.Minute)
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(m.Email, consolePassword).Code)
		page := br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
		require.Contains(t, page.String(), "Business continuity: trigger the continuity plan")
		require.Contains(t, page.String(), `value="am_informed"`, "past 2 h the manager is asked to inform Account Management")
		require.Contains(t, page.String(), `value="continuity_plan"`)
		tok := csrfOf(t, page)
		r := br.send(http.MethodPost, incidentURLOf(p.ID, inc.ID)+"/escalations", url.Values{"_csrf": {tok}, "record": {"am_informed"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code, "someone outside Account Management names who decided")
		require.Contains(t, r.String(), "Not recorded: name the person in Account Management who decided")
		require.Contains(t, r.String(), `name="decided_by"`)
		for _, rec := range []url.Values{{"record": {"am_informed"}, "decided_by": {"Ada <AM>"}}, {"record": {"continuity_plan"}}} {
			rec.Set("_csrf", tok)
			r := br.send(http.MethodPost, incidentURLOf(p.ID, inc.ID)+"/escalations", rec)
			require.Equal(t, http.StatusSeeOther, r.Code, rec.Get("record"))
			require.Contains(t, r.Header.Get("Location"), "?done="+rec.Get("record"))
			page = br.send(http.MethodGet, r.Header.Get("Location"), nil)
			require.Contains(t, page.String(), `class="flash"`, "the change is confirmed at the top")
		}
		page = br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
		require.NotContains(t, page.String(), `value="am_informed"`)
		require.Contains(t, page.String(), "Account Management informed: Ada &lt;AM&gt;, recorded by Max.")
		r = br.send(http.MethodPost, incidentURLOf(p.ID, inc.ID)+"/escalations", url.Values{"_csrf": {tok}, "record": {"<b>"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "Not recorded")
		require.NotContains(t, r.String(), "<b>")

		// A member of Account Management decides in their own name.
		_, err := b.svc.Accounts.UpdateUser(b.ctx, m.ID, status.UserPatch{AccountManagement: statustest.Ptr(true)})
		require.NoError(t, err)
		page = br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
		require.Contains(t, page.String(), `value="postmortem_yes"`)
		require.NotContains(t, page.String(), `name="decided_by"`)
		r = br.send(http.MethodPost, incidentURLOf(p.ID, inc.ID)+"/escalations", url.Values{"_csrf": {tok}, "record": {"postmortem_no"}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		page = br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
		require.Contains(t, page.String(), "Post-mortem decision by Max (Account Management): no post-mortem.")

		// The business continuity close needs the plan or the reason; the
		// plan was triggered above, so the checklist is done, and it ends
		// with the incident.
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, inc.ID, status.CloseInput{ConfirmedBy: "Max", ConfirmationSource: "internal",
			ConfirmationMethod: "chat", Message: "Back.", Resolution: status.ResolutionPermanent, Cause: "Power.", Solution: "Generator."})
		require.NoError(t, err)
		page = br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
		require.NotContains(t, page.String(), "Business continuity: trigger the continuity plan")
	})
}

func TestConsoleTimelineExport(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Name: "Vic", Password: consolePassword})
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Broken", Severity: status.SeverityMinor,
			Visibility: status.VisibilityInternal, Body: "Looking.", Author: "Ann", Summary: "It broke.", Source: status.SourcePhone,
			Caller: "Bob", Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.PartialOutage}}})
		require.NoError(t, err)
		require.NoError(t, b.svc.Incidents.AssignRole(b.ctx, p.ID, inc.ID, status.RoleLead, u.ID, "Ann"))
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, inc.ID, "Two lines\n# injected heading", "Ann", nil)
		require.NoError(t, err)
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		r := br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID)+"/timeline.md", nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Contains(t, r.Header.Get("Content-Type"), "text/markdown")
		md := r.String()
		require.True(t, strings.HasPrefix(md, "# Broken\n"))
		require.Contains(t, md, "Ann: Two lines # injected heading\n", "timeline entries stay on one line")
		require.NotContains(t, md, "\n# injected")
		for _, want := range []string{"- Alerted by: Phone call · Bob", "- Components: API (Partial outage)", "## What happened\n\nIt broke.",
			"- Technical lead: Vic", "## Internal updates" /* an internal incident's */, "Looking.", "## Timeline", "Vic is now technical lead."} {
			require.Contains(t, md, want)
		}
		anon := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, anon.send(http.MethodGet, incidentURLOf(p.ID, inc.ID)+"/timeline.md", nil).Code)
	})
}

func TestConsoleCloseWithPostmortem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		m := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Name: "Max", Password: consolePassword})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Disk full", Severity: status.SeverityMajor,
			Visibility: status.VisibilityPublic})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(m.Email, consolePassword).Code)
		loc := incidentURLOf(p.ID, inc.ID)
		page := br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), "Close the incident")
		require.Contains(t, page.String(), "# Disk full", "the post-mortem draft starts from the record")
		tok := csrfOf(t, page)
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]
		closeForm := url.Values{"_csrf": {tok}, "version": {version}, "confirmation_source": {"internal"}, "confirmed_by": {"Max"}, "confirmation_method": {"phone"},
			"message": {"Resolved."}, "close_resolution": {"permanent"}, "cause": {"Logs filled the disk."},
			"solution": {"Rotated logs."}, "notify": {"on"}}

		r := br.send(http.MethodPost, loc+"/close", url.Values{"_csrf": {tok}, "version": {version}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "must say whether the customer or someone internal confirmed")
		r = br.send(http.MethodPost, loc+"/close", closeForm)
		require.Equal(t, http.StatusConflict, r.Code, "major incidents need the post-mortem decision")
		require.Contains(t, r.String(), "Record the post-mortem decision before resolving")
		require.Contains(t, r.String(), "Logs filled the disk.", "what was typed is kept")

		r = br.send(http.MethodPost, loc+"/escalations", url.Values{"_csrf": {tok}, "record": {"postmortem_yes"}, "decided_by": {"Ada"}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		pm := "# Disk full\n\nWe rotate logs now. <script>x()</script>"
		r = br.send(http.MethodPost, loc+"/postmortem", url.Values{"_csrf": {tok}, "postmortem": {pm}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code, "draft or publish must be chosen")
		r = br.send(http.MethodPost, loc+"/postmortem", url.Values{"_csrf": {tok}, "postmortem": {pm}, "action": {"draft"}, "kind": {"public"}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		page = br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), "Draft, seen in the console only")
		require.Contains(t, page.String(), "We rotate logs now. &lt;script&gt;", "the saved draft is in the form")
		b.refresh(t)
		require.NotContains(t, b.get(t, "", "/p/"+p.Slug+"/incidents/"+inc.ID).String(), "We rotate logs now.", "a draft is not public")
		closeForm.Set("version", regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1])
		r = br.send(http.MethodPost, loc+"/close", closeForm)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		page = br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), "Closing summary")
		require.NotContains(t, page.String(), "Close the incident")
		r = br.send(http.MethodPost, loc+"/postmortem", url.Values{"_csrf": {tok}, "postmortem": {pm}, "action": {"publish"}, "kind": {"public"}})
		require.Equal(t, http.StatusOK, r.Code, "publishing shows what goes public first")
		require.Contains(t, r.String(), "Review: publish this post-mortem")
		b.refresh(t)
		require.NotContains(t, b.get(t, "", "/p/"+p.Slug+"/incidents/"+inc.ID).String(), "We rotate logs now.", "nothing is public before the confirmation")
		confirm := url.Values{"_csrf": {tok}, "postmortem": {pm}, "action": {"publish"}, "kind": {"public"}, "confirm": {"yes"},
			"version": {regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(r.String())[1]}}
		r = br.send(http.MethodPost, loc+"/postmortem", confirm)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		r = br.send(http.MethodPost, loc+"/postmortem", confirm)
		require.Equal(t, http.StatusConflict, r.Code, "a second publish from the same form is refused")
		require.Contains(t, r.String(), "Someone else changed this incident meanwhile")
		page = br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), "Published on the public incident page")

		b.refresh(t)
		pub := b.get(t, "", "/p/"+p.Slug+"/incidents/"+inc.ID)
		require.Contains(t, pub.String(), "We rotate logs now.")
		require.NotContains(t, pub.String(), "<script>x()")
		st := decodeObject(t, b.get(t, "", "/p/"+p.Slug+"/api/v2/incidents.json").Body)
		require.Equal(t, "postmortem", st["incidents"].([]any)[0].(map[string]any)["status"])
	})
}

func TestConsolePreview(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		tok := csrfOf(t, br.send(http.MethodGet, "/console/", nil))
		r := br.send(http.MethodPost, "/console/preview", url.Values{"_csrf": {tok}, "body": {"**Fixed** <script>alert(1)</script> [x](javascript:alert(2))"}})
		require.Equal(t, http.StatusOK, r.Code)
		require.Contains(t, r.String(), "<strong>Fixed</strong>")
		require.Contains(t, r.String(), "&lt;script&gt;")
		require.NotContains(t, r.String(), "<script>")
		require.NotContains(t, r.String(), "javascript:")
		require.Equal(t, http.StatusForbidden, br.send(http.MethodPost, "/console/preview", url.Values{"body": {"x"}}).Code, "CSRF applies")
		huge := br.send(http.MethodPost, "/console/preview", url.Values{"_csrf": {tok}, "body": {strings.Repeat("x", status.MaxBodyLen+1)}})
		require.Equal(t, http.StatusRequestEntityTooLarge, huge.Code)
	})
}

// An update scheduled from the console waits in the console, is published
// at its time (by the service clock), and can be cancelled before.
func TestConsoleScheduledUpdate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Name: "Casey", Password: consolePassword})
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow logins"})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		url0 := incidentURLOf(p.ID, inc.ID)
		page := br.send(http.MethodGet, url0, nil)
		tok := csrfOf(t, page)
		local := func(d time.Duration) string {
			return b.clock.Now().Add(d).In(p.Location()).Format("2006-01-02T15:04")
		}
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]
		post := func(v url.Values) reply {
			v.Set("_csrf", tok)
			v.Set("version", version)
			return br.send(http.MethodPost, url0+"/updates", v)
		}

		r := post(url.Values{"kind": {"progress"}, "body": {"Rollout <b>half</b> done."}, "notify": {"on"},
			"next_update": {"30"}, "publish_at": {local(20 * time.Minute)}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		page = br.send(http.MethodGet, url0, nil)
		require.Contains(t, page.String(), "Scheduled updates")
		require.Contains(t, page.String(), "pending")
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 1, "nothing published yet")
		public := b.get(t, "", "/p/"+p.Slug+"/incidents/"+inc.ID)
		require.NotContains(t, public.String(), "Rollout")

		// Bad times are answered next to the field, the text kept.
		for _, bad := range []string{local(-time.Hour), "tomorrow", local(30 * 24 * time.Hour), "2026-13-45T99:99"} {
			r = post(url.Values{"kind": {"progress"}, "body": {"Kept text"}, "publish_at": {bad}})
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, bad)
			require.Contains(t, r.String(), `field-error`, bad)
			require.Contains(t, r.String(), "Kept text", bad)
		}

		// A second one, cancelled before its time.
		r = post(url.Values{"kind": {"general"}, "body": {"Never sent"}, "next_update": {"30"}, "publish_at": {local(40 * time.Minute)}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		list, err := b.svc.Incidents.ScheduledUpdates(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		cancelled := list[1]
		require.Equal(t, "Never sent", cancelled.Input.Body)
		r = br.send(http.MethodPost, url0+"/scheduled/"+cancelled.ID+"/cancel", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		r = br.send(http.MethodPost, url0+"/scheduled/"+cancelled.ID+"/cancel", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusConflict, r.Code, "cancelling twice says so")
		require.Contains(t, r.String(), "already cancelled")
		r = br.send(http.MethodPost, url0+"/scheduled/"+cancelled.ID+"/cancel", url.Values{"_csrf": {"forged"}})
		require.Equal(t, http.StatusForbidden, r.Code)

		b.clock.Advance(45 * time.Minute)
		n, err := b.svc.Incidents.PublishDueUpdates(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		b.refresh(t)
		public = b.get(t, "", "/p/"+p.Slug+"/incidents/"+inc.ID)
		require.Contains(t, public.String(), "Rollout &lt;b&gt;half&lt;/b&gt; done.", "published, its raw HTML inert")
		require.NotContains(t, public.String(), "Never sent")
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		requireTimeEqual(t, epoch.Add(50*time.Minute), *got.NextUpdateAt, "30 minutes after it went out")
	})
}

// Affected customers are chosen when declaring and changed later; their
// on-call notes show on the incident, and the update form counts their
// contacts among who will be told.
func TestConsoleIncidentCustomers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Password: consolePassword})
		p := statustest.Page(t, b.svc, nil)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme <Corp>",
			OncallNotes: "Call **Wile** first. <script>alert(1)</script>",
			Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary},
				{Name: "Road", Email: "road@acme.example", Role: status.ContactTechnical}}})
		globex := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Globex"})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		form := br.send(http.MethodGet, "/console/incidents/new?page="+p.ID, nil)
		require.Contains(t, form.String(), "Acme &lt;Corp&gt;")
		tok := csrfOf(t, form)
		declare := url.Values{"_csrf": {tok}, "page": {p.ID}, "title": {"Slow"}, "severity": {"minor"},
			"visibility": {"customers"}, "body": {"Looking."}, "next_update": {"30"}}

		bad := url.Values{}
		for k, v := range declare {
			bad[k] = v
		}
		bad["customer"] = []string{acme.ID, "nosuchcustom"}
		r := br.send(http.MethodPost, "/console/incidents", bad)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "does not exist")
		incs, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Empty(t, incs, "nothing declared on a bad choice")

		declare["customer"] = []string{acme.ID}
		r = br.send(http.MethodPost, "/console/incidents", declare)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		loc := r.Header.Get("Location")
		page := br.send(http.MethodGet, loc, nil).String()
		require.Contains(t, page, "Call <strong>Wile</strong> first.", "on-call notes rendered as Markdown")
		require.NotContains(t, page, "<script>alert(1)")
		require.Contains(t, page, "wile@acme.example")
		require.Contains(t, page, "2 customer contacts of the affected customers")

		r = br.send(http.MethodPost, loc+"/customers", url.Values{"_csrf": {tok}, "customer": {acme.ID, globex.ID}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		m := incidentLocation.FindStringSubmatch(loc)
		linked, err := b.svc.Incidents.Customers(b.ctx, m[2])
		require.NoError(t, err)
		require.Len(t, linked, 2)

		r = br.send(http.MethodPost, loc+"/customers", url.Values{"_csrf": {tok}, "customer": {"nosuchcustom"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "does not exist")
		r = br.send(http.MethodPost, loc+"/customers", url.Values{"_csrf": {tok}, "customer": {strings.Repeat("x", 5000)}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		linked, err = b.svc.Incidents.Customers(b.ctx, m[2])
		require.NoError(t, err)
		require.Len(t, linked, 2, "bad choices change nothing")

		r = br.send(http.MethodPost, loc+"/customers", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code, "unticking all unlinks all")
		linked, err = b.svc.Incidents.Customers(b.ctx, m[2])
		require.NoError(t, err)
		require.Empty(t, linked)
	})
}

// Title, severity, visibility, start and the record are edited from the
// console, each change on the timeline; a stale form is refused.
func TestConsoleEditIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Name: "Erin", Password: consolePassword})
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow", Severity: status.SeverityTrivial})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		loc := incidentURLOf(p.ID, inc.ID)
		b.clock.Advance(20 * time.Minute)
		page := br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), `<a href="#edit-h">Change severity</a>`, "a trivial incident past 15 minutes is nudged up")
		require.Contains(t, page.String(), `value="Slow"`, "the edit form starts from the incident")
		tok := csrfOf(t, page)
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]
		form := func(changes map[string]string) url.Values {
			v := url.Values{"_csrf": {tok}, "version": {version}, "title": {"Slow"}, "severity": {"trivial"}, "visibility": {"public"},
				"started_at": {"2026-03-10T13:00"}, "summary": {""}, "reproduce": {""}, "contact": {""}, "affected_customers": {""}}
			for k, val := range changes {
				v.Set(k, val)
			}
			return v
		}

		for field, bad := range map[string]map[string]string{
			"title":      {"title": ""},
			"severity":   {"severity": "apocalyptic"},
			"visibility": {"visibility": "everyone"},
			"started_at": {"started_at": "yesterday"},
			"summary":    {"summary": strings.Repeat("x", status.MaxBodyLen+1)},
			"contact":    {"contact": strings.Repeat("x", 10000)},
		} {
			r := br.send(http.MethodPost, loc+"/edit", form(bad))
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, field)
			require.Contains(t, r.String(), "field-error", field)
			require.Contains(t, r.String(), "<details class=\"card\" open>", "%s: the form stays open with the error", field)
		}
		r := br.send(http.MethodPost, loc+"/edit", form(map[string]string{"started_at": "2026-03-10T14:00"}))
		require.Equal(t, http.StatusUnprocessableEntity, r.Code, "the start cannot be in the future")

		r = br.send(http.MethodPost, loc+"/edit", form(map[string]string{"title": "Slow logins <b>", "severity": "minor",
			"summary": "Logins take 20 s.", "started_at": "2026-03-10T12:50", "auto_holding": "on"}))
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.SeverityMinor, got.Severity)
		require.Equal(t, "Slow logins <b>", got.Title)
		require.Equal(t, "Logins take 20 s.", got.Summary)
		require.True(t, got.AutoHolding, "the automatic holding update is switched on")
		requireTimeEqual(t, time.Date(2026, 3, 10, 11, 50, 0, 0, time.UTC), got.StartedAt, "read in the page's time zone")
		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var said []string
		for _, e := range tl {
			said = append(said, e.Text())
		}
		require.Contains(t, said, "Severity changed from trivial to minor.")
		require.Contains(t, said, "Incident record edited.")

		r = br.send(http.MethodPost, loc+"/edit", form(map[string]string{"title": "From an old page"}))
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), "Someone else changed this incident meanwhile")
		require.Contains(t, r.String(), "From an old page", "the typed text is kept")
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "Slow logins <b>", got.Title, "nothing overwritten")
	})
}
