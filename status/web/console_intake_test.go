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

func init() {
	allowConsole(map[string]string{
		"GET /console/inbox":              "signed-in",
		"GET /console/inbox/phone":        "writer",
		"POST /console/inbox/phone":       "writer",
		"GET /console/inbox/:id":          "signed-in",
		"POST /console/inbox/:id/attach":  "writer",
		"POST /console/inbox/:id/dismiss": "writer",
	})
}

// regexpOlder finds the inbox's Older link.
var regexpOlder = regexp.MustCompile(`href="/console/inbox\?before=([^&"]+)`)

// intakeItem puts an item in the inbox.
func intakeItem(t *testing.T, b *testBundle, in status.IntakeInput) *status.IntakeItem {
	t.Helper()
	if in.Source == "" {
		in.Source = status.IntakeEmail
	}
	item, created, err := b.svc.Intake.Create(b.ctx, in)
	require.NoError(t, err)
	require.True(t, created)
	return item
}

func TestConsoleInboxListAndItem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		cu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com"},
			Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.com", Role: status.ContactPrimary}}})
		byContact := intakeItem(t, b, status.IntakeInput{Title: "API down " + customerScript, SenderName: "Wile",
			SenderEmail: "wile@acme.com", Body: "It fails.\n<b>bold</b> " + customerScript})
		b.clock.Advance(time.Second)
		byDomain := intakeItem(t, b, status.IntakeInput{Title: "Slow pages", SenderEmail: "ops@acme.com", UnverifiedThread: true})
		b.clock.Advance(time.Second)
		stranger := intakeItem(t, b, status.IntakeInput{Source: status.IntakePortal, Title: "Hello", SenderEmail: "x@elsewhere.example",
			Reference: "T-42"})

		br := customerBrowser(t, b, status.RoleViewer)
		list := br.send(http.MethodGet, "/console/inbox", nil)
		require.Equal(t, http.StatusOK, list.Code)
		body := list.String()
		require.NotContains(t, body, "<script>alert")
		require.Contains(t, body, "API down &lt;script&gt;alert(1)&lt;/script&gt;")
		require.Contains(t, body, `href="/console/inbox"`, "the nav links the inbox")
		require.Contains(t, body, "3 open")
		require.NotContains(t, body, "Record a phone call", "viewers record nothing")
		require.Contains(t, body, "unknown sender")
		require.Contains(t, body, "matched by domain")
		require.Contains(t, body, "unverified thread")
		require.Contains(t, body, "Portal ticket")
		// Newest first.
		first := strings.Index(body, "/console/inbox/"+stranger.ID)
		second := strings.Index(body, "/console/inbox/"+byDomain.ID)
		third := strings.Index(body, "/console/inbox/"+byContact.ID)
		require.True(t, first > 0 && first < second && second < third, "newest first")
		require.Equal(t, 1, strings.Count(body, `>unknown sender<`))

		item := br.send(http.MethodGet, "/console/inbox/"+byContact.ID, nil)
		require.Equal(t, http.StatusOK, item.Code)
		body = item.String()
		require.NotContains(t, body, "<script>alert")
		require.NotContains(t, body, "<b>bold</b>", "the body is text, never HTML")
		require.Contains(t, body, "&lt;b&gt;bold&lt;/b&gt;")
		require.Contains(t, body, `<pre class="email-text">It fails.`)
		require.Contains(t, body, `href="/console/customers/`+cu.ID+`">Acme</a>`)
		require.Contains(t, body, "matched by contact address")
		require.NotContains(t, body, "/attach", "viewers get no decision forms")
		require.NotContains(t, body, "/dismiss")

		item = br.send(http.MethodGet, "/console/inbox/"+byDomain.ID, nil)
		require.Contains(t, item.String(), "matched by email domain")
		require.Contains(t, item.String(), "was not attached to that incident automatically")
		item = br.send(http.MethodGet, "/console/inbox/"+stranger.ID, nil)
		require.Contains(t, item.String(), "unknown sender")
		require.Contains(t, item.String(), "<code>T-42</code>")

		for _, path := range []string{"/console/inbox/" + status.NewID(), "/console/inbox/not-an-id", "/console/inbox/%00",
			"/console/inbox?before=" + status.NewID(), "/console/inbox?before=..%2f"} {
			require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, path, nil).Code, path)
		}

		// The state filter and paging.
		_, err := b.svc.Intake.Dismiss(b.ctx, stranger.ID, "")
		require.NoError(t, err)
		list = br.send(http.MethodGet, "/console/inbox", nil)
		require.NotContains(t, list.String(), stranger.ID)
		list = br.send(http.MethodGet, "/console/inbox?state=dismissed", nil)
		require.Contains(t, list.String(), stranger.ID)
		require.NotContains(t, list.String(), byDomain.ID)
		list = br.send(http.MethodGet, "/console/inbox?state=all", nil)
		require.Contains(t, list.String(), stranger.ID)
		require.Contains(t, list.String(), byDomain.ID)
		list = br.send(http.MethodGet, "/console/inbox?state=bogus", nil)
		require.Equal(t, http.StatusOK, list.Code, "an unknown state shows open items")
		require.NotContains(t, list.String(), stranger.ID)

		for i := range 50 {
			b.clock.Advance(time.Second)
			intakeItem(t, b, status.IntakeInput{Title: "Spam " + string(rune('a'+i%26)), SenderEmail: "x@spam.example"})
		}
		list = br.send(http.MethodGet, "/console/inbox", nil)
		require.NotContains(t, list.String(), byContact.ID, "50 a page")
		m := regexpOlder.FindStringSubmatch(list.String())
		require.NotNil(t, m, "an Older link")
		older := br.send(http.MethodGet, "/console/inbox?before="+m[1]+"&state=open", nil)
		require.Equal(t, http.StatusOK, older.Code)
		require.Contains(t, older.String(), byContact.ID)
		require.Contains(t, older.String(), byDomain.ID)
	})
}

// An item naming an affected component suggests that incident, after
// those affecting the sender's customer; a name inside a longer word does
// not count.
func TestConsoleIntakeSuggestsByComponent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		web := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Web"})
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Unrelated trouble"})
		b.clock.Advance(time.Second)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Website slow",
			Components: []status.ComponentStatusInput{{ComponentID: web.ID, Status: status.DegradedPerformance}}})
		b.clock.Advance(time.Second)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "API errors",
			Components: []status.ComponentStatusInput{{ComponentID: api.ID, Status: status.MajorOutage}}})
		item := intakeItem(t, b, status.IntakeInput{Title: "Is the api down?", SenderEmail: "x@elsewhere.example",
			Body: "Our webhooks fail."})
		br := customerBrowser(t, b, status.RoleEngineer)
		body := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil).String()
		require.Contains(t, body, "API errors · "+p.Name+" · names API")
		require.NotContains(t, body, "names Web", "webhooks is not Web")
		requireIndexOrder(t, body, "API errors · ", "Unrelated trouble · ")
	})
}

func TestConsoleIntakeAttach(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		cu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com"}})
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Unrelated trouble"})
		b.clock.Advance(time.Second)
		mine := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Acme trouble", Customers: []string{cu.ID}})
		item := intakeItem(t, b, status.IntakeInput{Title: "Errors for us", SenderName: "Ann", SenderEmail: "ann@acme.com",
			Body: "Since 9:00 every call fails."})

		br := customerBrowser(t, b, status.RoleEngineer)
		page := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Equal(t, http.StatusOK, page.Code)
		body := page.String()
		require.Contains(t, body, "Acme trouble · "+p.Name+" · affects this customer")
		require.Less(t, strings.Index(body, "Acme trouble"), strings.Index(body, "Unrelated trouble"), "the customer's incidents first")
		require.NotContains(t, body, "Unrelated trouble · "+p.Name+" · affects")
		require.Contains(t, body, "/console/incidents/new?page="+p.ID+"&amp;intake="+item.ID)
		tok := csrfOf(t, page)

		// A malformed or unknown choice shows the form again.
		for _, v := range []string{"", "nonsense", p.ID + "/" + status.NewID(), status.NewID() + "/" + other.ID} {
			r := br.send(http.MethodPost, "/console/inbox/"+item.ID+"/attach", url.Values{"_csrf": {tok}, "incident": {v}})
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, v)
			require.Contains(t, r.String(), `class="field-error"`, v)
		}
		// A resolved incident is refused beside the choice.
		gone := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Old trouble"})
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, gone.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		r := br.send(http.MethodPost, "/console/inbox/"+item.ID+"/attach", url.Values{"_csrf": {tok}, "incident": {p.ID + "/" + gone.ID}})
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), "That incident is resolved")
		require.Contains(t, r.String(), `class="field-error"`)

		// An unknown item is 404.
		r = br.send(http.MethodPost, "/console/inbox/"+status.NewID()+"/attach", url.Values{"_csrf": {tok}, "incident": {p.ID + "/" + mine.ID}})
		require.Equal(t, http.StatusNotFound, r.Code)

		r = br.send(http.MethodPost, "/console/inbox/"+item.ID+"/attach", url.Values{"_csrf": {tok}, "incident": {p.ID + "/" + mine.ID}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, incidentURLOf(p.ID, mine.ID)+"#timeline", r.Header.Get("Location"))
		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, mine.ID)
		require.NoError(t, err)
		found := false
		for _, e := range tl {
			if strings.Contains(e.Text(), "Since 9:00 every call fails.") && e.Ref == item.ID {
				found = true
			}
		}
		require.True(t, found, "the item's text is on the timeline")
		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeAttached, got.State)
		require.Equal(t, p.ID, got.PageID)
		require.Equal(t, mine.ID, got.IncidentID)
		require.NotEmpty(t, got.DecidedBy)

		// The decided item shows where it went, without forms.
		page = br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Contains(t, page.String(), `href="/console/pages/`+p.ID+`/incidents/`+mine.ID+`"><bdi>Acme trouble</bdi></a>`)
		require.NotContains(t, page.String(), "/attach")

		// Deciding again is a conflict.
		r = br.send(http.MethodPost, "/console/inbox/"+item.ID+"/attach", url.Values{"_csrf": {tok}, "incident": {p.ID + "/" + other.ID}})
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), "This item was attached already.")
		r = br.send(http.MethodPost, "/console/inbox/"+item.ID+"/dismiss", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusConflict, r.Code)
	})
}

func TestConsoleIntakeDismiss(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		item := intakeItem(t, b, status.IntakeInput{Title: "Invoice question", SenderEmail: "x@elsewhere.example"})
		br := customerBrowser(t, b, status.RoleManager)
		page := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		tok := csrfOf(t, page)
		require.Contains(t, page.String(), "No incident is open.")

		r := br.send(http.MethodPost, "/console/inbox/"+item.ID+"/dismiss", url.Values{"_csrf": {tok}, "note": {strings.Repeat("n", 2001)}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), `class="field-error"`)
		require.Contains(t, r.String(), strings.Repeat("n", 2001)+"</textarea>", "what was typed is kept")

		r = br.send(http.MethodPost, "/console/inbox/"+item.ID+"/dismiss", url.Values{"_csrf": {tok}, "note": {"Forwarded to billing."}})
		require.Equal(t, http.StatusOK, r.Code, "asked first")
		require.Contains(t, r.String(), "Close as not an incident?")
		r = br.send(http.MethodPost, "/console/inbox/"+item.ID+"/dismiss", url.Values{"_csrf": {tok}, "note": {"Forwarded to billing."},
			"confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, "/console/inbox/"+item.ID+"?dismissed=1", r.Header.Get("Location"))
		shown := br.send(http.MethodGet, r.Header.Get("Location"), nil)
		require.Contains(t, shown.String(), "Closed as not an incident. Nothing was forwarded.")
		list := br.send(http.MethodGet, "/console/inbox", nil)
		require.NotContains(t, list.String(), item.ID)

		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeDismissed, got.State)
		require.Equal(t, "Forwarded to billing.", got.Note)
		page = br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Contains(t, page.String(), "Forwarded to billing.")
		require.Contains(t, page.String(), "dismissed by ")

		r = br.send(http.MethodPost, "/console/inbox/"+status.NewID()+"/dismiss", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusNotFound, r.Code)
	})
}

func TestConsoleIntakeDeclare(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		cu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.com"}})
		p := statustest.Page(t, b.svc, nil)
		p2 := statustest.Page(t, b.svc, nil)
		item := intakeItem(t, b, status.IntakeInput{Source: status.IntakePortal, Title: "Checkout broken " + customerScript,
			SenderName: "Ann", SenderEmail: "ann@acme.com", Body: "Every order fails.", Reference: "T-7"})

		br := customerBrowser(t, b, status.RoleEngineer)
		page := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		body := page.String()
		require.Contains(t, body, `<form method="get" action="/console/incidents/new">`, "two pages: a choice")
		require.Contains(t, body, `<option value="`+p2.ID+`">`)

		form := br.send(http.MethodGet, "/console/incidents/new?page="+p.ID+"&intake="+item.ID, nil)
		require.Equal(t, http.StatusOK, form.Code)
		body = form.String()
		require.Contains(t, body, `name="intake" value="`+item.ID+`"`)
		require.Contains(t, body, `value="Checkout broken &lt;script&gt;alert(1)&lt;/script&gt;"`)
		require.NotContains(t, body, "<script>alert")
		require.Contains(t, body, "Every order fails.</textarea>")
		require.Contains(t, body, `<option value="ticket" selected>`)
		require.Contains(t, body, `value="T-7"`)
		require.Contains(t, body, `value="Ann (ann@acme.com)"`)
		require.Contains(t, body, `value="`+cu.ID+`" checked`)

		tok := csrfOf(t, form)
		r := br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {tok}, "page": {p.ID}, "intake": {item.ID},
			"title": {"Checkout broken"}, "severity": {"major"}, "visibility": {"customers"}, "customer": {cu.ID},
			"body": {"We are looking into failing orders."}, "next_update": {"30"}, "source": {"ticket"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		m := incidentLocation.FindStringSubmatch(r.Header.Get("Location"))
		require.NotNil(t, m)
		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeDeclared, got.State)
		require.Equal(t, m[2], got.IncidentID)
		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, m[2])
		require.NoError(t, err)
		found := false
		for _, e := range tl {
			found = found || strings.Contains(e.Text(), "Every order fails.")
		}
		require.True(t, found, "the item's text is on the new timeline")
		itemPage := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Contains(t, itemPage.String(), "declared by ")
		require.Contains(t, itemPage.String(), "/console/pages/"+p.ID+"/incidents/"+m[2])

		// A decided item fills nothing; declaring from it again is a conflict.
		form = br.send(http.MethodGet, "/console/incidents/new?page="+p.ID+"&intake="+item.ID, nil)
		require.Equal(t, http.StatusOK, form.Code)
		require.Contains(t, form.String(), "was declared already")
		require.NotContains(t, form.String(), `name="intake"`)
		require.NotContains(t, form.String(), "Every order fails.")
		form = br.send(http.MethodGet, "/console/incidents/new?page="+p.ID+"&intake=nonsense", nil)
		require.Equal(t, http.StatusOK, form.Code)
		require.Contains(t, form.String(), "no such inbox item")
		r = br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {tok}, "page": {p.ID}, "intake": {item.ID},
			"title": {"Again"}, "severity": {"minor"}, "visibility": {"internal"}, "body": {"Again."}, "next_update": {"30"}})
		require.Equal(t, http.StatusConflict, r.Code)
		open := true
		incs, err := b.svc.Incidents.List(b.ctx, status.IncidentFilter{PageID: p.ID, Open: &open})
		require.NoError(t, err)
		require.Len(t, incs, 1, "nothing declared twice")
	})
}

func TestConsoleIntakePhone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Name: "Erin", Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		list := br.send(http.MethodGet, "/console/inbox", nil)
		require.Contains(t, list.String(), `href="/console/inbox/phone"`)
		page := br.send(http.MethodGet, "/console/inbox/phone", nil)
		require.Equal(t, http.StatusOK, page.Code)
		tok := csrfOf(t, page)
		valid := func() url.Values {
			return url.Values{"_csrf": {tok}, "sender_name": {"Wile"}, "sender_phone": {"+1 555 0100"},
				"title": {"Cannot log in"}, "body": {"Since 9:00.\nTried two browsers."}}
		}

		cases := []struct {
			name  string
			edit  func(url.Values)
			code  int
			wants []string
		}{
			{"empty title", func(f url.Values) { f.Set("title", "  ") }, 422, []string{"is required", `value="Wile"`}},
			{"no name and no number", func(f url.Values) { f.Set("sender_name", ""); f.Set("sender_phone", "") }, 422,
				[]string{"say who called, or the number", `value="Cannot log in"`}},
			{"10 000-character title", func(f url.Values) { f.Set("title", strings.Repeat("t", 10000)) }, 422, []string{"is too long"}},
			{"notes over 32 KiB", func(f url.Values) { f.Set("body", strings.Repeat("n", 40000)) }, 422,
				[]string{"is too long", strings.Repeat("n", 40000) + "</textarea>"}},
			{"NUL in the name", func(f url.Values) { f.Set("sender_name", "Wi\x00le") }, 422, []string{"control characters"}},
			{"script in every field", func(f url.Values) {
				f.Set("sender_name", customerScript)
				f.Set("sender_phone", strings.Repeat("9", 65)+customerScript)
				f.Set("body", customerScript)
			}, 422, []string{"&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"}},
		}
		for _, tc := range cases {
			form := valid()
			tc.edit(form)
			r := br.send(http.MethodPost, "/console/inbox/phone", form)
			require.Equal(t, tc.code, r.Code, "%s: %s", tc.name, r)
			require.Contains(t, r.String(), `class="field-error"`, tc.name)
			require.NotContains(t, r.String(), "<script>alert", tc.name)
			for _, w := range tc.wants {
				require.Contains(t, r.String(), w, tc.name)
			}
		}
		// Forged or missing CSRF tokens are refused.
		for _, forged := range []string{"forged", ""} {
			f := valid()
			f.Set("_csrf", forged)
			require.Equal(t, http.StatusForbidden, br.send(http.MethodPost, "/console/inbox/phone", f).Code)
		}
		items, err := b.svc.Intake.Items(b.ctx, status.IntakeFilter{})
		require.NoError(t, err)
		require.Empty(t, items, "nothing was stored")

		// Ten thousand characters of notes are a long call, not an error.
		f := valid()
		f.Set("body", strings.Repeat("n", 10000))
		r := br.send(http.MethodPost, "/console/inbox/phone", f)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		items, err = b.svc.Intake.Items(b.ctx, status.IntakeFilter{})
		require.NoError(t, err)
		require.Len(t, items, 1)
		item := items[0]
		require.Equal(t, "/console/inbox/"+item.ID+"?recorded=1", r.Header.Get("Location"))
		require.Equal(t, status.IntakePhone, item.Source)
		require.Equal(t, "Erin", item.RecordedBy)
		require.Equal(t, "+1 555 0100", item.SenderPhone)
		shown := br.send(http.MethodGet, r.Header.Get("Location"), nil)
		require.Equal(t, http.StatusOK, shown.Code)
		require.Contains(t, shown.String(), "The call was recorded.")
		require.Contains(t, shown.String(), "recorded by Erin")
		require.Contains(t, shown.String(), "Phone call")
	})
}

func TestConsoleIntakeAccess(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		item := intakeItem(t, b, status.IntakeInput{Title: "Help", SenderEmail: "x@elsewhere.example"})

		viewer := customerBrowser(t, b, status.RoleViewer)
		page := viewer.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Equal(t, http.StatusOK, page.Code)
		require.Contains(t, page.String(), "Help")
		tok := csrfOf(t, page) // the sign-out form's
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodPost, "/console/inbox/"+item.ID+"/attach",
			url.Values{"_csrf": {tok}, "incident": {p.ID + "/" + inc.ID}}).Code)
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodPost, "/console/inbox/"+item.ID+"/dismiss",
			url.Values{"_csrf": {tok}}).Code)
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodGet, "/console/inbox/phone", nil).Code)
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodPost, "/console/inbox/phone",
			url.Values{"_csrf": {tok}, "sender_name": {"V"}, "title": {"T"}}).Code)

		// A writer's forms without the right token are refused too.
		eng := customerBrowser(t, b, status.RoleEngineer)
		for _, forged := range []url.Values{{"_csrf": {"forged"}}, {}, {"_csrf": {tok}}} {
			forged.Set("incident", p.ID+"/"+inc.ID)
			require.Equal(t, http.StatusForbidden, eng.send(http.MethodPost, "/console/inbox/"+item.ID+"/attach", forged).Code)
			require.Equal(t, http.StatusForbidden, eng.send(http.MethodPost, "/console/inbox/"+item.ID+"/dismiss", forged).Code)
		}
		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, got.State, "nothing was decided")

		anon := newBrowser(t, b)
		r := anon.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Contains(t, r.Header.Get("Location"), "/console/login")
	})
}
