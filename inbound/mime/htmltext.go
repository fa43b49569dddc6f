package mime

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxListIndent bounds the indentation of nested list items.
const maxListIndent = 8

// htmlToText turns HTML into readable plain text: block elements and <br>
// become line breaks, list items get "- ", links become "text (url)" when
// they differ, table cells are separated by tabs and rows by line breaks,
// script/style/head/template content is dropped, entities are decoded and
// runs of blank lines collapsed. It only tokenizes (never executes
// anything) and keeps no element stack, so its work is linear in the input.
func htmlToText(s string) string {
	c := htmlConv{z: html.NewTokenizer(strings.NewReader(s))}
	c.run()
	return tidyLines(c.b.String())
}

// htmlConv holds the state of htmlToText.
type htmlConv struct {
	z     *html.Tokenizer
	b     strings.Builder
	skip  int // depth inside script, style, head, template, ...
	pre   int // depth inside <pre>
	lists int // depth inside ul/ol
	href  string
	link  strings.Builder
	inA   bool
	cell  bool // a cell was written on the current table row
}

func (c *htmlConv) run() {
	for {
		switch c.z.Next() {
		case html.ErrorToken:
			c.endLink()
			return
		case html.TextToken:
			if c.skip == 0 {
				c.text(string(c.z.Text()))
			}
		case html.StartTagToken:
			c.start(c.z.Token(), false)
		case html.SelfClosingTagToken:
			c.start(c.z.Token(), true)
		case html.EndTagToken:
			c.end(c.z.Token())
		}
	}
}

// skipped elements have content that is not text to read.
func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Template, atom.Title, atom.Noscript, atom.Iframe, atom.Object, atom.Svg, atom.Math:
		return true
	}
	return false
}

// block elements start on a new line.
func block(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Blockquote, atom.Pre, atom.Table, atom.Section, atom.Article, atom.Header,
		atom.Footer, atom.Nav, atom.Aside, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
		atom.Hr, atom.Form, atom.Fieldset, atom.Address, atom.Figure, atom.Main, atom.Center,
		atom.Body, atom.Html:
		return true
	}
	return false
}

func (c *htmlConv) start(t html.Token, selfClosing bool) {
	if skipped(t.DataAtom) {
		if !selfClosing {
			c.skip++
		}
		return
	}
	if c.skip > 0 {
		return
	}
	switch {
	case t.DataAtom == atom.Br:
		c.write("\n")
	case t.DataAtom == atom.Li:
		c.newline()
		c.write(strings.Repeat("  ", min(max(c.lists-1, 0), maxListIndent)) + "- ")
	case t.DataAtom == atom.Tr:
		c.newline()
		c.cell = false
	case t.DataAtom == atom.Td || t.DataAtom == atom.Th:
		if c.cell {
			c.write("\t")
		}
		c.cell = true
	case (t.DataAtom == atom.Ul || t.DataAtom == atom.Ol) && c.lists > 0:
		c.newline()
	case t.DataAtom == atom.A:
		c.endLink()
		c.inA, c.href = true, attr(t, "href")
		c.link.Reset()
	case t.DataAtom == atom.Img:
		if alt := attr(t, "alt"); alt != "" {
			c.text(alt)
		}
	case block(t.DataAtom):
		c.paragraph()
	}
	c.depths(t.DataAtom, 1, selfClosing)
}

func (c *htmlConv) end(t html.Token) {
	if skipped(t.DataAtom) {
		if c.skip > 0 {
			c.skip--
		}
		return
	}
	if c.skip > 0 {
		return
	}
	switch {
	case t.DataAtom == atom.A:
		c.endLink()
	case t.DataAtom == atom.Tr || t.DataAtom == atom.Li:
		c.newline()
	case (t.DataAtom == atom.Ul || t.DataAtom == atom.Ol) && c.lists > 1:
		c.newline()
	case block(t.DataAtom):
		c.paragraph()
	}
	c.depths(t.DataAtom, -1, false)
}

// depths tracks list and <pre> nesting.
func (c *htmlConv) depths(a atom.Atom, d int, selfClosing bool) {
	if selfClosing {
		return
	}
	switch a {
	case atom.Ul, atom.Ol:
		c.lists = max(c.lists+d, 0)
	case atom.Pre:
		c.pre = max(c.pre+d, 0)
	}
}

// text writes character data, its whitespace folded outside <pre>.
func (c *htmlConv) text(s string) {
	if c.pre == 0 {
		s = foldSpace(s)
		if c.atLineStart() {
			s = strings.TrimLeft(s, " ")
		}
	}
	if s != "" {
		c.write(s)
	}
}

// write adds s to the link text inside <a>, else to the output.
func (c *htmlConv) write(s string) {
	if c.inA {
		c.link.WriteString(s)
		return
	}
	c.b.WriteString(s)
}

// endLink writes the pending link as "text (url)".
func (c *htmlConv) endLink() {
	if !c.inA {
		return
	}
	c.inA = false
	text := c.link.String()
	c.b.WriteString(text)
	href := strings.TrimSpace(c.href)
	low := strings.ToLower(href)
	if href == "" || strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "#") || strings.HasPrefix(low, "data:") {
		return
	}
	shown := strings.TrimSpace(text)
	if shown == href || "mailto:"+shown == href || shown == strings.TrimPrefix(strings.TrimPrefix(href, "https://"), "http://") {
		return
	}
	if shown == "" {
		c.b.WriteString(href)
		return
	}
	c.b.WriteString(" (" + href + ")")
}

func (c *htmlConv) atLineStart() bool {
	if c.inA {
		return false
	}
	s := c.b.String()
	return s == "" || strings.HasSuffix(s, "\n") || strings.HasSuffix(s, " ") || strings.HasSuffix(s, "\t")
}

// newline ends the current line unless it is already ended or holds only
// a list item's marker.
func (c *htmlConv) newline() {
	c.endLink()
	if s := c.b.String(); s != "" && !strings.HasSuffix(s, "\n") && !c.onlyMarker() {
		c.b.WriteByte('\n')
	}
}

// onlyMarker reports whether the current line holds only "- ".
func (c *htmlConv) onlyMarker() bool {
	s := c.b.String()
	line := s[strings.LastIndexByte(s, '\n')+1:]
	return strings.TrimLeft(line, " ") == "- "
}

// paragraph leaves a blank line before what follows, or just ends the
// line inside a list.
func (c *htmlConv) paragraph() {
	if c.onlyMarker() {
		return
	}
	c.newline()
	if c.lists > 0 {
		return
	}
	if s := c.b.String(); s != "" && !strings.HasSuffix(s, "\n\n") {
		c.b.WriteByte('\n')
	}
}

// attr returns the value of the attribute key of t.
func attr(t html.Token, key string) string {
	for _, a := range t.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// foldSpace replaces every run of whitespace in s by one space.
func foldSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// tidyLines trims the end of every line, collapses runs of blank lines into one and trims the result.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r\u00a0")
		if strings.TrimSpace(l) == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
