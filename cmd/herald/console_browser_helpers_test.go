package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/statustest"
)

// Helpers of the console's "done means" browser tests (DESIGN.md §1).

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
		pg, err := w.a.svc.Pages.ByID(context.Background(), w.page.ID)
		sn := w.a.server.Snapshots().ByID(w.page.ID)
		return err == nil && sn != nil && sn.Version == pg.Version
	}, publicWithin, 20*time.Millisecond, "the public snapshot catches up")
}

// timeline is the text of the incident's timeline entries.
func timeline(t *testing.T, tb *tab) string {
	t.Helper()
	return eval[string](t, tb, `[...document.querySelectorAll('ol.timeline li')].map(li => li.textContent.replace(/\s+/g, ' ').trim()).join('\n')`)
}
