package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// phoneWidth is a common phone's viewport width in CSS pixels.
const phoneWidth = 390

// The console is usable on a phone: the dashboard, an incident and the
// declare form fit 390 px with no horizontal scrolling, and the navigation
// collapses into a menu.
func TestConsoleOnAPhoneInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			w := setupFlow(t, startApp(t, d, false))
			acme := statustest.Customer(t, w.a.svc, &statustest.CustomerOpts{Name: "Acme Corporation International",
				Contacts: []status.ContactInput{{Name: "Wile E. Coyote", Email: "wile.e.coyote@acme-corporation-international.example",
					Role: status.ContactPrimary}}})
			inc := statustest.Incident(t, w.a.svc, w.page.ID, &statustest.IncidentOpts{
				Title:    "Logins fail for customers of the EU region after the 10:00 deploy of the authentication service",
				Severity: status.SeverityMajor, Visibility: status.VisibilityPublic, Customers: []string{acme.ID},
				Components: []status.ComponentStatusInput{{ComponentID: w.login.ID, Status: status.MajorOutage}},
				Body:       "We are investigating: https://status.example/a/very/long/link/that/does/not/break/on/its/own/anywhere/at/all"})
			sess := newSession(t, browser)
			tb := signIn(t, sess, w.a.URL, w.casey)
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(phoneWidth, 844)))
			for _, path := range []string{"/console/", w.pageAdmin + "/incidents/" + inc.ID, "/console/incidents/new?page=" + w.page.ID} {
				if path[0] == '/' {
					path = w.a.URL + path
				}
				tb.open(t, path)
				got := eval[struct {
					Scroll, Width int
					Wide          []string
				}](t, tb, `(() => {
					const width = document.documentElement.clientWidth;
					const wide = [];
					// Inside a box that scrolls by itself (a wide table) is
					// fine: the page does not move.
					const inScroller = (el) => {
						for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
							const o = getComputedStyle(a).overflowX;
							if (o === 'auto' || o === 'scroll') return true;
						}
						return false;
					};
					for (const el of document.querySelectorAll('body *')) {
						const r = el.getBoundingClientRect();
						if (r.width > 0 && r.right > width + 1 && getComputedStyle(el).position !== 'fixed' && !inScroller(el)) {
							wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') + ' ' + Math.round(r.right));
						}
					}
					return {Scroll: document.documentElement.scrollWidth, Width: width, Wide: wide.slice(0, 12)};
				})()`)
				require.LessOrEqual(t, got.Scroll, got.Width, "%s scrolls sideways on a phone; too wide: %v", path, got.Wide)
				require.Empty(t, got.Wide, "%s: elements past the right edge", path)
			}
			// The navigation is a menu on a phone: one line, opened on demand.
			tb.open(t, w.a.URL+"/console/")
			navH := eval[float64](t, tb, `document.querySelector('header.top, body > header').getBoundingClientRect().height`)
			require.Less(t, navH, 120.0, "the header with its navigation stays small on a phone")
			navShown := func() bool {
				return eval[bool](t, tb, `getComputedStyle(document.querySelector('#console-nav')).display !== 'none'`)
			}
			require.False(t, navShown(), "the navigation waits behind its menu button")
			screenshot(t, tb, "console-dashboard-phone-"+d+".png")
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(`label[for=nav-toggle]`))))
			require.True(t, navShown(), "the menu button opens the navigation")
			require.LessOrEqual(t, eval[int](t, tb, `document.documentElement.scrollWidth`), phoneWidth, "the open menu fits")
			// On a desktop the navigation is always there, without a button.
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
			tb.open(t, w.a.URL+"/console/")
			require.True(t, navShown())
			require.False(t, eval[bool](t, tb, `getComputedStyle(document.querySelector('label[for=nav-toggle]')).display !== 'none'`))
		})
	}
}
