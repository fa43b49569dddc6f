package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

// A communication manager signs in, declares an incident, posts an update
// and sees it on the public page within 5 seconds, in a real browser.
func TestConsoleInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			a := startApp(t, d, true)
			ctx := context.Background()
			const password = "a long enough password"
			_, err := a.svc.Accounts.CreateUser(ctx, status.UserInput{Email: "cm@example.com", Name: "Casey", Role: status.RoleManager, Password: password})
			require.NoError(t, err)
			tb := newTab(t, browser)
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))

			tb.open(t, a.URL+"/console/")
			require.NoError(t, chromedp.Do(tb.ctx,
				chromedp.WaitVisible(chromedp.CSS("#email")),
				chromedp.SendKeys(chromedp.CSS("#email"), "cm@example.com"),
				chromedp.SendKeys(chromedp.CSS("#password"), password),
				chromedp.Click(chromedp.CSS("form button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS("table.list")),
			))
			dash := text(t, tb, "main")
			require.Contains(t, dash, "Elevated error rates on the Public API", "the demo's open incident is on the dashboard")
			screenshot(t, tb, "console-dashboard-"+d+".png")

			require.NoError(t, chromedp.Do(tb.ctx,
				chromedp.Click(chromedp.CSS("a.button")),
				chromedp.WaitVisible(chromedp.CSS("#title")),
				chromedp.SendKeys(chromedp.CSS("#title"), "Slow logins"),
				chromedp.Click(chromedp.CSS("#sev-major")),
				chromedp.SendKeys(chromedp.CSS("#summary"), "Logins take 20 s."),
				chromedp.SendKeys(chromedp.CSS("#body"), "We are investigating slow logins."),
				chromedp.Click(chromedp.CSS("form.card button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS(".cadence")), // only on the incident page
			))
			require.Contains(t, text(t, tb, ".cadence"), "due in 30 min")
			require.Contains(t, text(t, tb, "h1"), "Slow logins")
			require.Contains(t, text(t, tb, `section[aria-labelledby="record-h"] .record`), "Logins take 20 s.")

			// The live preview shows the Markdown as the public page will.
			require.NoError(t, chromedp.Do(tb.ctx,
				chromedp.SendKeys(chromedp.CSS("#body"), "**Capacity** is being added"),
				chromedp.WaitVisible(chromedp.CSS("#update-preview strong")),
				chromedp.Evaluate[chromedp.Void](`document.querySelector("#body").value = ""`),
			))
			require.Contains(t, text(t, tb, "#audience"), "the public status page")
			require.NoError(t, chromedp.Do(tb.ctx,
				chromedp.SetValue(chromedp.CSS("#kind"), "analysis"),
				chromedp.SetValue(chromedp.CSS("#state"), "mitigating"),
				chromedp.SendKeys(chromedp.CSS("#body"), "The session store is overloaded; adding capacity."),
				chromedp.Click(chromedp.CSS(`form[action$="/updates"] button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(".timeline .tl-state")), // on the page after the post
			))
			tl := text(t, tb, ".timeline")
			require.Contains(t, tl, "State changed from Investigating to Mitigating")
			require.Contains(t, text(t, tb, `section[aria-labelledby="roles"]`), "Casey", "the declarer is incident commander")
			screenshot(t, tb, "console-incident-"+d+".png")
			tb.requireQuiet(t, "the console")

			// The public page shows the update within 5 seconds.
			require.Eventually(t, func() bool {
				resp, err := http.Get(a.URL + "/")
				if err != nil {
					return false
				}
				defer func() { _ = resp.Body.Close() }() // read only
				b, _ := io.ReadAll(resp.Body)
				return strings.Contains(string(b), "The session store is overloaded")
			}, 5*time.Second, 100*time.Millisecond)
		})
	}
}

func text(t *testing.T, tb *tab, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, sel)
	return s
}

func screenshot(t *testing.T, tb *tab, name string) {
	t.Helper()
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(artifactsDir(t), name), png, 0o644))
}
