package main

import (
	"context"
	"encoding/json"
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
)

// A communication manager runs an incident from declaring it to publishing
// its post-mortem, and each step reaches the public page within 5 seconds.
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
				{"request", f.requestConfirmation},
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
			require.Equal(t, f.console+"?done=update", eval[string](t, tb, `location.href`), "%s: back on the incident", u.kind)
			require.True(t, strings.HasPrefix(textOf(t, tb, ".flash"), "Update published"), "%s: the page says it was published and to whom", u.kind)
			requireFirstScreen(t, tb, ".flash")
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
			"#confirmed_by":        "Casey, checking the login graphs",
			"#confirmation_method": "monitoring",
			"#message":             "Logins work again. We are sorry for the trouble.",
			"#close_resolution":    "permanent",
			"#cause":               "The session store ran out of connections after its restart.",
			"#solution":            "Raised the connection limit and added a standby store.",
			"#remaining":           "Alert on the connection count.",
			"#follow_ups":          "https://tickets.example.com/OPS-123",
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
	// Casey is not in Account Management: she names who decided.
	setField(t, tb, `#decided-by-postmortem_decision`, "Ada Lovelace")
	require.Equal(t, int64(http.StatusOK), submit(t, tb, pmYes))
	require.Contains(t, timeline(t, tb),
		"Casey: Post-mortem decision by Ada Lovelace (Account Management), recorded by Casey: a post-mortem will be written.")

	if !eval[bool](t, tb, `document.querySelector('details:has(#postmortem)').open`) {
		require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(`details:has(#postmortem) > summary`))))
	}
	draft := eval[string](t, tb, `document.querySelector('#postmortem-internal').value`)
	require.True(t, strings.HasPrefix(draft, "# "+f.title+"\n"), "the internal post-mortem starts from the record:\n%s", draft)
	require.Contains(t, draft, "We are investigating failing logins.")
	public := eval[string](t, tb, `document.querySelector('#postmortem-text').value`)
	require.True(t, strings.HasPrefix(public, "## Summary"), "the public post-mortem starts from empty sections:\n%s", public)
	require.NotContains(t, public, "# "+f.title, "and not from the record")
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form:has(#postmortem-internal) button[name=action][value=draft]`))
	require.Contains(t, timeline(t, tb), "Internal post-mortem saved.")
	tb.requireQuiet(t, "the post-mortem decision and draft")

	tb = f.consoleTab(t)
	fill()
	require.Equal(t, int64(http.StatusOK), submit(t, tb, closeButton))
	summary := textOf(t, tb, `section[aria-labelledby="summary-h"]`)
	for _, want := range []string{"Closing summary", "Casey, checking the login graphs (team member, monitoring)",
		"Answered: confirmed by Casey, checking the login graphs",
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
	require.True(t, strings.HasPrefix(eval[string](t, tb, `document.querySelector('#postmortem-internal').value`), "# "+f.title+"\n"),
		"the saved internal post-mortem is in its form")
	pm := "# " + f.title + "\n\nThe **session store** ran out of connections.\n\n- Added a standby store\n- Raised the connection limit\n"
	setField(t, tb, "#postmortem-text", pm)
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.WaitVisible(chromedp.CSS("#postmortem-preview strong"))), "the live preview")
	require.Equal(t, "session store", textOf(t, tb, "#postmortem-preview strong"))
	require.Equal(t, 2, count(t, tb, "#postmortem-preview li"))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form:has(#postmortem-text) button[name=action][value=publish]`))
	require.Contains(t, textOf(t, tb, "#publish-review"), "Exactly this goes public")
	require.Equal(t, "session store", textOf(t, tb, "#publish-review .preview strong"), "the preview shows what goes public")
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `#publish-review button[name=action][value=publish]`))
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
		defer func() { _ = resp.Body.Close() }() // read only
		var doc struct {
			Incidents []struct{ Name, Status string } `json:"incidents"`
		}
		return json.NewDecoder(resp.Body).Decode(&doc) == nil && len(doc.Incidents) == 1 &&
			doc.Incidents[0].Name == f.title && doc.Incidents[0].Status == "postmortem"
	}, publicWithin, 100*time.Millisecond, "the API reports the post-mortem")
	tb.requireQuiet(t, "publishing the post-mortem")
	pub.requireQuiet(t, "the public post-mortem")
}
