package mime

import (
	"bufio"
	"errors"
	"fmt"
	stdmime "mime"
	"net/textproto"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
)

// header is a read-only view of a header block.
type header interface {
	get(key string) string
	values(key string) []string
	has(key string) bool
}

// fields is a header block read by readHeader, in order.
type fields struct {
	m map[string][]string
}

func (f fields) get(key string) string {
	if v := f.m[textproto.CanonicalMIMEHeaderKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (f fields) values(key string) []string {
	return f.m[textproto.CanonicalMIMEHeaderKey(key)]
}

func (f fields) has(key string) bool {
	_, ok := f.m[textproto.CanonicalMIMEHeaderKey(key)]
	return ok
}

// readHeader reads a header block up to its blank line, leniently: a field
// longer than maxField is cut, lines that are not fields are skipped, NUL
// bytes are removed, and at most 16×maxField bytes and 2,000 fields are
// kept. It returns what it could read and what it could not understand.
func readHeader(br *bufio.Reader, maxField int) (fields, []string) {
	hr := headerReader{br: br, max: maxField, f: fields{m: map[string][]string{}}, budget: 16 * maxField}
	hr.read()
	return hr.f, hr.probs
}

// headerReader holds the state of readHeader.
type headerReader struct {
	br     *bufio.Reader
	max    int
	f      fields
	probs  []string
	key    string
	val    []byte
	cut    bool
	budget int
	count  int
	nul    bool
}

func (hr *headerReader) note(format string, args ...any) {
	if len(hr.probs) < 20 {
		hr.probs = append(hr.probs, fmt.Sprintf(format, args...))
	}
}

func (hr *headerReader) read() {
	first := true
	for {
		line, cut, eof := hr.line()
		if first && strings.HasPrefix(string(line), "From ") {
			first = false
			continue // an mbox separator
		}
		first = false
		if len(line) == 0 {
			hr.flush()
			if hr.nul {
				hr.note("NUL bytes removed")
			}
			return
		}
		if line[0] == ' ' || line[0] == '\t' {
			hr.continued(line)
		} else {
			hr.flush()
			hr.start(line)
		}
		if cut {
			hr.cutField()
		}
		if eof {
			hr.flush()
			return
		}
	}
}

// start begins a new field.
func (hr *headerReader) start(line []byte) {
	i := strings.IndexByte(string(line), ':')
	key := ""
	if i > 0 {
		key = strings.TrimRight(string(line[:i]), " \t")
	}
	if key == "" || strings.IndexFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		hr.note("malformed header line skipped")
		hr.key = ""
		return
	}
	hr.key = textproto.CanonicalMIMEHeaderKey(key)
	hr.val = append(hr.val[:0], line[i+1:]...)
	hr.cut = false
	hr.trim()
}

// continued adds a folded line to the current field.
func (hr *headerReader) continued(line []byte) {
	if hr.key == "" {
		return
	}
	hr.val = append(hr.val, ' ')
	hr.val = append(hr.val, line...)
	hr.trim()
}

// trim cuts the current field to the limit.
func (hr *headerReader) trim() {
	if len(hr.val) > hr.max {
		hr.val = hr.val[:hr.max]
		hr.cutField()
	}
}

// cutField notes that the current field was cut.
func (hr *headerReader) cutField() {
	if !hr.cut && hr.key != "" {
		hr.note("field %s longer than %d bytes was cut", hr.key, hr.max)
	}
	hr.cut = true
}

// flush stores the current field.
func (hr *headerReader) flush() {
	if hr.key == "" {
		return
	}
	v := strings.Join(strings.Fields(string(hr.val)), " ")
	if len(v) > hr.budget || hr.count >= 2000 {
		hr.note("too many header fields, %s dropped", hr.key)
	} else {
		hr.budget -= len(v)
		hr.count++
		hr.f.m[hr.key] = append(hr.f.m[hr.key], v)
	}
	hr.key = ""
}

// line reads one physical line without its end, keeping at most max
// bytes of it, and removes NUL bytes. cut reports a longer line, eof the
// end of input.
func (hr *headerReader) line() (line []byte, cut, eof bool) {
	var out []byte
	for {
		chunk, err := hr.br.ReadSlice('\n')
		room := hr.max + 2 - len(out) // the line end does not count
		if len(chunk) > room {
			chunk, cut = chunk[:room], true
		}
		out = append(out, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		out = trimEOL(out)
		if len(out) > hr.max {
			out, cut = out[:hr.max], true
		}
		if strings.IndexByte(string(out), 0) >= 0 {
			hr.nul = true
			out = []byte(strings.ReplaceAll(string(out), "\x00", ""))
		}
		return out, cut, err != nil
	}
}

// trimEOL removes a trailing LF or CRLF.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// decodeWords decodes RFC 2047 encoded words, leaving the text as it was
// when they cannot be decoded.
func (p *parser) decodeWords(s string) string {
	if !utf8.ValidString(s) {
		p.problem("8-bit header text without charset read as Windows-1252")
		s = windows1252(s)
	}
	if !strings.Contains(s, "=?") {
		return s
	}
	d := stdmime.WordDecoder{CharsetReader: message.CharsetReader}
	out, err := d.DecodeHeader(s)
	if err != nil {
		p.problem("undecodable encoded word: %v", err)
		return s
	}
	return out
}
