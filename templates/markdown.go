package templates

import (
	"bytes"
	stdhtml "html"
	"html/template"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	xhtml "golang.org/x/net/html"
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

// Markdown renders untrusted Markdown to sanitised HTML. Relative links
// stay relative: for Herald's own pages.
func Markdown(src string) template.HTML { return MarkdownAt(src, nil) }

// MarkdownAt renders untrusted Markdown to sanitised HTML for what leaves
// Herald (emails, feeds): relative links and images are made absolute
// against base, Herald's own address (HERALD_BASE_URL), so "/p/acme/"
// works in a mail client. A nil base leaves them as they are.
func MarkdownAt(src string, base *url.URL) template.HTML {
	if len(src) > maxMarkdown {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	var buf bytes.Buffer
	if err := safeConvert(src, base, &buf); err != nil {
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

// safeConvert renders src into buf, with relative link destinations made
// absolute against base when it is not nil. It recovers goldmark panics
// on hostile input (goldmark #453).
func safeConvert(src string, base *url.URL, buf *bytes.Buffer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errPanic // the caller shows the text escaped instead
		}
	}()
	source := []byte(src)
	doc := md.Parser().Parse(text.NewReader(source))
	if base != nil {
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch n := n.(type) {
			case *ast.Link:
				n.Destination = absolute(n.Destination, base)
			case *ast.Image:
				n.Destination = absolute(n.Destination, base)
			}
			return ast.WalkContinue, nil
		})
	}
	return md.Renderer().Render(buf, source, doc)
}

// absolute makes a relative link destination absolute against base,
// Herald's root: "/p/acme/" is base's path followed by /p/acme/, and
// "incidents/1" or "#now" are resolved against base. Absolute URLs, and
// what does not parse as a URL, are left alone (the sanitiser judges
// them).
func absolute(dest []byte, base *url.URL) []byte {
	u, err := url.Parse(string(dest))
	if err != nil || u.Scheme != "" || u.Host != "" || len(dest) == 0 {
		return dest
	}
	root := *base
	root.Path = strings.TrimRight(base.Path, "/") + "/"
	root.RawPath, root.RawQuery, root.Fragment = "", "", ""
	if strings.HasPrefix(u.Path, "/") {
		u.Path = root.Path + strings.TrimLeft(u.Path, "/")
		u.RawPath = ""
	}
	return []byte(root.ResolveReference(u).String())
}

type panicError struct{}

func (panicError) Error() string { return "markdown renderer panicked" }

var errPanic = panicError{}

// PlainText turns Markdown into readable plain text for feeds' summaries and
// text emails: the sanitised HTML with all tags removed, each link as its
// text followed by its URL ("postmortem <https://…>"). Relative links
// stay relative.
func PlainText(src string) string { return PlainTextAt(src, nil) }

// PlainTextAt is PlainText with relative links made absolute against
// base, as MarkdownAt does: for text emails.
func PlainTextAt(src string, base *url.URL) string {
	h := linksAsText(string(MarkdownAt(src, base)))
	text := bluemonday.StrictPolicy().Sanitize(strings.NewReplacer("</p>", "\n\n", "<br>", "\n", "</li>", "\n").Replace(h))
	return strings.TrimSpace(stdhtml.UnescapeString(text))
}

// linksAsText rewrites each link of sanitised HTML as its text followed by
// its URL in angle brackets (escaped, so that they survive as text), or
// only its text when that is the URL already (linkified URLs, email
// addresses). Everything else is kept as it is.
func linksAsText(h string) string {
	if !strings.Contains(h, "<a ") {
		return h
	}
	var out strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(h))
	href, inLink := "", false
	var inner, label strings.Builder // the link's HTML, and its text
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		raw := string(z.Raw())
		switch {
		case tt == xhtml.StartTagToken && !inLink && isTag(z, "a"):
			href, inLink = attr(z, "href"), true
			inner.Reset()
			label.Reset()
			continue
		case tt == xhtml.EndTagToken && inLink && isTag(z, "a"):
			inLink = false
			text := strings.TrimSpace(label.String())
			out.WriteString(inner.String())
			if href != "" && !sameAsURL(text, href) {
				if text != "" {
					out.WriteByte(' ')
				}
				out.WriteString("&lt;" + stdhtml.EscapeString(href) + "&gt;")
			}
			continue
		}
		if inLink {
			inner.WriteString(raw)
			if tt == xhtml.TextToken {
				label.Write(z.Text())
			}
		} else {
			out.WriteString(raw)
		}
	}
	if inLink {
		out.WriteString(inner.String())
	}
	return out.String()
}

// isTag reports whether the tokenizer's current tag is name.
func isTag(z *xhtml.Tokenizer, name string) bool {
	n, _ := z.TagName()
	return string(n) == name
}

// attr returns the value of the current tag's attribute key, unescaped.
func attr(z *xhtml.Tokenizer, key string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == key {
			return string(v)
		}
		if !more {
			return ""
		}
	}
}

// sameAsURL reports whether a link's text says its URL already.
func sameAsURL(label, href string) bool {
	for _, prefix := range []string{"", "mailto:", "http://", "https://"} {
		if prefix+label == href {
			return true
		}
	}
	return false
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
