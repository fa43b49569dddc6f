package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
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

// Every payload either sets window.__xss or opens a dialog when it runs.
var (
	// xssLine goes into one-line fields (names, titles, authors).
	xssLine = `<script>window.__xss=1</script><img src=x onerror="window.__xss=1">"><svg onload=window.__xss=1>'><img src=x onerror=alert(1)>[x](javascript:window.__xss=1)`

	// xssMarkdown goes into multi-line fields (descriptions, update bodies):
	// raw HTML, Markdown that makes links and images, and mixes of both.
	xssMarkdown = strings.Join([]string{
		`**Bold** _em_ <script>window.__xss=1</script> <b onmouseover="window.__xss=1">hover me</b>`,
		`<img src=x onerror="window.__xss=1"> "><svg onload=window.__xss=1> '><img src=x onerror=alert(1)>`,
		`[click](javascript:window.__xss=1) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) [vb](vbscript:msgbox(1))`,
		`![img](x" onerror="window.__xss=1) ![js](javascript:window.__xss=1) [**bold** <i>link</i>](https://example.com/"><img src=x onerror=alert(1)>)`,
		`<a href="javascript:window.__xss=1">raw link</a> <details open ontoggle=window.__xss=1><summary>s</summary></details>`,
		`<iframe srcdoc="&lt;script&gt;parent.__xss=1&lt;/script&gt;"></iframe> <input autofocus onfocus=window.__xss=1>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>`,
		`<!--<img src="--><img src=x onerror=window.__xss=1>"> <style>*{background:url("javascript:window.__xss=1")}</style>`,
		`javascript:window.__xss=1 www.example.com/"><img/src=x/onerror=window.__xss=1> <javascript:window.__xss=1>`,
		`[ref][r]`,
		``,
		`[r]: javascript:window.__xss=1`,
		``,
		`| <img src=x onerror=window.__xss=1> | [x](javascript:window.__xss=1) |`,
		`|---|---|`,
		`| <svg onload=alert(1)> | <a href=javascript:alert(1)>y</a> |`,
		``,
		"```html",
		`</code></pre><script>window.__xss=1</script>`,
		"```",
		`<scr<script>ipt>window.__xss=1</scr</script>ipt> {{.}} ${window.__xss=1}`,
	}, "\n")

	// xssShown is a payload that each HTML page must show as text: proof
	// that the hostile text reached the page.
	xssShown = `<script>window.__xss=1</script>`
)

// adminAPI calls Herald's admin API with a token.
type adminAPI struct {
	t           *testing.T
	base, token string
}

// do sends body as JSON and returns the decoded answer; it fails the test
// unless the answer is 2xx.
func (c adminAPI) do(method, path string, body any) map[string]any {
	c.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(c.t, err)
	req, err := http.NewRequest(method, c.base+"/api/v1"+path, bytes.NewReader(b))
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer func() { _ = resp.Body.Close() }() // read only
	out, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	require.True(c.t, resp.StatusCode/100 == 2, "%s %s: %d %s", method, path, resp.StatusCode, out)
	var m map[string]any
	require.NoError(c.t, json.Unmarshal(out, &m), "%s %s", method, path)
	return m
}

// hostileIDs are the public things TestNoScriptRunsFromUserText made.
type hostileIDs struct {
	page, incident, resolved, maintenance string
}

// makeHostilePage fills every text field of a page with script payloads
// through the admin API, and waits until the public snapshot has it all.
func makeHostilePage(t *testing.T, a *testApp) hostileIDs {
	t.Helper()
	ctx := context.Background()
	token, _, err := a.svc.Accounts.CreateToken(ctx, "t", status.RoleAdmin)
	require.NoError(t, err)
	api := adminAPI{t: t, base: a.URL, token: token}
	line := func(label string) string {
		s := label + " " + xssLine
		require.LessOrEqual(t, len(s), status.MaxNameLen, label)
		return s
	}
	require.LessOrEqual(t, len(xssMarkdown), status.MaxShortLen)
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

	p := api.do("POST", "/pages", map[string]any{"slug": "hostile", "name": line("Page"), "description": xssMarkdown,
		"time_zone": "Europe/Berlin", "support_email": `x'onmouseover=window.__xss=1'@example.com`,
		"support_url": `https://example.com/"><script>window.__xss=1</script>?q='onmouseover='window.__xss=1`})
	ids := hostileIDs{page: p["id"].(string)}
	pp := "/pages/" + ids.page
	g := api.do("POST", pp+"/groups", map[string]any{"name": line("Group"), "description": xssMarkdown})
	c1 := api.do("POST", pp+"/components", map[string]any{"name": line("Grouped component"), "description": xssMarkdown,
		"group_id": g["id"]})["id"]
	c2 := api.do("POST", pp+"/components", map[string]any{"name": line("Lone component"), "description": xssMarkdown})["id"]

	inc := api.do("POST", pp+"/incidents", map[string]any{"title": line("Active incident"), "severity": "major",
		"visibility": "public", "kind": "analysis", "body": xssMarkdown, "author": line("Author"), "notify": false,
		"components": []map[string]any{{"id": c1, "status": "partial_outage"}}})
	ids.incident = inc["id"].(string)
	api.do("POST", pp+"/incidents/"+ids.incident+"/updates", map[string]any{"state": "mitigating", "kind": "eta",
		"eta": at(time.Hour), "body": xssMarkdown, "author": line("Author"), "notify": false,
		"components": []map[string]any{{"id": c2, "status": "degraded_performance"}}})

	res := api.do("POST", pp+"/incidents", map[string]any{"title": line("Resolved incident"), "severity": "minor",
		"visibility": "public", "started_at": at(-2 * time.Hour), "body": xssMarkdown, "author": line("Author"), "notify": false,
		"components": []map[string]any{{"id": c2, "status": "major_outage"}}})
	ids.resolved = res["id"].(string)
	api.do("POST", pp+"/incidents/"+ids.resolved+"/resolve", map[string]any{"body": xssMarkdown, "author": line("Author"),
		"notify": false, "components": []map[string]any{{"id": c2, "status": "operational"}}})
	api.do("PATCH", pp+"/incidents/"+ids.resolved, map[string]any{"postmortem": xssMarkdown})

	m := api.do("POST", pp+"/maintenances", map[string]any{"title": line("Maintenance"), "description": xssMarkdown,
		"scheduled_for": at(time.Hour), "scheduled_until": at(3 * time.Hour), "components": []any{c1, c2},
		"author": line("Author")})
	ids.maintenance = m["id"].(string)
	api.do("POST", pp+"/maintenances/"+ids.maintenance+"/updates", map[string]any{"body": xssMarkdown, "author": line("Author")})

	require.Eventually(t, func() bool {
		pg, err := a.svc.Pages.ByID(ctx, ids.page)
		sn := a.server.Snapshots().ByID(ids.page)
		return err == nil && sn != nil && sn.Version == pg.Version
	}, 15*time.Second, 20*time.Millisecond, "the public snapshot catches up with the changes")
	return ids
}

// jsProvoke fires the events that inline handlers listen to on every
// element, and focuses each one. It returns how many elements there are.
const jsProvoke = `(() => {
	const types = ['mouseover', 'mouseenter', 'mousemove', 'pointerover', 'pointerenter',
		'focus', 'focusin', 'load', 'error', 'toggle', 'animationstart', 'transitionend'];
	const all = [...document.querySelectorAll('*')];
	for (const el of all) {
		for (const type of types) el.dispatchEvent(new Event(type, {bubbles: true}));
		if (typeof el.focus === 'function') el.focus();
	}
	if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
	return all.length;
})()`

// jsHoverPoints returns the centres of the elements the real mouse moves
// over, in viewport coordinates.
const jsHoverPoints = `[...document.querySelectorAll('.bar:nth-child(-n+2), .bar:nth-last-child(-n+2)'),
	...document.querySelectorAll('a, h1, h2, h3, .name, .desc, .cs, .meta, .body, .body *, .changes li, .update-head')]
	.slice(0, 24).map(el => el.getBoundingClientRect())
	.filter(r => r.width > 0 && r.height > 0 && r.bottom <= innerHeight)
	.map(r => ({X: r.left + r.width / 2, Y: r.top + r.height / 2}))`

// jsFindings lists what user text must never turn into: script elements,
// event handler attributes, script URLs, embedded documents and styles.
const jsFindings = `(() => {
	const out = [], html = document.contentType === 'text/html';
	const all = document.getElementsByTagNameNS('*', '*');
	for (const el of all) {
		const tag = el.localName.toLowerCase();
		// Herald's own subscribe form is the one place inputs belong.
		const ownForm = tag === 'input' && el.closest('form[method="post"][action$="/subscribe"]') !== null;
		if ((['script', 'iframe', 'frame', 'object', 'embed', 'base', 'math', 'input', 'details'].includes(tag) && !ownForm) ||
			(tag === 'svg' && document.documentElement !== el) || (tag === 'style' && el.closest('body'))) {
			out.push('<' + tag + '> element');
		}
		for (const at of el.attributes) {
			const name = at.name.toLowerCase(), value = at.value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
			if (name.startsWith('on')) out.push('<' + tag + ' ' + name + '> attribute');
			// Chromium shows feeds and JSON as text in a <pre style>.
			if ((name === 'style' && html) || name === 'srcdoc') out.push('<' + tag + ' ' + name + '> attribute');
			if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background'].includes(name) &&
				/^(javascript|vbscript|data):/.test(value)) out.push('<' + tag + ' ' + name + '="' + at.value + '">');
		}
	}
	return out;
})()`

// requireNoScriptRan exercises the page in the tab with events, the
// keyboard and the mouse, then fails if any user text ran as script.
func requireNoScriptRan(t *testing.T, tb *tab, where string, shown bool) {
	t.Helper()
	// Images from injected markup would fire onerror once their load fails.
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](`Promise.all([...document.images].map(img =>
		img.complete ? null : new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })))
		.then(() => new Promise(r => setTimeout(r, 50)))`, chromedp.EvalAwaitPromise)), where)

	if shown {
		text := eval[string](t, tb, `document.documentElement.textContent`)
		require.True(t, strings.Contains(text, xssShown), "%s shows the user text, escaped", where)
	}
	require.Greater(t, eval[int](t, tb, jsProvoke), 0, where)
	if eval[bool](t, tb, `document.contentType === 'text/html'`) {
		for range 15 {
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.KeyEvent("\t")), where)
		}
		for _, p := range eval[[]struct{ X, Y float64 }](t, tb, jsHoverPoints) {
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.MouseEvent(chromedp.MouseMoved, p.X, p.Y)), where)
		}
	}
	require.Equal(t, "undefined", eval[string](t, tb, `typeof window.__xss`), "user text ran as script on %s", where)
	require.Empty(t, eval[[]string](t, tb, jsFindings), "user text became active markup on %s", where)
	tb.requireQuiet(t, where)
}

// feedHTML returns the HTML bodies of a feed's entries, as a feed reader
// renders them: Atom content and RSS descriptions.
func feedHTML(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // read only
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	var doc struct {
		Entries []struct {
			Content string `xml:"content"`
		} `xml:"entry"`
		Items []struct {
			Description string `xml:"description"`
		} `xml:"channel>item"`
	}
	require.NoError(t, xml.NewDecoder(resp.Body).Decode(&doc), url)
	var out []string
	for _, e := range doc.Entries {
		out = append(out, e.Content)
	}
	for _, it := range doc.Items {
		out = append(out, it.Description)
	}
	require.NotEmpty(t, out, "%s has entries", url)
	return out
}

func TestNoScriptRunsFromUserText(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	// Each database serves the page under the other root, so both roots
	// are covered too.
	roots := map[string]string{"sqlite": "", "postgres": "/p/hostile"}
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			a := startApp(t, d, false)
			ids := makeHostilePage(t, a)
			base := a.URL + roots[d]
			// The detector is not blind: it sees a dialog.
			probe := newTab(t, browser)
			probe.open(t, base+"/")
			require.NoError(t, chromedp.Do(probe.ctx, chromedp.Evaluate[chromedp.Void](`alert('probe')`)))
			require.Eventually(t, func() bool {
				probe.mu.Lock()
				defer probe.mu.Unlock()
				return len(probe.dialogs) == 1
			}, 5*time.Second, 10*time.Millisecond, "the dialog listener sees alert()")

			tb := newTab(t, browser)
			// A tall window, so that the mouse reaches most of a page
			// without scrolling.
			require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 6000)))
			// The Content-Security-Policy forbids inline script, which would
			// hide an escaping bug. Check that it is sent, then test the
			// escaping without it.
			resp, err := http.Get(base + "/")
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
			require.NotContains(t, resp.Header.Get("Content-Security-Policy"), "unsafe-inline")
			_, err = chromedp.Call(tb.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true})
			require.NoError(t, err)

			for _, p := range []struct {
				path  string
				shown bool // the page shows user text
			}{
				{"/", true},
				{"/incidents/" + ids.incident, true},
				{"/incidents/" + ids.resolved, true},
				{"/maintenance/" + ids.maintenance, true},
				{"/history", true},
				{"/history.atom", false}, // shown as XML source, &lt;script&gt;
				{"/history.rss", false},
				{"/api/v2/summary.json", false}, // JSON escapes < as \u003c
				{"/badge.svg", false},
			} {
				tb.open(t, base+p.path)
				requireNoScriptRan(t, tb, p.path, p.shown)
			}

			// Addresses that carry script themselves: error pages must not
			// echo it.
			for _, path := range []string{
				"/incidents/%3Cscript%3Ewindow.__xss=1%3C%2Fscript%3E",
				"/maintenance/%22%3E%3Csvg%20onload%3Dwindow.__xss%3D1%3E",
				"/history?page=%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E",
				"/nowhere/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
			} {
				_, err := chromedp.RunResponse(tb.ctx, chromedp.Navigate(base+path))
				require.NoError(t, err, path)
				requireNoScriptRan(t, tb, path, false)
			}

			// A feed reader shows the entries' HTML as a page.
			for _, feed := range []string{"/history.atom", "/history.rss"} {
				tb.open(t, base+"/history")
				js, err := json.Marshal(strings.Join(feedHTML(t, base+feed), "<hr>"))
				require.NoError(t, err)
				require.NoError(t, chromedp.Do(tb.ctx, chromedp.Evaluate[chromedp.Void](
					`document.open(); document.write(`+string(js)+`); document.close()`)))
				requireNoScriptRan(t, tb, "the entries of "+feed, false)
			}
		})
	}
}
