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

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// Every change on the incident page says what happened, and every refusal
// is summed up at the top of the page, before the incident's header, with
// what was typed kept in its form.
func TestConsoleIncidentFeedback(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		var subs *comms.Subscribers
		b := setup(t, bdb, func(d *web.Deps) {
			box := comms.NewOutbox(bdb, comms.OutboxOptions{Now: d.Service.Now})
			subs = comms.NewSubscribers(bdb, d.Service, box, comms.NewTokens(testSecret), d.BaseURL)
			d.Outbox, d.Subscribers = box, subs
		})
		p := statustest.Page(t, b.svc, nil)
		for _, addr := range []string{"ann@example.com", "bob@example.com"} {
			_, err := subs.Add(b.ctx, p.ID, addr, comms.Subscription{}, comms.AddedByAdmin)
			require.NoError(t, err)
		}
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Contacts: []status.ContactInput{
			{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary},
			{Name: "Road", Email: "road@acme.example", Role: status.ContactTechnical}}})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow API", Visibility: status.VisibilityPublic,
			Severity: status.SeverityMajor, Customers: []string{acme.ID}})
		m := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Name: "Max", Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(m.Email, consolePassword).Code)
		loc := incidentURLOf(p.ID, inc.ID)
		page := br.send(http.MethodGet, loc, nil)
		tok := csrfOf(t, page)
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]

		// Published: who it reaches.
		r := br.send(http.MethodPost, loc+"/updates", url.Values{"_csrf": {tok}, "version": {version}, "kind": {"progress"},
			"body": {"Rolling back."}, "next_update": {"30"}, "notify": {"on"}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Equal(t, loc+"?done=update", r.Header.Get("Location"))
		page = br.send(http.MethodGet, r.Header.Get("Location"), nil)
		body := page.String()
		require.Contains(t, body, "Update published; it goes to the public page and up to 2 confirmed subscribers and 2 customer contacts.")
		require.Less(t, strings.Index(body, `class="flash"`), strings.Index(body, "<h1>"), "the message is at the top")

		// A silent fix says nobody was emailed.
		version = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(body)[1]
		r = br.send(http.MethodPost, loc+"/updates", url.Values{"_csrf": {tok}, "version": {version}, "kind": {"progress"},
			"body": {"Rolling back (typo fixed)."}, "next_update": {"30"}})
		require.Equal(t, loc+"?done=update_silent", r.Header.Get("Location"))
		require.Contains(t, br.send(http.MethodGet, r.Header.Get("Location"), nil).String(), "Update published silently: nobody was emailed.")

		// A role: the message is in the roles section the answer leads to.
		r = br.send(http.MethodPost, loc+"/roles", url.Values{"_csrf": {tok}, "role": {"comms"}, "user": {m.ID}})
		require.Equal(t, loc+"?done=roles#roles", r.Header.Get("Location"))
		body = br.send(http.MethodGet, loc+"?done=roles", nil).String()
		roles := strings.Index(body, `<h2 id="roles">`)
		require.Positive(t, roles)
		require.Contains(t, body[roles:roles+200], "Saved: the roles.")
		require.NotContains(t, body[:roles], "Saved: the roles.", "shown once, where the change is")

		// Unknown done values show nothing: no text comes from the link.
		body = br.send(http.MethodGet, loc+"?done=%3Cscript%3E", nil).String()
		require.NotContains(t, body, `class="flash"`)

		// Refusals: the summary comes first, links to the form, and the
		// typed text stays.
		r = br.send(http.MethodPost, loc+"/close", url.Values{"_csrf": {tok}, "version": {version}, "cause": {"A full disk."}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		body = r.String()
		summary := strings.Index(body, `id="error-summary"`)
		require.Positive(t, summary, "a refused close has an error summary")
		require.Less(t, summary, strings.Index(body, "<h1>"), "before the incident's header")
		require.Contains(t, body, `<a href="#close-h">`)
		require.Contains(t, body[summary:], "Confirmed by: ")
		require.Contains(t, body, ">A full disk.</textarea>", "what was typed is kept")

		r = br.send(http.MethodPost, loc+"/updates", url.Values{"_csrf": {tok}, "version": {"1"}, "kind": {"progress"},
			"body": {"Stale <b>form</b>."}, "next_update": {"30"}, "notify": {"on"}})
		require.Equal(t, http.StatusConflict, r.Code)
		body = r.String()
		require.Positive(t, strings.Index(body, `id="error-summary"`))
		require.Contains(t, body, "Someone else changed this incident meanwhile")
		require.Contains(t, body, `<a href="#post-h">`)
		require.Contains(t, body, "Stale &lt;b&gt;form&lt;/b&gt;.", "the typed update is kept, escaped")

		// The declare form sums up its refusal too.
		decl := br.send(http.MethodGet, "/console/incidents/new?page="+p.ID, nil)
		r = br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {csrfOf(t, decl)}, "page": {p.ID},
			"title": {strings.Repeat("T", 300)}, "severity": {"major"}, "visibility": {"public"}, "body": {"Looking."}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		body = r.String()
		require.Positive(t, strings.Index(body, `id="error-summary"`))
		require.Contains(t, body, `<a href="#declare-form">Title: `)
	})
}

// When an update is due, the dashboard row and the incident's header lead
// straight to posting it, and to the holding draft.
func TestConsoleDueUpdateIsOneClickAway(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow API", Visibility: status.VisibilityPublic})
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: consolePassword})
		v := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		loc := incidentURLOf(p.ID, inc.ID)
		require.NotContains(t, br.send(http.MethodGet, "/console/", nil).String(), "Post the update", "nothing is due yet")

		b.clock.Advance(31 * time.Minute)
		dash := br.send(http.MethodGet, "/console/", nil).String()
		require.Contains(t, dash, `<a href="`+loc+`#post-h" class="action">Post the update</a>`)
		page := br.send(http.MethodGet, loc, nil).String()
		start := strings.Index(page, `<header class="incident-head`)
		require.Positive(t, start)
		head := page[start : start+strings.Index(page[start:], "</header>")]
		require.Contains(t, head, `<a href="#post-h" class="action">Post the update</a>`)
		require.Contains(t, head, `<a href="?draft=holding#post-h" class="action">Start from a holding update</a>`)

		vb := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, vb.login(v.Email, consolePassword).Code)
		require.NotContains(t, vb.send(http.MethodGet, "/console/", nil).String(), "Post the update", "viewers post nothing")
	})
}
