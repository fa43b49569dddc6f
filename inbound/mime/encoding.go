package mime

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"strings"
)

// transfer undoes the Content-Transfer-Encoding.
func (p *parser) transfer(h header, body io.Reader, path string) io.Reader {
	enc := strings.ToLower(strings.TrimSpace(h.get("Content-Transfer-Encoding")))
	switch enc {
	case "", "7bit", "8bit", "binary":
		return body
	case "quoted-printable":
		return newQPReader(body)
	case "base64":
		return newBase64Reader(body, func() { p.problem("part %s: invalid bytes in base64 skipped", path) })
	default:
		p.problem("part %s: unknown transfer encoding %s, read as is", path, capUTF8(enc, 60))
		return body
	}
}

// qpReader decodes quoted-printable leniently: "=" not followed by two hex
// digits or a line end is kept as it is, long lines and control bytes are
// accepted, and whitespace at the end of a line is dropped (RFC 2045 6.7).
type qpReader struct {
	r     *bufio.Reader
	out   []byte
	ws    []byte // pending whitespace, written only if the line goes on
	state int
	hi    byte
	eof   bool
}

// The states of qpReader.
const (
	qpText = iota
	qpEq   // after "="
	qpHex  // after "=" and one hex digit
	qpSoft // after "=" and whitespace or CR: a soft line break if a line end follows
)

func newQPReader(r io.Reader) io.Reader {
	return &qpReader{r: bufio.NewReader(r)}
}

// Read implements io.Reader.
func (q *qpReader) Read(b []byte) (int, error) {
	for len(q.out) == 0 {
		if q.eof {
			return 0, io.EOF
		}
		c, err := q.r.ReadByte()
		if err != nil {
			q.finish()
			if !errors.Is(err, io.EOF) {
				return 0, err
			}
			q.eof = true
			continue
		}
		q.step(c)
	}
	n := copy(b, q.out)
	q.out = q.out[n:]
	return n, nil
}

// finish flushes a dangling escape at the end of input.
func (q *qpReader) finish() {
	if q.state == qpHex {
		q.out = append(q.out, '=', q.hi)
	}
	q.state = qpText
}

// step decodes one input byte.
func (q *qpReader) step(c byte) {
	switch q.state {
	case qpEq:
		switch {
		case isHex(c):
			q.hi, q.state = c, qpHex
		case c == '\n':
			q.state = qpText
		case c == ' ' || c == '\t' || c == '\r':
			q.state = qpSoft
		default:
			q.state = qpText
			q.out = append(q.out, '=')
			q.text(c)
		}
	case qpHex:
		q.state = qpText
		if isHex(c) {
			q.out = append(q.out, unhex(q.hi)<<4|unhex(c))
			return
		}
		q.out = append(q.out, '=', q.hi)
		q.text(c)
	case qpSoft:
		switch c {
		case '\n':
			q.state = qpText
		case ' ', '\t', '\r':
		default:
			q.state = qpText
			q.text(c)
		}
	default:
		q.text(c)
	}
}

// text handles a byte outside an escape.
func (q *qpReader) text(c byte) {
	switch c {
	case '=':
		q.flushWS()
		q.state = qpEq
	case ' ', '\t', '\r':
		q.ws = append(q.ws, c)
		if len(q.ws) > 4096 {
			q.flushWS()
		}
	case '\n':
		if len(q.ws) > 0 && q.ws[len(q.ws)-1] == '\r' {
			q.out = append(q.out, '\r')
		}
		q.ws = q.ws[:0]
		q.out = append(q.out, '\n')
	default:
		q.flushWS()
		q.out = append(q.out, c)
	}
}

func (q *qpReader) flushWS() {
	q.out = append(q.out, q.ws...)
	q.ws = q.ws[:0]
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// newBase64Reader decodes base64 leniently: line breaks, whitespace and
// padding anywhere are skipped, other bytes outside the alphabet are
// skipped and reported once through bad.
func newBase64Reader(r io.Reader, bad func()) io.Reader {
	return base64.NewDecoder(base64.RawStdEncoding, &base64Filter{r: r, bad: bad})
}

// base64Filter passes on only the bytes of the base64 alphabet.
type base64Filter struct {
	r     io.Reader
	bad   func()
	noted bool
}

// Read implements io.Reader.
func (f *base64Filter) Read(b []byte) (int, error) {
	for {
		n, err := f.r.Read(b)
		k := 0
		for _, c := range b[:n] {
			switch {
			case ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '+' || c == '/':
				b[k] = c
				k++
			case c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t':
			default:
				if !f.noted {
					f.noted = true
					f.bad()
				}
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
