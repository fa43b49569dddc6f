package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status/db/dbtest"
)

// chromiumPath is Debian's Chromium. The tests never download a browser.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts one headless Chromium for the test and returns its
// context; newTab opens tabs in it. The browser ends with the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Chromium at %s: install it with \"apt-get install -y chromium\" (%v)", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The first action starts the browser, tied to its context: so no
	// timeout here.
	require.NoError(t, chromedp.Do(ctx), "start %s", chromiumPath)
	return ctx
}

// tab is a browser tab that records what must never happen in a status
// page: uncaught script errors and JavaScript dialogs.
type tab struct {
	ctx        context.Context
	mu         sync.Mutex
	exceptions []string
	dialogs    []string
}

// newTab opens a tab in the browser that closes with the test.
func newTab(t *testing.T, browser context.Context) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	tb := &tab{ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			tb.mu.Lock()
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.exceptions = append(tb.exceptions, fmt.Sprintf("%s at %s:%d", msg, d.URL, d.LineNumber+1))
			tb.mu.Unlock()
		}
	}))
	// A dialog blocks the page until it is answered, so answer each one.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, fmt.Sprintf("%s(%q) on %s", ev.Type, ev.Message, ev.URL))
			tb.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	ctx, cancelT := context.WithTimeout(ctx, 45*time.Second)
	t.Cleanup(cancelT)
	tb.ctx = ctx
	return tb
}

// requireQuiet fails when a script error or a dialog happened in the tab.
func (tb *tab) requireQuiet(t *testing.T, where string) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	require.Empty(t, tb.dialogs, "JavaScript dialogs on %s", where)
	require.Empty(t, tb.exceptions, "script errors on %s", where)
}

// open navigates to url and requires a 200 answer.
func (tb *tab) open(t *testing.T, url string) {
	t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Navigate(url))
	require.NoError(t, err, url)
	require.NotNil(t, resp, url)
	require.Equal(t, int64(http.StatusOK), resp.Status, url)
}

// eval runs a JavaScript expression in the tab and decodes its value.
func eval[T any](t *testing.T, tb *tab, js string) T {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js))
	require.NoError(t, err, js)
	return v
}

// artifactsDir is where browser tests leave screenshots:
// $HERALD_TEST_ARTIFACTS, or artifacts/ at the repository root.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HERALD_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// jsIsShown is a JavaScript function telling whether an element is
// rendered, has a size and is not hidden by CSS.
const jsIsShown = `(el) => {
	if (!el || !el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) return false;
	const r = el.getBoundingClientRect();
	return r.width > 0 && r.height > 0;
}`

// jsTip is a JavaScript function describing the tooltip of a day bar.
const jsTip = `(bar) => {
	const tip = bar.querySelector('.tip');
	const r = tip.getBoundingClientRect();
	return {display: getComputedStyle(tip).display, left: r.left, right: r.right,
		text: tip.innerText, vw: document.documentElement.clientWidth};
}`

type tipState struct {
	Display string  `json:"display"`
	Left    float64 `json:"left"`
	Right   float64 `json:"right"`
	Text    string  `json:"text"`
	VW      float64 `json:"vw"`
}

// requireTipShown checks that a bar's tooltip is displayed, names a day
// and fits into the viewport.
func requireTipShown(t *testing.T, tip tipState, how string) {
	t.Helper()
	require.NotEqual(t, "none", tip.Display, "the tooltip shows on %s", how)
	require.Regexp(t, `\d{4}.*(uptime|No data)`, tip.Text, "tooltip text on %s", how)
	require.GreaterOrEqual(t, tip.Left, 0.0, "the tooltip on %s starts inside the viewport: %+v", how, tip)
	require.LessOrEqual(t, tip.Right, tip.VW, "the tooltip on %s ends inside the viewport: %+v", how, tip)
}

func TestStatusPageInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	artifacts := artifactsDir(t)
	viewports := []struct {
		name          string
		width, height int64
		mobile        bool
	}{
		{"desktop", 1280, 900, false},
		{"phone", 360, 740, true},
	}
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, d, true)
			overall := overallDescription(t, a.URL)
			for _, vp := range viewports {
				t.Run(vp.name, func(t *testing.T) {
					tb := newTab(t, browser)
					emulate := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
					if vp.mobile {
						emulate = []chromedp.EmulateViewportOption{chromedp.EmulateScale(2), chromedp.EmulateMobile}
					}
					require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(vp.width, vp.height, emulate...)))
					tb.open(t, a.URL+"/")

					require.NoError(t, chromedp.Do(tb.ctx, chromedp.WaitVisible(chromedp.CSS(".banner h1"))))
					banner, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(".banner h1")))
					require.NoError(t, err)
					require.Contains(t, banner, overall, "the banner shows the overall status")

					require.True(t, eval[bool](t, tb, `(() => {
						const shown = `+jsIsShown+`;
						return [...document.querySelectorAll('section[aria-labelledby="active-h"] .incident h3 a')]
							.some(a => a.textContent.trim() === 'Elevated error rates on the Public API' && shown(a));
					})()`), "the active incident's title is visible")

					require.True(t, eval[bool](t, tb, `(() => {
						const shown = `+jsIsShown+`;
						return [...document.querySelectorAll('.component')].some(c =>
							c.querySelector('.name').textContent.trim() === 'Public API' &&
							c.querySelector('.component-head .cs').textContent.trim() === 'Partial outage' &&
							shown(c.querySelector('.component-head .cs')));
					})()`), `"Public API" shows "Partial outage"`)

					gap := eval[float64](t, tb, `document.querySelector('.banner').getBoundingClientRect().top -
						document.querySelector('header.site').getBoundingClientRect().bottom`)
					require.GreaterOrEqual(t, gap, 8.0, "the banner keeps its distance from the header")

					require.Equal(t, "none", eval[tipState](t, tb, `(`+jsTip+`)(document.querySelector('.bars .bar:last-child'))`).Display,
						"tooltips are hidden until a bar is hovered or focused")

					// Keyboard: Tab from the top until a day bar has focus.
					focused := false
					for i := 0; i < 80 && !focused; i++ {
						require.NoError(t, chromedp.Do(tb.ctx, chromedp.KeyEvent(kb.Tab)))
						focused = eval[bool](t, tb, `document.activeElement.classList.contains('bar')`)
					}
					require.True(t, focused, "Tab reaches a day bar")
					requireTipShown(t, eval[tipState](t, tb, `(`+jsTip+`)(document.activeElement)`), "keyboard focus")
					require.NoError(t, chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`)))

					// Mouse: hover today's bar of the first component.
					pos := eval[struct{ X, Y float64 }](t, tb, `(() => {
						const el = document.querySelector('.bars .bar:last-child');
						el.scrollIntoView({block: 'center'});
						const r = el.getBoundingClientRect();
						return {X: r.left + r.width / 2, Y: r.top + r.height / 2};
					})()`)
					require.NoError(t, chromedp.Do(tb.ctx, chromedp.MouseEvent(chromedp.MouseMoved, pos.X, pos.Y)))
					requireTipShown(t, eval[tipState](t, tb, `(`+jsTip+`)(document.querySelector('.bars .bar:last-child'))`), "hover")
					require.NoError(t, chromedp.Do(tb.ctx, chromedp.MouseEvent(chromedp.MouseMoved, 0, 0)))

					scrollWidth := eval[int64](t, tb, `document.documentElement.scrollWidth`)
					require.LessOrEqual(t, scrollWidth, vp.width, "no horizontal scrollbar at %d px", vp.width)

					require.NoError(t, chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)))
					png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
					require.NoError(t, err)
					name := filepath.Join(artifacts, fmt.Sprintf("status-%s-%s.png", vp.name, d))
					require.NoError(t, os.WriteFile(name, png, 0o644))
					t.Logf("screenshot: %s", name)
					tb.requireQuiet(t, "the status page")
				})
			}
		})
	}
}

// overallDescription reads the page's overall status from the public API.
func overallDescription(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/status.json")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // read only
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var doc struct {
		Status struct {
			Description string `json:"description"`
		} `json:"status"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	require.NotEmpty(t, doc.Status.Description)
	return doc.Status.Description
}
