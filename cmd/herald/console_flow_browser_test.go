package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The console's "done means" (DESIGN.md §1) in a real browser: a
// communication manager runs an incident from declaring it to publishing
// its post-mortem, and each step reaches the public page within 5 seconds.

// publicWithin is how soon a change in the console must show publicly.
const publicWithin = 5 * time.Second

// flowPassword is the password of every user of these tests.
const flowPassword = "a long enough password"

// localLayout is the value format of a datetime-local field.
const localLayout = "2006-01-02T15:04"

// flowWorld is what the tests set up through the service: a page in a time
// zone with a half-hour offset (so a time read as UTC shows), two
// components and Casey, the communication manager who signs in. Each user
// costs an argon2id hash, slow under the race detector: tests add only the
// users they need.
type flowWorld struct {
	a                  *testApp
	page               *status.Page
	loc                *time.Location
	login, checkout    *status.Component
	casey              *status.User
	pubBase, pageAdmin string // /p/<slug>, /console/pages/<id>
}

func setupFlow(t *testing.T, a *testApp) flowWorld {
	t.Helper()
	w := flowWorld{a: a}
	w.page = statustest.Page(t, a.svc, &statustest.PageOpts{Slug: "shop", Name: "Shop", TimeZone: "Asia/Kolkata"})
	w.loc = w.page.Location()
	require.Equal(t, "Asia/Kolkata", w.loc.String())
	w.login = statustest.Component(t, a.svc, w.page.ID, &statustest.ComponentOpts{Name: "Login"})
	w.checkout = statustest.Component(t, a.svc, w.page.ID, &statustest.ComponentOpts{Name: "Checkout API"})
	w.casey = w.user(t, "Casey", status.RoleManager)
	w.pubBase = a.URL + "/p/" + w.page.Slug
	w.pageAdmin = a.URL + "/console/pages/" + w.page.ID
	return w
}

// user adds a console user.
func (w flowWorld) user(t *testing.T, name string, role status.Role) *status.User {
	t.Helper()
	return statustest.User(t, w.a.svc, &statustest.UserOpts{Email: strings.ToLower(name) + "@example.com", Name: name,
		Role: role, Password: flowPassword})
}

// newSession opens a browser context with its own cookies: parallel
// subtests and different users must not share a session cookie (cookies
// ignore the port).
func newSession(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	return ctx
}

// signIn signs in through the login form and requires the dashboard.
func signIn(t *testing.T, sess context.Context, base string, u *status.User) *tab {
	t.Helper()
	tb := newTab(t, sess)
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
	tb.open(t, base+"/console/")
	require.Contains(t, eval[string](t, tb, `location.pathname`), "/console/login", "the console asks to sign in first")
	require.NoError(t, chromedp.Do(tb.ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), u.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), flowPassword)))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/login"] button[type=submit]`))
	require.Equal(t, "/console/", eval[string](t, tb, `location.pathname`))
	require.Equal(t, "Dashboard", text(t, tb, "h1"))
	require.Contains(t, text(t, tb, "main"), "Signed in as "+u.Email+" ("+string(u.Role)+")")
	return tb
}

// submit clicks a form's button, waits for the page the form leads to and
// returns its HTTP status.
func submit(t *testing.T, tb *tab, button string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Click(chromedp.CSS(button)))
	require.NoError(t, err, button)
	return resp.Status
}

// jsq quotes s as a JavaScript string.
func jsq(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// setField sets a form field as typing or choosing would, firing the input
// and change events that the page's scripts listen to. It fails when the
// field refuses the value: an unknown option, a malformed date.
func setField(t *testing.T, tb *tab, sel, value string) {
	t.Helper()
	require.True(t, eval[bool](t, tb, `((el, v) => {
		if (!el) return false;
		el.value = v;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true}));
		return el.value === v;
	})(document.querySelector(`+jsq(sel)+`), `+jsq(value)+`)`), "set %s to %q", sel, value)
}

// textOf is the whitespace-folded text of the first element matching sel,
// shown or not; empty when there is none.
func textOf(t *testing.T, tb *tab, sel string) string {
	t.Helper()
	return eval[string](t, tb, `((el) => el ? el.textContent.replace(/\s+/g, ' ').trim() : '')(document.querySelector(`+jsq(sel)+`))`)
}

// count is how many elements match sel.
func count(t *testing.T, tb *tab, sel string) int {
	t.Helper()
	return eval[int](t, tb, `document.querySelectorAll(`+jsq(sel)+`).length`)
}

// fieldError is the error shown next to a field: in the paragraph that
// holds it or, for a choice, in its fieldset.
func fieldError(t *testing.T, tb *tab, field string) string {
	t.Helper()
	return eval[string](t, tb, `((el) => {
		const e = el && (el.closest('p').querySelector('.field-error') ||
			el.closest('fieldset')?.querySelector(':scope > .field-error'));
		return e ? e.textContent.trim() : '';
	})(document.querySelector(`+jsq(field)+`))`)
}

// updateHead is the head line (state, kind, time) of the customer update
// whose message contains msg, or empty when no update does.
func updateHead(t *testing.T, tb *tab, msg string) string {
	t.Helper()
	return eval[string](t, tb, `((msg) => {
		for (const li of document.querySelectorAll('.updates li.update')) {
			if (li.querySelector('.body').textContent.includes(msg))
				return li.querySelector('.update-head').textContent.replace(/\s+/g, ' ').trim();
		}
		return '';
	})(`+jsq(msg)+`)`)
}

// awaitPage loads url in tb again and again until the JavaScript condition
// holds, and fails if it does not within publicWithin of the call. Each
// load has an address of its own, so that it bypasses the browser cache
// (public pages may be cached 15 s).
func awaitPage(t *testing.T, tb *tab, url, cond, what string) {
	t.Helper()
	deadline := time.Now().Add(publicWithin)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for {
		_, err := chromedp.RunResponse(tb.ctx, chromedp.Navigate(fmt.Sprintf("%s%sreload=%d", url, sep, time.Now().UnixNano())))
		require.NoError(t, err, url)
		if eval[bool](t, tb, cond) {
			return
		}
		if time.Now().After(deadline) {
			require.Failf(t, "not shown in time", "%s: not on %s within %s; the page says:\n%s", what, url, publicWithin, textOf(t, tb, "main"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// awaitUpdate waits until the public incident page shows the update with
// msg, and returns its head line.
func awaitUpdate(t *testing.T, tb *tab, url, msg string) string {
	t.Helper()
	awaitPage(t, tb, url, `[...document.querySelectorAll('.updates li.update .body')].some(b => b.textContent.includes(`+jsq(msg)+`))`, msg)
	return updateHead(t, tb, msg)
}

// awaitSnapshot waits until the public snapshot of the page has every
// change, so that what it does not show is really not public.
func awaitSnapshot(t *testing.T, w flowWorld) {
	t.Helper()
	require.Eventually(t, func() bool {
		pg, err := w.a.svc.PageByID(context.Background(), w.page.ID)
		sn := w.a.server.Snapshots().ByID(w.page.ID)
		return err == nil && sn != nil && sn.Version == pg.Version
	}, publicWithin, 20*time.Millisecond, "the public snapshot catches up")
}

// timeline is the text of the incident's timeline entries.
func timeline(t *testing.T, tb *tab) string {
	t.Helper()
	return eval[string](t, tb, `[...document.querySelectorAll('ol.timeline li')].map(li => li.textContent.replace(/\s+/g, ' ').trim()).join('\n')`)
}

func TestConsoleIncidentFlowInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			w := setupFlow(t, startApp(t, d, false))
			sess := newSession(t, browser)
			f := &incidentFlow{w: w, sess: sess, title: "Logins fail for some customers"}
			// Each step is a subtest, so that its tabs close when it ends;
			// a failed step stops the flow.
			for _, step := range []struct {
				name string
				run  func(*testing.T)
			}{
				{"declare", func(t *testing.T) { f.declare(t, d) }},
				{"roles", f.assignRoles},
				{"updates", f.postUpdates},
				{"countdown", f.watchCountdown},
				{"close", f.close},
				{"postmortem", f.publishPostmortem},
			} {
				if !t.Run(step.name, step.run) {
					return
				}
			}
			t.Logf("%s: the console flow took %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// incidentFlow is one incident run through the console, step by step.
type incidentFlow struct {
	w       flowWorld
	sess    context.Context
	title   string
	console string // the incident's console URL
	public  string // the incident's public URL
}

// consoleTab opens the incident in the console in a new tab: each step
// gets its own, so that no tab outlives its 45-second budget.
func (f *incidentFlow) consoleTab(t *testing.T) *tab {
	t.Helper()
	tb := newTab(t, f.sess)
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
	tb.open(t, f.console)
	return tb
}

// declare signs in, lands on the dashboard and declares the incident
// through the form.
func (f *incidentFlow) declare(t *testing.T, d string) {
	w := f.w
	tb := signIn(t, f.sess, w.a.URL, w.casey)
	require.Equal(t, "No open incidents.", textOf(t, tb, `section[aria-labelledby="open-h"] .none`))
	screenshot(t, tb, "console-dashboard-flow-"+d+".png")

	tb = newTab(t, f.sess) // signing in took much of the first tab's time
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
	tb.open(t, w.a.URL+"/console/")
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `a.button[href="/console/incidents/new"]`))
	require.Equal(t, "Declare an incident", text(t, tb, "h1"))
	require.NoError(t, chromedp.Do(tb.ctx,
		chromedp.SendKeys(chromedp.CSS("#title"), f.title),
		chromedp.Click(chromedp.CSS("#sev-major")),
		chromedp.Click(chromedp.CSS("#vis-public")),
		chromedp.SendKeys(chromedp.CSS("#summary"), "Logins answer 503 since the session store restarted."),
		chromedp.SendKeys(chromedp.CSS("#body"), "We are investigating failing logins."),
	))
	setField(t, tb, "#c-"+w.login.ID, string(status.MajorOutage))
	setField(t, tb, "#c-"+w.checkout.ID, string(status.DegradedPerformance))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/incidents"] button[type=submit]`))

	path := eval[string](t, tb, `location.pathname`)
	m := regexp.MustCompile(`^/console/pages/` + w.page.ID + `/incidents/([^/]+)$`).FindStringSubmatch(path)
	require.NotNil(t, m, "declaring leads to the incident page, not %s", path)
	f.console, f.public = w.a.URL+path, w.pubBase+"/incidents/"+m[1]
	require.Equal(t, f.title, text(t, tb, "h1"))
	meta := textOf(t, tb, ".incident-head .meta")
	for _, want := range []string{"Major", "Investigating", "public", "#incident-"} {
		require.Contains(t, meta, want)
	}
	record := textOf(t, tb, `section[aria-labelledby="record-h"] .record`)
	require.Contains(t, record, "Logins answer 503 since the session store restarted.")
	require.Contains(t, record, "Login (Major outage)")
	require.Contains(t, record, "Checkout API (Degraded performance)")
	require.Contains(t, updateHead(t, tb, "We are investigating failing logins."), "Investigating")
	screenshot(t, tb, "console-incident-flow-"+d+".png")
	tb.requireQuiet(t, "declaring")

	pub := newTab(t, f.sess)
	require.Contains(t, awaitUpdate(t, pub, f.public, "We are investigating failing logins."), "Investigating")
	require.Equal(t, f.title, text(t, pub, "h1"))
	require.Contains(t, textOf(t, pub, ".incident-detail"), "Login")
	require.Contains(t, textOf(t, pub, ".incident-detail"), "Checkout API")
}

// assignRoles hands the incident commander role over and back, assigns a
// communication manager and adds technical help: Dana by the form, Casey
// by joining.
func (f *incidentFlow) assignRoles(t *testing.T) {
	dana := f.w.user(t, "Dana", status.RoleEngineer)
	tb := f.consoleTab(t)
	roles := func() map[string]string {
		return eval[map[string]string](t, tb, `Object.fromEntries([...document.querySelectorAll('section[aria-labelledby="roles"] dl dt')]
			.map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.replace(/\s+/g, ' ').trim()]))`)
	}
	require.Contains(t, roles()["Incident commander"], "Casey", "whoever declares is incident commander")
	assign := func(role string, u *status.User) {
		setField(t, tb, "#assign-role", role)
		setField(t, tb, "#assign-user", u.ID)
		require.Equal(t, int64(http.StatusOK), submit(t, tb, `form.assign button[type=submit]`))
	}
	assign(string(status.RoleCommander), dana)
	require.Contains(t, roles()["Incident commander"], "Dana")
	require.NotContains(t, roles()["Incident commander"], "Casey")

	takeOver := `section[aria-labelledby="roles"] form.inline:has(input[name=role][value=commander]):not(:has(input[name=remove])) button`
	require.Equal(t, "take over", textOf(t, tb, takeOver))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, takeOver))
	assign(string(status.RoleComms), dana)
	assign(string(status.RoleHelp), dana)
	join := `section[aria-labelledby="roles"] form.inline:has(input[name=role][value=help]):not(:has(input[name=remove])) button`
	require.Equal(t, "join", textOf(t, tb, join))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, join))

	got := roles()
	require.Contains(t, got["Incident commander"], "Casey")
	require.NotContains(t, got["Incident commander"], "Dana")
	require.Contains(t, got["Communication manager"], "Dana")
	require.Contains(t, got["Technical help"], "Dana", "technical help has two people")
	require.Contains(t, got["Technical help"], "Casey", "technical help has two people")
	require.Contains(t, got["Technical lead"], "nobody")
	tl := timeline(t, tb)
	for _, want := range []string{
		"Casey: Dana took over as incident commander from Casey.",
		"Casey: Casey took over as incident commander from Dana.",
		"Casey: Dana is now communication manager.",
		"Casey: Dana is now technical help.",
		"Casey: Casey is now technical help.",
	} {
		require.Contains(t, tl, want)
	}
	tb.requireQuiet(t, "assigning roles")
}

// postUpdates posts an update of each kind and sees each on the console
// and, within 5 seconds, on the public incident page.
func (f *incidentFlow) postUpdates(t *testing.T) {
	w := f.w
	eta := time.Now().Add(2 * time.Hour).In(w.loc).Truncate(time.Minute)
	for _, u := range []struct {
		kind, state, body string
		fields            map[string]string
		head              []string // what the update's head line says
	}{
		{kind: "analysis", state: "investigating", body: "Analysis: the session store refuses new connections.",
			head: []string{"Investigating", "Analysis"}},
		{kind: "progress", state: "mitigating", body: "Progress: a second session store is starting.",
			fields: map[string]string{"#u-" + w.login.ID: string(status.PartialOutage)}, head: []string{"Mitigating", "Progress"}},
		{kind: "eta", state: "mitigating", body: "Logins should work again within two hours.",
			fields: map[string]string{"#eta": eta.Format(localLayout)}, head: []string{"Mitigating", "Expected resolution"}},
		{kind: "resolution", state: "observing", body: "Logins go to the standby store for now.",
			fields: map[string]string{"#resolution": "temporary"}, head: []string{"Observing", "Resolution (temporary)"}},
		{kind: "general", state: "observing", body: "We keep watching the login error rate.",
			fields: map[string]string{"#next_update": "15"}, head: []string{"Observing"}},
	} {
		ok := t.Run(u.kind, func(t *testing.T) {
			tb, pub := f.consoleTab(t), newTab(t, f.sess)
			setField(t, tb, "#kind", u.kind)
			setField(t, tb, "#state", u.state)
			for sel, v := range u.fields {
				setField(t, tb, sel, v)
			}
			setField(t, tb, "#body", u.body)
			require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action$="/updates"] button[type=submit]`), u.kind)
			require.Equal(t, f.console, eval[string](t, tb, `location.href`), "%s: back on the incident", u.kind)
			cons := updateHead(t, tb, u.body)
			public := awaitUpdate(t, pub, f.public, u.body)
			for _, want := range u.head {
				require.Contains(t, cons, want, "%s update in the console", u.kind)
				require.Contains(t, public, want, "%s update on the public page", u.kind)
			}
			if u.kind == "general" {
				require.NotRegexp(t, `Analysis|Progress|Expected|Resolution`, public, "a general update has no kind label")
			}
			tb.requireQuiet(t, "posting a "+u.kind+" update")
			pub.requireQuiet(t, "the public incident page")
		})
		if !ok {
			return
		}
	}
	tb, pub := f.consoleTab(t), newTab(t, f.sess)
	pub.open(t, f.public)
	require.Contains(t, textOf(t, tb, ".incident-head .meta"), "Observing")

	// The ETA was read in the page's time zone, and shows in it.
	for _, tab := range []*tab{tb, pub} {
		got := eval[struct{ At, Text string }](t, tab, `(() => {
			const t = document.querySelector('.updates li.update .eta time');
			return t ? {At: t.getAttribute('datetime'), Text: t.textContent} : {};
		})()`)
		require.Equal(t, eta.UTC().Format(time.RFC3339), got.At, "the ETA is the page's local time")
		require.Equal(t, eta.Format("Jan 2, 2006 15:04 MST"), got.Text)
	}
	require.Contains(t, textOf(t, pub, ".updates"), "Login: Major outage → Partial outage", "the component change is public")
	require.Equal(t, "Partial outage", componentNow(t, tb, w.login.ID))
}

// componentNow reads a component's current status from the update form's
// label ("Login (now Partial outage)").
func componentNow(t *testing.T, tb *tab, id string) string {
	t.Helper()
	label := textOf(t, tb, `label[for="u-`+id+`"]`)
	m := regexp.MustCompile(`\(now (.+)\)$`).FindStringSubmatch(label)
	require.NotNil(t, m, label)
	return m[1]
}

// watchCountdown checks the "next customer update" line: rendered by the
// server after the update that promised one in 15 minutes, and kept
// current by countdown.js, which a tab whose clock runs 12 minutes ahead
// shows as due soon.
func (f *incidentFlow) watchCountdown(t *testing.T) {
	tb := f.consoleTab(t)
	cadence := func(tb *tab) (string, string) {
		return textOf(t, tb, ".incident-head .cadence .due-text"), eval[string](t, tb, `document.querySelector('.incident-head .cadence').className`)
	}
	txt, class := cadence(tb)
	require.Regexp(t, `^due in 1[45] min$`, txt)
	require.Contains(t, class, "cadence-on_time")
	require.Contains(t, textOf(t, tb, ".incident-head .cadence"), "Next customer update")

	ahead := newTab(t, f.sess)
	_, err := chromedp.Call(ahead.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `(() => { const now = Date.now; Date.now = () => now.call(Date) + 12 * 60 * 1000; })()`})
	require.NoError(t, err)
	ahead.open(t, f.console)
	txt, class = cadence(ahead)
	require.Regexp(t, `^due in [23] min$`, txt, "countdown.js counts from the browser's clock")
	require.Contains(t, class, "cadence-due_soon")
	require.NotContains(t, class, "cadence-on_time")
	ahead.requireQuiet(t, "the countdown")
}

// close closes the incident by the process: the confirmation is required,
// the post-mortem decision and a draft come first, then the closing
// summary shows and the public page says resolved.
func (f *incidentFlow) close(t *testing.T) {
	tb := f.consoleTab(t)
	openClose := func() {
		if !eval[bool](t, tb, `document.querySelector('details:has(#close-h)').open`) {
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(`details:has(#close-h) > summary`))))
		}
	}
	closeButton := `form[action$="/close"] button[type=submit]`
	openClose()
	require.Equal(t, int64(http.StatusUnprocessableEntity), submit(t, tb, closeButton))
	require.Equal(t, "must say whether the customer or someone internal confirmed", fieldError(t, tb, "#conf-internal"))
	require.NotEmpty(t, fieldError(t, tb, "#confirmed_by"))
	require.NotEmpty(t, fieldError(t, tb, "#message"))

	fill := func() {
		openClose()
		require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#conf-internal"))))
		for sel, v := range map[string]string{
			"#confirmed_by":     "Casey, checking the login graphs",
			"#message":          "Logins work again. We are sorry for the trouble.",
			"#close_resolution": "permanent",
			"#cause":            "The session store ran out of connections after its restart.",
			"#solution":         "Raised the connection limit and added a standby store.",
			"#remaining":        "Alert on the connection count.",
			"#follow_ups":       "https://tickets.example.com/OPS-123",
		} {
			setField(t, tb, sel, v)
		}
	}
	fill()
	require.Equal(t, int64(http.StatusConflict), submit(t, tb, closeButton), "a major incident needs the post-mortem decision")
	require.Contains(t, textOf(t, tb, "details:has(#close-h) .error"), "Record the post-mortem decision before resolving")
	require.Equal(t, "The session store ran out of connections after its restart.", eval[string](t, tb, `document.querySelector('#cause').value`),
		"what was typed is kept")

	// The decision is asked for where the page says it is needed.
	pmYes := `button[name=record][value=postmortem_yes]`
	require.Equal(t, 1, count(t, tb, pmYes), "the decision can be recorded where it is asked for")
	require.Equal(t, int64(http.StatusOK), submit(t, tb, pmYes))
	require.Contains(t, timeline(t, tb), "Casey: Post-mortem decision: a post-mortem will be written.")

	if !eval[bool](t, tb, `document.querySelector('details:has(#postmortem)').open`) {
		require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(`details:has(#postmortem) > summary`))))
	}
	draft := eval[string](t, tb, `document.querySelector('#postmortem-text').value`)
	require.True(t, strings.HasPrefix(draft, "# "+f.title+"\n"), "the post-mortem starts from the record:\n%s", draft)
	require.Contains(t, draft, "We are investigating failing logins.")
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `button[name=action][value=draft]`))
	require.Contains(t, textOf(t, tb, ".pm-state"), "Draft, seen in the console only")
	tb.requireQuiet(t, "the post-mortem decision and draft")

	tb = f.consoleTab(t)
	fill()
	require.Equal(t, int64(http.StatusOK), submit(t, tb, closeButton))
	summary := textOf(t, tb, `section[aria-labelledby="summary-h"]`)
	for _, want := range []string{"Closing summary", "Casey, checking the login graphs (internal)",
		"The session store ran out of connections after its restart.", "Raised the connection limit and added a standby store.",
		"Alert on the connection count.", "https://tickets.example.com/OPS-123"} {
		require.Contains(t, summary, want)
	}
	require.Zero(t, count(t, tb, "#close-h"), "a resolved incident cannot be closed again")
	require.Contains(t, textOf(t, tb, ".incident-head .meta"), "Resolved")
	require.Contains(t, updateHead(t, tb, "Logins work again."), "Resolution (permanent)")

	pub := newTab(t, f.sess)
	head := awaitUpdate(t, pub, f.public, "Logins work again.")
	require.Contains(t, head, "Resolved")
	require.Equal(t, "Resolved", textOf(t, pub, ".incident-detail .meta .state"))
	require.Zero(t, count(t, pub, "section.postmortem"), "a draft post-mortem is not public")
	require.NotContains(t, textOf(t, pub, "main"), "session store ran out", "the cause is internal")
	tb.requireQuiet(t, "closing")
}

// publishPostmortem edits the post-mortem with its live preview and
// publishes it on the public page and API.
func (f *incidentFlow) publishPostmortem(t *testing.T) {
	tb, pub := f.consoleTab(t), newTab(t, f.sess)
	require.True(t, eval[bool](t, tb, `document.querySelector('details:has(#postmortem)').open`), "a drafted post-mortem is open")
	require.True(t, strings.HasPrefix(eval[string](t, tb, `document.querySelector('#postmortem-text').value`), "# "+f.title+"\n"),
		"the saved draft is in the form")
	pm := "# " + f.title + "\n\nThe **session store** ran out of connections.\n\n- Added a standby store\n- Raised the connection limit\n"
	setField(t, tb, "#postmortem-text", pm)
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.WaitVisible(chromedp.CSS("#postmortem-preview strong"))), "the live preview")
	require.Equal(t, "session store", textOf(t, tb, "#postmortem-preview strong"))
	require.Equal(t, 2, count(t, tb, "#postmortem-preview li"))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `button[name=action][value=publish]`))
	require.Contains(t, textOf(t, tb, ".pm-state"), "Published on the public incident page")

	awaitPage(t, pub, f.public, `!!document.querySelector('section.postmortem strong')`, "the post-mortem")
	require.Equal(t, "session store", textOf(t, pub, "section.postmortem strong"))
	require.Equal(t, 2, count(t, pub, "section.postmortem li"))
	require.NotContains(t, textOf(t, pub, "section.postmortem"), "**")
	require.Eventually(t, func() bool {
		resp, err := http.Get(f.w.pubBase + "/api/v2/incidents.json")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var doc struct {
			Incidents []struct{ Name, Status string } `json:"incidents"`
		}
		return json.NewDecoder(resp.Body).Decode(&doc) == nil && len(doc.Incidents) == 1 &&
			doc.Incidents[0].Name == f.title && doc.Incidents[0].Status == "postmortem"
	}, publicWithin, 100*time.Millisecond, "the API reports the post-mortem")
	tb.requireQuiet(t, "publishing the post-mortem")
	pub.requireQuiet(t, "the public post-mortem")
}

// A scheduled update waits in the console until its time on the service's
// clock, then the clock job publishes it.
func TestConsoleScheduledUpdateInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			clock := statustest.NewClock(time.Now().Truncate(time.Minute))
			tick := time.Second
			w := setupFlow(t, startAppWith(t, d, false, appOptions{now: clock.Now, tick: tick}))
			inc := statustest.Incident(t, w.a.svc, w.page.ID, &statustest.IncidentOpts{Title: "Slow checkout", Author: "Casey",
				Components: []status.ComponentStatusInput{{ComponentID: w.checkout.ID, Status: status.DegradedPerformance}}})
			console, public := w.pageAdmin+"/incidents/"+inc.ID, w.pubBase+"/incidents/"+inc.ID
			sess := newSession(t, browser)
			signIn(t, sess, w.a.URL, w.casey)
			tb, pub := newTab(t, sess), newTab(t, sess)
			tb.open(t, console)

			const body = "Checkout is back to normal speed after the cache warm-up."
			at := clock.Now().Add(20 * time.Minute).In(w.loc)
			button := `form[action$="/updates"] button[type=submit]`
			require.Equal(t, "Publish update", textOf(t, tb, button))
			setField(t, tb, "#kind", "progress")
			setField(t, tb, "#body", body)
			setField(t, tb, "#publish_at", at.Format(localLayout))
			require.Equal(t, "Schedule update", textOf(t, tb, button), "preview.js names what the button does")
			setField(t, tb, "#publish_at", "")
			require.Equal(t, "Publish update", textOf(t, tb, button))
			setField(t, tb, "#publish_at", at.Format(localLayout))
			require.Equal(t, int64(http.StatusOK), submit(t, tb, button))

			pending := `ul.scheduled li.scheduled-pending`
			require.Equal(t, "Scheduled updates", textOf(t, tb, "#scheduled-h"))
			require.Contains(t, textOf(t, tb, pending), body)
			require.Contains(t, textOf(t, tb, pending), "pending")
			require.Equal(t, at.UTC().Format(time.RFC3339), eval[string](t, tb, `document.querySelector('`+pending+` time').getAttribute('datetime')`),
				"publish_at is read in the page's time zone")
			require.Empty(t, updateHead(t, tb, body), "not among the customer updates yet")
			require.Contains(t, timeline(t, tb), "Scheduled a progress update for "+at.Format("2 Jan 15:04 MST"))

			// Two ticks pass: a clock job that ignored the time would have
			// published it by now.
			time.Sleep(2*tick + 500*time.Millisecond)
			awaitSnapshot(t, w)
			pub.open(t, public)
			require.NotEmpty(t, updateHead(t, pub, "We are investigating"), "the public page shows the incident")
			require.Empty(t, updateHead(t, pub, body), "a scheduled update is not public before its time")

			clock.Advance(21 * time.Minute)
			require.Contains(t, awaitUpdate(t, pub, public, body), "Progress", "published by the clock job within 5 s")
			tb.open(t, console)
			require.Contains(t, textOf(t, tb, `ul.scheduled li.scheduled-published`), body)
			require.Zero(t, count(t, tb, pending))
			require.Contains(t, updateHead(t, tb, body), "Progress")
			tb.requireQuiet(t, "scheduling an update")
			t.Logf("%s: the scheduled update took %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// hostileTitle would run script, were it not escaped.
const hostileTitle = `Hostile <script>window.__pwned=1</script> <img src=x onerror=window.__pwned=1>`

// requireInert fails if the hostile title ran or became markup, after
// firing the events inline handlers listen to. The tab bypasses the
// Content-Security-Policy, which would hide an escaping bug.
func requireInert(t *testing.T, tb *tab, where string) {
	t.Helper()
	require.Contains(t, eval[string](t, tb, `document.body.textContent`), hostileTitle, "%s shows the title as text", where)
	require.Greater(t, eval[int](t, tb, jsProvoke), 0, where)
	got := eval[struct {
		Pwned          string
		Images, Script int
	}](t, tb, `({Pwned: typeof window.__pwned, Images: document.querySelectorAll('img[src="x"], [onerror]').length,
		Script: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length})`)
	require.Equal(t, "undefined", got.Pwned, "the title ran as script on %s", where)
	require.Zero(t, got.Images, "the title became an image on %s", where)
	require.Zero(t, got.Script, "the title became a script on %s", where)
	tb.requireQuiet(t, where)
}

func TestConsoleBadInputInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			w := setupFlow(t, startApp(t, d, false))
			sess := newSession(t, browser)
			signIn(t, sess, w.a.URL, w.casey)
			var console string // the hostile incident's console URL
			// Each case is a subtest, so that its tabs close when it ends;
			// a failed case stops the others, which build on it.
			for _, c := range []struct {
				name string
				run  func(*testing.T)
			}{
				{"empty title", func(t *testing.T) { declareEmptyTitle(t, w, sess) }},
				{"script in title", func(t *testing.T) { console = declareHostile(t, w, sess) }},
				{"stale form", func(t *testing.T) { postStale(t, sess, console) }},
				{"viewer", func(t *testing.T) { viewIncident(t, w, browser, console) }},
			} {
				if !t.Run(c.name, c.run) {
					return
				}
			}
			t.Logf("%s: the bad input checks took %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// declareEmptyTitle declares without a title: the error shows next to the
// title and everything else typed is kept.
func declareEmptyTitle(t *testing.T, w flowWorld, sess context.Context) {
	tb := newTab(t, sess)
	tb.open(t, w.a.URL+"/console/incidents/new")
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#sev-major"))))
	setField(t, tb, "#c-"+w.login.ID, string(status.PartialOutage))
	setField(t, tb, "#summary", "Some logins fail.")
	setField(t, tb, "#caller", "Pat from Acme")
	setField(t, tb, "#body", "We are looking into failing logins.")
	require.Equal(t, int64(http.StatusUnprocessableEntity), submit(t, tb, `form[action="/console/incidents"] button[type=submit]`))
	require.NotEmpty(t, fieldError(t, tb, "#title"), "the error is next to the title")
	require.Equal(t, 1, count(t, tb, ".field-error"), "only the title is wrong")
	kept := eval[map[string]string](t, tb, `({summary: document.querySelector('#summary').value,
		caller: document.querySelector('#caller').value, body: document.querySelector('#body').value,
		component: document.querySelector('#c-`+w.login.ID+`').value,
		severity: document.querySelector('input[name=severity]:checked').value})`)
	require.Equal(t, map[string]string{"summary": "Some logins fail.", "caller": "Pat from Acme",
		"body": "We are looking into failing logins.", "component": string(status.PartialOutage), "severity": "major"}, kept)
	tb.requireQuiet(t, "the declare form")
}

// declareHostile declares an incident whose title and message are script,
// and checks that they stay text on the console and public pages. It
// returns the incident's console URL.
func declareHostile(t *testing.T, w flowWorld, sess context.Context) string {
	tb, pub := newTab(t, sess), newTab(t, sess)
	for _, tab := range []*tab{tb, pub} {
		_, err := chromedp.Call(tab.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
		require.NoError(t, err)
	}
	tb.open(t, w.a.URL+"/console/incidents/new")
	setField(t, tb, "#title", hostileTitle)
	setField(t, tb, "#body", "Message: "+hostileTitle)
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/incidents"] button[type=submit]`))
	console := w.a.URL + eval[string](t, tb, `location.pathname`)
	public := w.pubBase + "/incidents/" + console[strings.LastIndex(console, "/")+1:]
	require.Equal(t, hostileTitle, eval[string](t, tb, `document.querySelector('h1').textContent`))
	requireInert(t, tb, "the console incident page")
	tb.open(t, w.a.URL+"/console/")
	requireInert(t, tb, "the dashboard")

	awaitUpdate(t, pub, public, "Message: ")
	require.Equal(t, hostileTitle, eval[string](t, pub, `document.querySelector('h1').textContent`))
	requireInert(t, pub, "the public incident page")
	pub.open(t, w.pubBase+"/")
	requireInert(t, pub, "the public status page")
	return console
}

// postStale posts from tab B after tab A changed the incident: B is told
// and keeps its text.
func postStale(t *testing.T, sess context.Context, console string) {
	a, b := newTab(t, sess), newTab(t, sess)
	a.open(t, console)
	b.open(t, console)
	post := `form[action$="/updates"] button[type=submit]`
	setField(t, a, "#body", "Update from tab A.")
	require.Equal(t, int64(http.StatusOK), submit(t, a, post))
	const fromB = "Update from tab B, typed before A posted."
	setField(t, b, "#body", fromB)
	require.Equal(t, int64(http.StatusConflict), submit(t, b, post))
	require.Contains(t, textOf(t, b, `section[aria-labelledby="post-h"] .error`), "Someone else changed this incident meanwhile")
	require.Equal(t, fromB, eval[string](t, b, `document.querySelector('#body').value`), "B's text is kept")
	require.NotEmpty(t, updateHead(t, b, "Update from tab A."), "A's update is there")
	require.Empty(t, updateHead(t, b, fromB), "B's update was not posted")
	b.requireQuiet(t, "the stale form")
}

// viewIncident signs a viewer in: the incident shows, the forms that
// change it do not.
func viewIncident(t *testing.T, w flowWorld, browser context.Context, console string) {
	val := w.user(t, "Val", status.RoleViewer)
	sess := newSession(t, browser)
	v := signIn(t, sess, w.a.URL, val)
	require.Zero(t, count(t, v, `a[href="/console/incidents/new"]`), "a viewer cannot declare")
	v = newTab(t, sess)
	v.open(t, console)
	require.Equal(t, hostileTitle, eval[string](t, v, `document.querySelector('h1').textContent`))
	require.NotEmpty(t, updateHead(t, v, "Update from tab A."))
	require.Zero(t, count(t, v, `#post-h`), "no Post an update section")
	require.Zero(t, count(t, v, `form[action$="/updates"], form[action$="/close"], form.assign`), "no forms that change the incident")
	v.requireQuiet(t, "the viewer's incident page")
}
