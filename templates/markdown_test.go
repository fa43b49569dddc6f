package templates

import (
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
