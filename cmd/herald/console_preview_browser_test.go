package main

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Console → Email shows an incident email as its recipient sees it, in a
// real browser: the email page's frame loads the preview (the console's
// policy allows framing its own origin, nothing more), and the preview's
// inline styles apply under its own policy while its scripts do not run.
func TestEmailPreviewStyledInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := startAppWith(t, d, false, appOptions{tick: time.Second})
			emailContact(t, a) // no SMTP: the dev outbox keeps it
			var es []*comms.Email
			require.Eventually(t, func() bool {
				var err error
				es, err = a.outbox.Emails(t.Context(), comms.EmailFilter{})
				return err == nil && len(es) == 1
			}, 30*time.Second, 100*time.Millisecond, "the incident email is in the dev outbox")
			require.Contains(t, es[0].HTML, `style="`, "Herald's emails carry inline styles")

			u := statustest.User(t, a.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: flowPassword})
			tb := signIn(t, newSession(t, browser), a.URL, u)
			preview := a.URL + "/console/outbox/" + es[0].ID + "/html"
			tb.open(t, a.URL+"/console/outbox/"+es[0].ID)
			// The sandboxed frame runs out of process (an opaque origin): it is
			// a target of its own, loaded with the preview's address.
			var frame *target.Info
			require.Eventually(t, func() bool {
				ts, err := chromedp.CallBrowser(tb.ctx, target.GetTargets, target.GetTargetsParams{})
				if err != nil {
					return false
				}
				for _, ti := range ts.TargetInfos {
					if ti.Type == "iframe" && ti.URL == preview {
						frame = ti
					}
				}
				return frame != nil
			}, 10*time.Second, 50*time.Millisecond, "the email page's frame loaded the preview (not blocked by the console's policy)")
			require.Equal(t, "The HTML part of this email", eval[string](t, tb, `document.querySelector("iframe.email-html").title`))
			require.Equal(t, "", eval[string](t, tb, `document.querySelector("iframe.email-html").getAttribute("sandbox")`),
				"sandboxed with no allowances")

			tb.open(t, preview)
			require.Equal(t, "640px", eval[string](t, tb, `getComputedStyle(document.body).maxWidth`), "the body's inline style applies")
			require.Contains(t, eval[string](t, tb, `getComputedStyle(document.body).fontFamily`), "system-ui")
			require.Equal(t, "20.8px", eval[string](t, tb, `getComputedStyle(document.querySelector("h1")).fontSize`), "1.3rem, not the default 2em")
			require.Equal(t, "rgb(91, 101, 119)", eval[string](t, tb, `getComputedStyle(document.querySelector("p")).color`))
			tb.requireQuiet(t, "the email preview")
		})
	}
}
