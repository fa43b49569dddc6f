package templates

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMarkdown(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in      string
		want, wantNot []string
	}{
		{"emphasis and links", "**bold** and [docs](https://example.com/docs)",
			[]string{"<strong>bold</strong>", `href="https://example.com/docs"`, `rel="nofollow"`}, nil},
		{"angle brackets stay as text", "Requests to <tenant>.example.com fail",
			[]string{"&lt;tenant&gt;.example.com"}, []string{"<tenant>"}},
		{"html block is shown, not run", "<div onclick=\"x()\">hello</div>",
			[]string{"&lt;div onclick=", "hello"}, []string{"<div"}},
		{"script is inert", "<script>alert(1)</script>",
			[]string{"&lt;script&gt;"}, []string{"<script>"}},
		{"javascript links are dropped", "[click](javascript:alert(1))",
			nil, []string{"javascript:"}},
		{"img onerror is inert", `<img src=x onerror="alert(1)">`,
			[]string{"&lt;img"}, []string{"<img"}},
		{"no style attributes", "text {style=\"color:red\"}", nil, []string{"style=\""}},
		{"hard wraps", "line one\nline two", []string{"<br>"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(Markdown(tc.in))
			for _, w := range tc.want {
				require.Contains(t, got, w)
			}
			for _, w := range tc.wantNot {
				require.NotContains(t, got, w)
			}
		})
	}
	huge := strings.Repeat("<b>", maxMarkdown)
	require.NotContains(t, string(Markdown(huge)), "<b>", "over-long input is shown escaped")
	require.Equal(t, "Requests to <tenant>.example.com fail", PlainText("Requests to <tenant>.example.com fail"))
}

// Links keep their URLs in plain text ("text <url>"), and relative links
// become absolute against Herald's address in what leaves Herald (issue
// 14.10): "[postmortem](https://…)" once became "postmortem".
func TestLinksLeavingHerald(t *testing.T) {
	t.Parallel()
	base, err := url.Parse("https://herald.example.org")
	require.NoError(t, err)
	sub, err := url.Parse("https://example.com/status/")
	require.NoError(t, err)
	cases := []struct {
		name, in string
		base     *url.URL
		text     string
		html     []string
	}{
		{"absolute link", "See the [postmortem](https://example.com/pm/42).", base,
			"See the postmortem <https://example.com/pm/42>.", []string{`href="https://example.com/pm/42"`}},
		{"relative link", "Status: [Acme](/p/acme/)", base,
			"Status: Acme <https://herald.example.org/p/acme/>", []string{`href="https://herald.example.org/p/acme/"`}},
		{"relative link under a base path", "[Acme](/p/acme/) and [one](incidents/1)", sub,
			"Acme <https://example.com/status/p/acme/> and one <https://example.com/status/incidents/1>",
			[]string{`href="https://example.com/status/p/acme/"`, `href="https://example.com/status/incidents/1"`}},
		{"relative image", "![graph](/static/graph.png)", base, "", []string{`src="https://herald.example.org/static/graph.png"`}},
		{"query and fragment", "[x](/p/acme/?h=1#now)", base, "x <https://herald.example.org/p/acme/?h=1#now>", nil},
		{"a bare URL is not repeated", "Details: https://example.com/x", base, "Details: https://example.com/x", nil},
		{"an email address is not repeated", "Write to <ops@example.com>", base, "Write to ops@example.com", []string{`href="mailto:ops@example.com"`}},
		{"mailto link with a name", "[our team](mailto:ops@example.com)", base, "our team <mailto:ops@example.com>", nil},
		{"duplicate links", "[a](/x) [a](/x)", base, "a <https://herald.example.org/x> a <https://herald.example.org/x>", nil},
		{"empty link text", "[](https://example.com/e)", base, "<https://example.com/e>", nil},
		{"empty", "", base, "", nil},
		{"scheme-relative stays as a browser reads it", "[x](//example.net/y)", base, "x <//example.net/y>", nil},
		{"javascript is dropped, not made absolute", "[click](javascript:alert(1))", base, "click", nil},
		{"malicious URL stays text", `[x](https://e.example/?a="><script>alert(1)</script>)`, base,
			`x <https://e.example/?a=%22%3E%3Cscript%3Ealert(1)%3C/script%3E>`, nil},
		{"markup in link text stays text", "[<b>bold</b>](/b)", base, "<b>bold</b> <https://herald.example.org/b>", nil},
		{"without a base, relative stays relative", "[Acme](/p/acme/)", nil, "Acme </p/acme/>", []string{`href="/p/acme/"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.text, PlainTextAt(tc.in, tc.base))
			h := string(MarkdownAt(tc.in, tc.base))
			for _, w := range tc.html {
				require.Contains(t, h, w)
			}
			require.NotContains(t, h, "<script")
			require.NotContains(t, h, "javascript:")
		})
	}
	// Herald's own pages keep relative links.
	require.Contains(t, string(Markdown("[Acme](/p/acme/)")), `href="/p/acme/"`)
	require.Equal(t, "postmortem <https://example.com/pm>", PlainText("[postmortem](https://example.com/pm)"))
	// Huge input is shown as text, its links untouched.
	huge := strings.Repeat("[a](/x) ", maxMarkdown/8+1)
	require.NotContains(t, string(MarkdownAt(huge, base)), "https://herald.example.org/x")
}
