package templates

import (
	"bytes"
	stdhtml "html"
	"html/template"
	"log/slog"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// maxMarkdown caps the input rendered as Markdown; longer text is shown as
// plain text.
const maxMarkdown = 64 * 1024

var (
	md = goldmark.New(
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.Table),
		// Raw HTML stays off: it is escaped, never passed through.
		goldmark.WithRendererOptions(html.WithHardWraps()),
	)
	// policy is the one sanitiser for every surface that shows Markdown:
	// pages, feeds, console previews and emails. No style attributes.
	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(false)
		p.AllowURLSchemes("http", "https", "mailto")
		return p
	}()
)

// Markdown renders untrusted Markdown to sanitised HTML.
func Markdown(src string) template.HTML {
	if len(src) > maxMarkdown {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	var buf bytes.Buffer
	if err := safeConvert(src, &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitised by bluemonday
}

// safeConvert recovers goldmark panics on hostile input (goldmark #453).
func safeConvert(src string, buf *bytes.Buffer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			slog.Warn("markdown renderer panicked", "panic", r)
			err = errPanic
		}
	}()
	return md.Convert([]byte(src), buf)
}

type panicError struct{}

func (panicError) Error() string { return "markdown renderer panicked" }

var errPanic = panicError{}

// PlainText turns Markdown into readable plain text for feeds' summaries and
// text emails: the sanitised HTML with all tags removed.
func PlainText(src string) string {
	h := string(Markdown(src))
	text := bluemonday.StrictPolicy().Sanitize(strings.NewReplacer("</p>", "\n\n", "<br>", "\n", "</li>", "\n").Replace(h))
	return strings.TrimSpace(stdhtml.UnescapeString(text))
}
