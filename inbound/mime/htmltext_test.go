package mime

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHTMLToText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"br", "a<br>b<br/>c", "a\nb\nc"},
		{"whitespace", "<div>\n   lots   of\n\tspace  </div>", "lots of space"},
		{"entities", "<p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#8364;5 &nbsp;x&quot;</p>", "Fish & chips <3 été €5 \u00a0x\""},
		{"script and style", "<style>p{color:red}</style><p>keep</p><script>alert('no')</script><noscript>n</noscript>", "keep"},
		{"head and template", "<html><head><title>Title</title><meta charset=utf-8></head><body>Body<template><p>hidden</p></template></body></html>", "Body"},
		{"link differs", `<a href="https://status.acme.test/i/42">the incident</a>`, "the incident (https://status.acme.test/i/42)"},
		{"link same", `<a href="https://acme.test">https://acme.test</a>`, "https://acme.test"},
		{"link mailto", `<a href="mailto:ann@acme.test">ann@acme.test</a>`, "ann@acme.test"},
		{"link javascript", `<a href="javascript:alert(1)">click</a>`, "click"},
		{"link empty text", `<a href="https://acme.test/x"></a>`, "https://acme.test/x"},
		{"list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"nested list", "<ul><li>one<ul><li>one.a</li><li>one.b<ol><li>deep</li></ol></li></ul></li><li>two</li></ul>",
			"- one\n  - one.a\n  - one.b\n    - deep\n- two"},
		{"paragraphs in items", "<p>Steps:</p><ol><li><p>Log in</p></li><li><div>Retry</div></li></ol><p>Thanks</p>", "Steps:\n\n- Log in\n- Retry\n\nThanks"},
		{"table", "<table><tr><th>Service</th><th>Status</th></tr><tr><td>API</td><td>Down</td></tr></table>",
			"Service\tStatus\nAPI\tDown"},
		{"blank lines collapse", "<p>a</p><p></p><div></div><br><br><br><br><p>b</p>", "a\n\nb"},
		{"pre keeps spaces", "<pre>a   b\n  c</pre>", "a   b\n  c"},
		{"img alt", `<p>Logo: <img src="x.png" alt="Acme"></p>`, "Logo: Acme"},
		{"unclosed script", "before<script>never closed", "before"},
		{"comments", "a<!-- hidden -->b", "ab"},
		{"plain text", "no tags at all", "no tags at all"},
		{"empty", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, htmlToText(c.in))
		})
	}
}

func TestHTMLToTextPathological(t *testing.T) {
	inputs := map[string]string{
		"unclosed divs":  strings.Repeat("<div>", 100000) + "x",
		"nested lists":   strings.Repeat("<ul><li>", 50000) + "deep",
		"unclosed links": strings.Repeat(`<a href="http://x">`, 50000),
		"many cells":     "<table><tr>" + strings.Repeat("<td>c", 100000),
		"open comment":   "<!--" + strings.Repeat("x", 1<<20),
		"lone brackets":  strings.Repeat("<", 200000),
	}
	for name, in := range inputs {
		start := time.Now()
		out := htmlToText(in)
		require.Less(t, time.Since(start), 2*time.Second, name)
		require.LessOrEqual(t, len(out), 3*len(in)+100, name)
	}
	require.Equal(t, "x", htmlToText(inputs["unclosed divs"]))
	require.True(t, strings.HasSuffix(htmlToText(inputs["nested lists"]), "- deep"))
}
