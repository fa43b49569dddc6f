package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

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
