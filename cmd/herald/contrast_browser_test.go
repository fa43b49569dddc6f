package main

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status/db/dbtest"
)

// jsButtonContrast is a JavaScript expression listing every shown button
// (and link styled as one) with the WCAG contrast ratio of its text on its
// background, as the browser computed them; a transparent background is
// the nearest ancestor's.
const jsButtonContrast = `(() => {
	const rgb = (s) => { const m = s.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
	const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
	const bgOf = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.a > 0) return c; }
		return {r: 255, g: 255, b: 255, a: 1}; };
	return [...document.querySelectorAll('button, a.button')].filter((el) => {
		const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1 && el.checkVisibility({checkVisibilityCSS: true});
	}).map((el) => {
		const fg = rgb(getComputedStyle(el).color), bg = bgOf(el);
		const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
		return {text: el.innerText.trim().slice(0, 60), color: getComputedStyle(el).color, background: getComputedStyle(el).backgroundColor,
			ratio: (hi + 0.05) / (lo + 0.05)};
	});
})()`

type buttonContrast struct {
	Text       string  `json:"text"`
	Color      string  `json:"color"`
	Background string  `json:"background"`
	Ratio      float64 `json:"ratio"`
}

// The public page's Subscribe and the console's Declare buttons (and every
// other shown button on those pages) have text at least 4.5:1 against
// their background, in the light and the dark colour scheme, as Chromium
// computes them.
func TestButtonContrastInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			w := setupFlow(t, startApp(t, d, false))
			tb := signIn(t, newSession(t, browser), w.a.URL, w.casey)
			for _, scheme := range []string{"light", "dark"} {
				_, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
				require.NoError(t, err)
				for _, p := range []struct{ url, button string }{
					{w.pubBase + "/", "Subscribe to all components"},
					{w.a.URL + "/console/incidents/new", "Declare"},
				} {
					tb.open(t, p.url)
					require.True(t, eval[bool](t, tb, `matchMedia("(prefers-color-scheme: `+scheme+`)").matches`), "%s emulated", scheme)
					got := eval[[]buttonContrast](t, tb, jsButtonContrast)
					found := false
					for _, b := range got {
						require.GreaterOrEqual(t, b.Ratio, 4.5, "%s scheme, %s: button %q is %s on %s", scheme, p.url, b.Text, b.Color, b.Background)
						if b.Text != "" && len(b.Text) >= len(p.button) && b.Text[:len(p.button)] == p.button {
							found = true
						}
					}
					require.True(t, found, "%s shows the %q button: %+v", p.url, p.button, got)
				}
			}
			tb.requireQuiet(t, "the public page and the declare form")
		})
	}
}
