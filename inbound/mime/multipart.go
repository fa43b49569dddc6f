package mime

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// multipart walks the parts of a multipart entity.
func (p *parser) multipart(h header, body io.Reader, ct string, params map[string]string, path string, depth int) {
	if depth >= p.l.MaxDepth {
		p.problem("multipart nested deeper than %d, the rest was skipped", p.l.MaxDepth)
		return
	}
	boundary := params["boundary"]
	if boundary == "" || len(boundary) > 200 {
		p.problem("part %s: %s without a usable boundary, read as text", partName(path), ct)
		p.leaf(h, body, "text/plain", map[string]string{}, joinPath(path, 1), ct)
		return
	}
	wasReport := p.report
	if ct == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
		p.report = true
		if p.msg.Report == nil {
			p.msg.Report = &DeliveryReport{}
		}
	}
	defer func() { p.report = wasReport }()
	mr := newMultipartReader(body, boundary, p.l.MaxHeader)
	for i := 1; !p.stop; i++ {
		h, part, probs, err := mr.next()
		for _, s := range probs {
			p.problem("part %s: header: %s", joinPath(path, i), s)
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			if !p.src.truncated {
				p.problem("part %s: broken multipart: %v", partName(path), err)
			}
			return
		}
		p.entity(h, part, joinPath(path, i), depth+1, ct)
	}
}

// Errors of multipartReader.
var (
	errNoParts  = errors.New("boundary never found, no parts")
	errUnclosed = errors.New("boundary never closed")
)

// multipartReader splits a multipart body (RFC 2046 5.1) leniently: any
// line starting with "--" and the boundary is a delimiter, part headers are
// read by readHeader, and a body that ends without its closing delimiter
// ends its last part.
type multipartReader struct {
	br        *bufio.Reader
	dash      []byte // "--" + boundary
	maxField  int
	lineStart bool // the next byte read starts a line
	started   bool // the first delimiter was seen
	cur       *multipartPart
	closed    bool // the closing delimiter was seen
	eof       bool // the body ended
}

func newMultipartReader(r io.Reader, boundary string, maxField int) *multipartReader {
	return &multipartReader{br: bufio.NewReader(r), dash: []byte("--" + boundary), maxField: maxField, lineStart: true}
}

// chunk reads the next line, or the next part of a line too long for the
// buffer. The slice is valid until the next read.
func (m *multipartReader) chunk() (b []byte, atStart bool, err error) {
	atStart = m.lineStart
	b, err = m.br.ReadSlice('\n')
	m.lineStart = err == nil
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	return b, atStart, err
}

// delimiter reports whether a line is a delimiter, and whether it is the
// closing one. The rest of a delimiter line too long for the buffer is
// skipped.
func (m *multipartReader) delimiter(b []byte, atStart bool) (isDelim, closing bool) {
	if !atStart || !bytes.HasPrefix(b, m.dash) {
		return false, false
	}
	closing = bytes.HasPrefix(b[len(m.dash):], []byte("--"))
	for !m.lineStart && !m.eof {
		if _, _, err := m.chunk(); err != nil {
			m.eof = true
		}
	}
	return true, closing
}

// next returns the next part's header and body; io.EOF after the closing
// delimiter.
func (m *multipartReader) next() (header, io.Reader, []string, error) {
	if m.cur != nil {
		if _, err := io.Copy(io.Discard, m.cur); err != nil {
			return nil, nil, nil, err
		}
		m.cur = nil
	}
	if !m.started {
		if err := m.skipPreamble(); err != nil {
			return nil, nil, nil, err
		}
	}
	switch {
	case m.closed:
		return nil, nil, nil, io.EOF
	case m.eof:
		return nil, nil, nil, errUnclosed
	}
	h, probs := readHeader(m.br, m.maxField)
	m.lineStart = true
	m.cur = &multipartPart{m: m}
	return h, m.cur, probs, nil
}

// skipPreamble reads up to the first delimiter.
func (m *multipartReader) skipPreamble() error {
	for !m.eof {
		b, atStart, err := m.chunk()
		if err != nil {
			m.eof = true
		}
		if isDelim, closing := m.delimiter(b, atStart); isDelim {
			m.started, m.closed = true, closing
			return nil
		}
	}
	return errNoParts
}

// multipartPart is the body of one part, up to the line break before the
// next delimiter.
type multipartPart struct {
	m     *multipartReader
	buf   []byte // what is left to return, in store
	store []byte
	eol   []byte // the line break held back: it belongs to a following delimiter
	done  bool
}

// Read implements io.Reader.
func (p *multipartPart) Read(b []byte) (int, error) {
	for len(p.buf) == 0 {
		if p.done {
			return 0, io.EOF
		}
		p.fill()
	}
	n := copy(b, p.buf)
	p.buf = p.buf[n:]
	return n, nil
}

// fill reads the next chunk of the part into buf.
func (p *multipartPart) fill() {
	m := p.m
	if m.eof {
		p.set(nil, true)
		return
	}
	c, atStart, err := m.chunk()
	if err != nil {
		m.eof = true
	}
	if isDelim, closing := m.delimiter(c, atStart); isDelim {
		m.closed = closing
		p.buf, p.done = nil, true
		return
	}
	p.set(c, m.eof)
}

// set makes buf the held-back line break and c, holding back c's own line
// break unless the body ends here.
func (p *multipartPart) set(c []byte, end bool) {
	p.store = append(append(p.store[:0], p.eol...), c...)
	p.eol = p.eol[:0]
	n := 0
	if !end && bytes.HasSuffix(p.store, []byte("\r\n")) {
		n = 2
	} else if !end && bytes.HasSuffix(p.store, []byte("\n")) {
		n = 1
	}
	p.eol = append(p.eol, p.store[len(p.store)-n:]...)
	p.buf = p.store[:len(p.store)-n]
	p.done = end
}
