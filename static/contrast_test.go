package static

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// schemes returns the CSS's colour custom properties for the light scheme
// (the first :root block) and the dark one (:root inside
// prefers-color-scheme: dark, over the light values).
func schemes(t *testing.T, css string) (light, dark map[string]string) {
	t.Helper()
	decl := regexp.MustCompile(`(--[a-z0-9-]+)\s*:\s*([^;}]+)`)
	block := func(s string) map[string]string {
		out := map[string]string{}
		for _, m := range decl.FindAllStringSubmatch(s, -1) {
			out[m[1]] = strings.TrimSpace(m[2])
		}
		return out
	}
	start := strings.Index(css, ":root {")
	if start < 0 {
		t.Fatal("no :root block")
	}
	end := strings.Index(css[start:], "}")
	light = block(css[start : start+end])
	media := strings.Index(css, "@media (prefers-color-scheme: dark) {\n  :root {")
	if media < 0 {
		t.Fatal("no dark :root block")
	}
	dend := strings.Index(css[media:], "}")
	dark = block(css[media : media+dend])
	for k, v := range light {
		if _, ok := dark[k]; !ok {
			dark[k] = v
		}
	}
	return light, dark
}

// parseHex reads #rgb or #rrggbb.
func parseHex(s string) ([3]float64, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	if len(s) != 6 {
		return [3]float64{}, fmt.Errorf("not a hex colour: %q", s)
	}
	var c [3]float64
	for i := range 3 {
		v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return c, fmt.Errorf("not a hex colour: %q: %w", s, err)
		}
		c[i] = float64(v)
	}
	return c, nil
}

// luminance is WCAG 2's relative luminance of an sRGB colour (0–255).
func luminance(c [3]float64) float64 {
	var l [3]float64
	for i, v := range c {
		v /= 255
		if v <= 0.04045 {
			l[i] = v / 12.92
		} else {
			l[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

// contrast is WCAG 2's contrast ratio of two colours, 1 to 21.
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrastRatio(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#000", "#fff", 21},
		{"#fff", "#fff", 1},
		{"#fff", "#8ab4ff", 2.09}, // the dark-mode buttons before: white on light blue
		{"#fff", "#1d5fd1", 5.82},
	} {
		a, err := parseHex(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseHex(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := contrast(a, b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.2f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
	for _, bad := range []string{"", "#12", "#ggg", "red", "#1234567"} {
		if _, err := parseHex(bad); err == nil {
			t.Errorf("parseHex(%q) accepted", bad)
		}
	}
}

// Every button's text on its background is at least 4.5:1 (WCAG AA) in
// the light and the dark scheme: primary buttons (text on --button-bg),
// secondary and link buttons (--link on the page and on cards).
func TestButtonContrast(t *testing.T) {
	t.Parallel()
	css, err := files.ReadFile("css/herald.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{
		"button { font: inherit; padding: .45rem 1rem; border-radius: .35rem; border: 1px solid var(--button-bg); background: var(--button-bg); color: var(--button-fg);",
		"a.button { display: inline-block; padding: .45rem 1rem; border-radius: .35rem; background: var(--button-bg); color: var(--button-fg);",
	} {
		if !strings.Contains(string(css), rule) {
			t.Errorf("buttons do not take their colours from --button-fg on --button-bg: no %q", rule)
		}
	}
	light, dark := schemes(t, string(css))
	pairs := [][2]string{{"--button-fg", "--button-bg"}, {"--link", "--bg"}, {"--link", "--card"}, {"--fg", "--bg"}}
	for name, vars := range map[string]map[string]string{"light": light, "dark": dark} {
		for _, p := range pairs {
			fg, err := parseHex(vars[p[0]])
			if err != nil {
				t.Fatalf("%s %s: %v", name, p[0], err)
			}
			bg, err := parseHex(vars[p[1]])
			if err != nil {
				t.Fatalf("%s %s: %v", name, p[1], err)
			}
			if r := contrast(fg, bg); r < 4.5 {
				t.Errorf("%s scheme: %s %s on %s %s is %.2f:1, below 4.5:1", name, p[0], vars[p[0]], p[1], vars[p[1]], r)
			}
		}
	}
}
