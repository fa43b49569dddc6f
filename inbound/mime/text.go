package mime

import (
	"io"
	"strings"
)

// readableText returns the message's readable text: its text/plain
// parts, else its HTML turned into text; cleaned, at most maxTextBytes.
func (p *parser) readableText() string {
	s := CleanBody(p.text.String())
	if strings.TrimSpace(s) == "" && p.html != "" {
		s = CleanBody(htmlToText(p.html))
	}
	return capUTF8(s, maxTextBytes)
}

// textPart adds a text/plain part to Text.
func (p *parser) textPart(h header, body io.Reader, params map[string]string, path string) {
	room := int64(maxTextBytes - p.text.Len())
	b, _, err := readCapped(p.decoded(h, body, params, path, true), room)
	if err != nil {
		p.problem("part %s: %v", path, err)
	}
	if int64(len(b)) >= room {
		p.problem("text longer than %d bytes, the rest was cut", maxTextBytes)
		b = trimPartialRune(b)
	}
	s := p.validText(b, params, path)
	if strings.EqualFold(params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
	}
	if p.text.Len() > 0 && s != "" {
		p.text.WriteString("\n\n")
	}
	p.text.WriteString(s)
}

// htmlPart keeps the first HTML part.
func (p *parser) htmlPart(h header, body io.Reader, params map[string]string, path string) {
	room := int64(maxTextBytes - len(p.html))
	b, _, err := readCapped(p.decoded(h, body, params, path, true), room)
	if err != nil {
		p.problem("part %s: %v", path, err)
	}
	if int64(len(b)) >= room {
		p.problem("HTML longer than %d bytes, the rest was cut", maxTextBytes)
		b = trimPartialRune(b)
	}
	// Apple Mail splits HTML around inline attachments: the fragments
	// are kept together.
	p.html += strings.ReplaceAll(p.validText(b, params, path), "\x00", "")
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676):
// a line ending in a space goes on in the next line of the same quote
// depth. Space-stuffing is undone; with delsp the joining space is dropped.
func unflow(text string, delsp bool) string {
	var out []string
	var cur strings.Builder
	depth, open := 0, false
	flush := func() {
		if open {
			out = append(out, cur.String())
			cur.Reset()
			open = false
		}
	}
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		d := len(l) - len(strings.TrimLeft(l, ">"))
		content := strings.TrimPrefix(l[d:], " ")
		if open && d != depth {
			flush()
		}
		if !open {
			depth, open = d, true
			if d > 0 {
				cur.WriteString(strings.Repeat(">", d) + " ")
			}
		}
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delsp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		if !soft {
			flush()
		}
	}
	flush()
	return strings.Join(out, "\n")
}
