package mime

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	// Registers ISO-8859-*, Windows-125x and the other charsets with
	// go-message, so message.CharsetReader decodes them.
	_ "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/charmap"
)

// decodeCharset converts s from charset cs to UTF-8, leaving it as it is
// when the charset is unknown.
func (p *parser) decodeCharset(cs, s string) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	if cs == "" || cs == "utf-8" || cs == "us-ascii" || message.CharsetReader == nil {
		return s
	}
	r, err := message.CharsetReader(cs, strings.NewReader(s))
	if err != nil || r == nil {
		p.problem("unknown charset %s", capUTF8(cs, 60))
		return s
	}
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return s
	}
	return string(b)
}

// decoded returns the part body with its transfer encoding and, for text,
// its charset decoded, noting what it cannot decode.
func (p *parser) decoded(h header, body io.Reader, params map[string]string, path string, text bool) io.Reader {
	r := p.transfer(h, body, path)
	if !text {
		return r
	}
	cs := strings.ToLower(strings.TrimSpace(params["charset"]))
	if cs == "" || cs == "utf-8" || cs == "us-ascii" || cs == "utf8" || cs == "ascii" {
		return r
	}
	if message.CharsetReader == nil {
		p.problem("unknown charset %s", capUTF8(cs, 60))
		return r
	}
	cr, err := message.CharsetReader(cs, r)
	if err != nil || cr == nil {
		p.problem("unknown charset %s", capUTF8(cs, 60))
		return r
	}
	return cr
}

// validText returns b as valid UTF-8, noting replaced bytes. 8-bit text
// without a charset is read as Windows-1252, the likeliest in the wild.
func (p *parser) validText(b []byte, params map[string]string, path string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if cs := strings.ToLower(strings.TrimSpace(params["charset"])); cs == "" || cs == "us-ascii" || cs == "ascii" {
		p.problem("part %s: 8-bit text without charset read as Windows-1252", path)
		return windows1252(string(b))
	}
	p.problem("part %s: invalid UTF-8 replaced", path)
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// windows1252 decodes s from Windows-1252.
func windows1252(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}
