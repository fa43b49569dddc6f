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

func TestConsolePageProcessSettings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Cloud", TimeZone: "Europe/Berlin"})
		m := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(m.Email, consolePassword).Code)
		page := br.send(http.MethodGet, "/console/pages/"+p.ID, nil)
		form := url.Values{"_csrf": {csrfOf(t, page)}, "name": {"Cloud"}, "slug": {p.Slug}, "time_zone": {"Europe/Berlin"},
			"office_days": {"mon,tue,wed,thu,fri"}, "office_opens": {"08:00"}, "office_closes": {"26:00"},
			"office_holidays": {"2026-12-24"}, "oncall_guide_url": {"https://wiki.example/oncall"},
			"video_room_url": {"https://meet.example/ops"}, "vulnerability_url": {"javascript:alert(1)"}}
		r := br.send(http.MethodPost, "/console/pages/"+p.ID, form)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		body := r.String()
		require.Contains(t, body, "That was not saved")
		require.Contains(t, body, "must be a time of day like 17:00")
		require.Contains(t, body, "must be an http or https URL")
		require.Contains(t, body, `value="https://meet.example/ops"`, "what was typed is kept")

		form.Set("office_closes", "17:00")
		form.Set("vulnerability_url", "https://wiki.example/vulns")
		r = br.send(http.MethodPost, "/console/pages/"+p.ID, form)
		require.Equal(t, http.StatusSeeOther, r.Code)
		got, err := b.svc.Pages.ByID(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, status.OfficeHours{Days: "mon,tue,wed,thu,fri", Opens: "08:00", Closes: "17:00", Holidays: "2026-12-24"}, got.Office)
		require.Equal(t, "https://wiki.example/vulns", got.VulnerabilityURL)

		// None of it reaches the public page.
		b.refresh(t)
		pub := b.get(t, "", "/p/"+p.Slug+"/")
		for _, s := range []string{"wiki.example", "meet.example", "08:00"} {
			require.NotContains(t, pub.String(), s)
		}
	})
}

func TestConsoleSecurityIncidentOutOfHours(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		// The test clock is a Tuesday 12:00 UTC; the office opens at 13:00.
		_, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{Office: &status.OfficeHours{Days: "tue", Opens: "13:00", Closes: "17:00"},
			OncallGuideURL: statustest.Ptr("https://wiki.example/oncall"), VideoRoomURL: statustest.Ptr("https://meet.example/ops"),
			VulnerabilityURL: statustest.Ptr("https://wiki.example/vulns")})
		require.NoError(t, err)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Eve", Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		declare := br.send(http.MethodGet, "/console/incidents/new?page="+p.ID, nil)
		require.Contains(t, declare.String(), "https://wiki.example/vulns", "the declare form links the vulnerability process")
		form := url.Values{"_csrf": {csrfOf(t, declare)}, "page": {p.ID}, "title": {"Leaked keys"}, "severity": {"major"},
			"visibility": {"public"}, "security": {"vulnerability"}, "body": {"Looking."}, "next_update": {"30"}}

		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("security", "<b>maybe</b>")
		r := br.send(http.MethodPost, "/console/incidents", bad)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "must be one of")
		require.Contains(t, r.String(), `value="Leaked keys"`, "what was typed is kept")
		require.NotContains(t, r.String(), "<b>maybe</b>")

		r = br.send(http.MethodPost, "/console/incidents", form)
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Contains(t, r.Header.Get("Location"), "?done=security_internal")
		page := br.send(http.MethodGet, r.Header.Get("Location"), nil)
		body := page.String()
		require.Contains(t, body, "Declared internal: a security matter goes public only once the information-security officer agrees.")
		require.Contains(t, body, "Declared outside office hours: the on-call guide applies.")
		require.Contains(t, body, `href="https://wiki.example/oncall"`)
		require.Contains(t, body, `href="https://meet.example/ops"`, "the standing video room is in the header")
		require.Contains(t, body, "Security vulnerability: follow the vulnerability process")
		require.Contains(t, body, `value="security_reported"`)

		incs, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID})
		require.NoError(t, err)
		require.Len(t, incs, 1)
		require.Equal(t, status.VisibilityInternal, incs[0].Visibility)
		require.Equal(t, status.SecurityVulnerability, incs[0].Security)
		require.True(t, incs[0].OutOfHours)

		// With the officer's agreement, public stays public.
		form.Set("security_public", "on")
		form.Set("title", "Agreed")
		r = br.send(http.MethodPost, "/console/incidents", form)
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.NotContains(t, r.Header.Get("Location"), "done=")
	})
}

func TestConsoleProcessForm(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow API"})
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: consolePassword})
		v := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		loc := incidentURLOf(p.ID, inc.ID)
		page := br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), "Security, contact with the customers, video room")
		tok := csrfOf(t, page)

		// The clock is 13:00 in Berlin: 12:30 has passed.
		form := url.Values{"_csrf": {tok}, "contact_channel": {"ticket", "phone"}, "next_contact_at": {"2026-03-10T12:30"},
			"video_room": {"https://meet.example/slow-api"}, "security": {""}}
		r := br.send(http.MethodPost, loc+"/process", form)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		body := r.String()
		require.Contains(t, body, "Not saved")
		require.Less(t, strings.Index(body, "Not saved"), strings.Index(body, "Roles"), "the refusal shows before the rest of the page")
		require.Contains(t, body, "must be in the future")
		require.Contains(t, body, `value="https://meet.example/slow-api"`, "what was typed is kept")
		require.Contains(t, body, `id="ch-phone" name="contact_channel" value="phone" checked`)

		for name, bad := range map[string]url.Values{
			"unknown channel":   {"contact_channel": {"pigeon"}},
			"not a time":        {"next_contact_at": {"soon"}},
			"script video room": {"video_room": {"javascript:alert(1)"}},
			"unknown security":  {"security": {"secret"}},
			"huge video room":   {"video_room": {"https://meet.example/" + strings.Repeat("x", 5000)}},
		} {
			bad.Set("_csrf", tok)
			r := br.send(http.MethodPost, loc+"/process", bad)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, name)
			require.Contains(t, r.String(), "Not saved", name)
		}

		form.Set("next_contact_at", "2026-03-10T13:45")
		r = br.send(http.MethodPost, loc+"/process", form)
		require.Equal(t, http.StatusSeeOther, r.Code)
		page = br.send(http.MethodGet, r.Header.Get("Location"), nil)
		require.Contains(t, page.String(), "Saved: security, contact with the customers and video room.")
		require.Contains(t, page.String(), "next contact with the customers")
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.ContactChannels{status.ChannelTicket, status.ChannelPhone}, got.ContactChannels)
		require.Equal(t, time.Date(2026, 3, 10, 12, 45, 0, 0, time.UTC), got.NextContactAt.UTC())

		dash := br.send(http.MethodGet, "/console/", nil)
		require.Contains(t, dash.String(), "Next contact")
		require.Contains(t, dash.String(), "13:45")
		b.clock.Advance(50 * time.Minute)
		dash = br.send(http.MethodGet, "/console/", nil)
		require.Contains(t, dash.String(), "13:45 CET</time> passed")
		page = br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), "The next contact with the customer was due at 13:45 CET (ticket, phone)")

		r = br.send(http.MethodPost, loc+"/process", url.Values{"contact_channel": {"email"}})
		require.Equal(t, http.StatusForbidden, r.Code, "no CSRF token, no change")
		vb := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, vb.login(v.Email, consolePassword).Code)
		vp := vb.send(http.MethodGet, loc, nil)
		require.NotContains(t, vp.String(), "/process\"")
		r = vb.send(http.MethodPost, loc+"/process", url.Values{"_csrf": {csrfOf(t, vp)}, "contact_channel": {"email"}})
		require.Equal(t, http.StatusForbidden, r.Code, "viewers change nothing")
	})
}

func TestAPIRecordsEscalationsAndResolvesAMajorIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		base := "/api/v1/pages/" + p.ID + "/incidents"
		created := b.must(t, http.StatusCreated, http.MethodPost, base, map[string]any{"title": "Keys", "severity": "major",
			"security": "incident", "body": "Looking.", "video_room": "https://meet.example/keys"}).(map[string]any)
		require.Equal(t, "internal", created["visibility"], "a security matter without a visibility is internal")
		require.Equal(t, "incident", created["security"])
		require.Equal(t, "https://meet.example/keys", created["video_room"])
		id := created["id"].(string)

		r := b.call(t, http.MethodPost, base+"/"+id+"/resolve", map[string]any{"body": "Fixed."})
		require.Equal(t, http.StatusConflict, r.Code, "a major incident needs the post-mortem decision")
		r = b.call(t, http.MethodPost, base+"/"+id+"/escalations", map[string]any{"record": "postmortem_no"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "decided_by")
		r = b.call(t, http.MethodPost, base+"/"+id+"/escalations", map[string]any{"record": "coffee", "decided_by": "Ada"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		r = b.call(t, http.MethodPost, base+"/"+id+"/escalations", `{"record": `)
		require.Equal(t, http.StatusBadRequest, r.Code)
		got := b.must(t, http.StatusOK, http.MethodPost, base+"/"+id+"/escalations",
			map[string]any{"record": "postmortem_no", "decided_by": "Ada"}).(map[string]any)
		require.Equal(t, "no", got["postmortem_decision"])
		require.Equal(t, "Ada", got["postmortem_decided_by"])
		require.Equal(t, "tests", got["postmortem_decision_recorded_by"])
		b.must(t, http.StatusOK, http.MethodPost, base+"/"+id+"/escalations", map[string]any{"record": "security_reported"})

		patched := b.must(t, http.StatusOK, http.MethodPatch, base+"/"+id, map[string]any{"contact_channels": []string{"chat"},
			"next_contact_at": epoch.Add(time.Hour).Format(time.RFC3339)}).(map[string]any)
		require.Equal(t, []any{"chat"}, patched["contact_channels"])
		require.NotNil(t, patched["next_contact_at"])
		r = b.call(t, http.MethodPatch, base+"/"+id, map[string]any{"contact_channels": []string{"fax"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		patched = b.must(t, http.StatusOK, http.MethodPatch, base+"/"+id, map[string]any{"next_contact_at": ""}).(map[string]any)
		require.Nil(t, patched["next_contact_at"], `"" clears the next contact time`)

		resolved := b.must(t, http.StatusCreated, http.MethodPost, base+"/"+id+"/resolve", map[string]any{"body": "Fixed."}).(map[string]any)
		require.Equal(t, "resolved", resolved["state"])
		inc, err := b.svc.Incidents.ByID(b.ctx, p.ID, id)
		require.NoError(t, err)
		require.Equal(t, status.StateResolved, inc.State)
		require.NotNil(t, inc.SecurityReportedAt)

		pj := b.must(t, http.StatusOK, http.MethodPatch, "/api/v1/pages/"+p.ID, map[string]any{
			"office_hours":   map[string]any{"days": []string{"mon", "fri"}, "opens": "09:00", "closes": "17:00", "holidays": []string{"2026-12-25"}},
			"video_room_url": "https://meet.example/ops"}).(map[string]any)
		require.Equal(t, map[string]any{"days": []any{"mon", "fri"}, "opens": "09:00", "closes": "17:00", "holidays": []any{"2026-12-25"}},
			pj["office_hours"])
		r = b.call(t, http.MethodPatch, "/api/v1/pages/"+p.ID, map[string]any{"office_hours": map[string]any{"days": []string{"someday"}}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
	})
}
