package templates

import (
	"bytes"
	stdhtml "html"
	"html/template"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// maxMarkdown caps the input rendered as Markdown; longer text is shown as
// plain text.
const maxMarkdown = 64 * 1024

var (
	md = goldmark.New(
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.Table),
		// Raw HTML is shown as text: "<tenant>.example.com" must read as
		// written, not vanish (goldmark's default drops it).
		goldmark.WithRendererOptions(html.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(escapeRawHTML{}, 100))),
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

// SanitizeHTML cleans untrusted HTML, such as the HTML part of an inbound
// email, with the same policy as Markdown: no scripts, event handlers,
// styles or unsafe URLs.
func SanitizeHTML(src string) template.HTML {
	return template.HTML(policy.Sanitize(src)) //nolint:gosec // sanitised by bluemonday
}

// safeConvert recovers goldmark panics on hostile input (goldmark #453).
func safeConvert(src string, buf *bytes.Buffer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errPanic // the caller shows the text escaped instead
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

// escapeRawHTML renders inline and block HTML in Markdown as escaped text.
type escapeRawHTML struct{}

// RegisterFuncs replaces goldmark's renderers for raw HTML nodes.
func (escapeRawHTML) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindRawHTML, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			segs := n.(*ast.RawHTML).Segments
			for i := range segs.Len() {
				seg := segs.At(i)
				_, _ = w.WriteString(stdhtml.EscapeString(string(seg.Value(src))))
			}
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(ast.KindHTMLBlock, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		b := n.(*ast.HTMLBlock)
		_, _ = w.WriteString("<p>")
		lines := b.Lines()
		for i := range lines.Len() {
			if i > 0 {
				_, _ = w.WriteString("<br>")
			}
			seg := lines.At(i)
			_, _ = w.WriteString(stdhtml.EscapeString(strings.TrimRight(string(seg.Value(src)), "\r\n")))
		}
		if b.HasClosure() {
			_, _ = w.WriteString("<br>" + stdhtml.EscapeString(strings.TrimRight(string(b.ClosureLine.Value(src)), "\r\n")))
		}
		_, _ = w.WriteString("</p>\n")
		return ast.WalkSkipChildren, nil
	})
}
