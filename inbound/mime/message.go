package mime

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	stdmime "mime"
	"net/mail"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	// Registers ISO-8859-*, Windows-125x and the other charsets with
	// go-message, so message.CharsetReader decodes them.
	_ "github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/charmap"
)

// DefaultMaxBytes is the size Parse reads of a message when
// Limits.MaxBytes is zero: 25 MiB.
const DefaultMaxBytes = 25 << 20

// The other default limits, used for every zero field of Limits.
const (
	defaultMaxDepth  = 32
	defaultMaxParts  = 500
	defaultMaxHeader = 64 << 10
)

const (
	maxTextBytes = 1 << 20 // Text and HTML kept from a message
	maxProblems  = 100     // Problems kept from a message
	maxIDs       = 100     // ids kept from In-Reply-To or References
	maxIDLen     = 998     // one message id
	maxAddresses = 500     // To or Cc addresses kept
	maxNameBytes = 255     // an attachment's name
)

// Limits bound what Parse reads from one message. A zero field takes its
// default.
//
// Beyond MaxBytes nothing more is read: the Message is marked Truncated,
// notes the Problem "too large", and holds what came before the limit (the
// header at least; the text and attachments seen so far, the last one
// counted only in part).
type Limits struct {
	MaxBytes  int64 // the whole message; default 25 MiB
	MaxDepth  int   // multipart nesting; default 32
	MaxParts  int   // parts in all; default 500
	MaxHeader int   // one header field's bytes; default 64 KiB (longer is cut, Problem noted)
}

// withDefaults returns l with every zero or negative field set to its default.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = defaultMaxDepth
	}
	if l.MaxParts <= 0 {
		l.MaxParts = defaultMaxParts
	}
	if l.MaxHeader <= 0 {
		l.MaxHeader = defaultMaxHeader
	}
	return l
}

// Options tune Parse.
type Options struct {
	Limits Limits
	Own    []string // Herald's own From addresses (lower-case); mail from them is Automatic
}

// Message is what Herald understands of one raw email.
type Message struct {
	MessageID             string   // without angle brackets; "" when missing or unparsable
	InReplyTo             []string // ids without brackets
	References            []string // ids without brackets, oldest first
	FromName, FromAddress string   // FromAddress lower-cased; "" when missing or unparsable (Problem noted)
	To, Cc                []string // lower-cased addresses
	ReplyTo               string   // lower-cased address
	Subject               string   // RFC 2047 decoded, control characters removed, whitespace folded
	Date                  time.Time
	// Text is the readable body: text/plain preferred, else the HTML part
	// converted to text; at most 1 MiB.
	Text string
	// HTML is the HTML alternative as received (decoded to UTF-8, at most
	// 1 MiB), "" if none; only for showing after sanitising elsewhere.
	HTML        string
	Attachments []Attachment
	// Automatic says why Herald must never answer the message (RFC 3834);
	// "" for mail from a person.
	Automatic string
	// Report is set for a multipart/report; report-type=delivery-status,
	// and for a plain bounce that returns one original (see plainBounce).
	Report    *DeliveryReport
	Problems  []string // what could not be understood
	Truncated bool     // the message was longer than Limits.MaxBytes
	Size      int64    // bytes read
	Hash      string   // hex SHA-256 of the bytes read
}

// Attachment is one part of a message that is not its readable body.
type Attachment struct {
	Name        string // decoded file name, sanitised: no path separators or control characters; never ""
	ContentType string // lower-case media type
	Size        int64  // decoded bytes
	Part        string // its path in the MIME tree, e.g. "2" or "1.3", for AttachmentContent
	Inline      bool
}

// Parse reads one raw message. It never fails on bad content: what it
// cannot understand goes into Problems and it returns what it could read.
// It returns an error only when r fails.
func Parse(r io.Reader, o Options) (*Message, error) {
	p := newParser(r, o.Limits)
	p.parse()
	if p.src.err != nil {
		return nil, fmt.Errorf("mime: reading the message: %w", p.src.err)
	}
	m := p.msg
	m.Automatic = automaticReason(p.top, m, o.Own)
	return m, nil
}

// AttachmentContent streams the decoded body of the part at path (as in
// Attachment.Part) from the raw message, with its name and type, for
// download by console users. It returns an error naming the problem for a
// path that is not there.
func AttachmentContent(raw io.Reader, part string, l Limits) (name, contentType string, body []byte, err error) {
	if !validPartPath(part) {
		return "", "", nil, fmt.Errorf("mime: attachment %q: not a part path such as 2 or 1.3", part)
	}
	p := newParser(raw, l)
	p.target = part
	p.parse()
	if p.src.err != nil {
		return "", "", nil, fmt.Errorf("mime: attachment %q: reading the message: %w", part, p.src.err)
	}
	if p.found == nil {
		return "", "", nil, fmt.Errorf("mime: attachment %q: no such part in the message", part)
	}
	if p.found.err != nil {
		return p.found.name, p.found.contentType, p.found.body, fmt.Errorf("mime: attachment %q: decoding: %w", part, p.found.err)
	}
	return p.found.name, p.found.contentType, p.found.body, nil
}

// validPartPath reports whether s is a dotted list of positive numbers.
func validPartPath(s string) bool {
	if s == "" || len(s) > 200 {
		return false
	}
	for _, n := range strings.Split(s, ".") {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || strconv.Itoa(v) != n {
			return false
		}
	}
	return true
}

// source reads the raw message: at most max bytes, hashed and counted. It
// remembers the first error of the underlying reader, so Parse can tell a
// failing reader from bad content.
type source struct {
	r         io.Reader
	max       int64
	n         int64
	h         hash.Hash
	err       error
	truncated bool
	done      bool
}

// Read implements io.Reader.
func (s *source) Read(b []byte) (int, error) {
	if s.done {
		return 0, io.EOF
	}
	if s.n >= s.max {
		s.checkMore()
		return 0, io.EOF
	}
	if int64(len(b)) > s.max-s.n {
		b = b[:s.max-s.n]
	}
	n, err := s.r.Read(b)
	s.n += int64(n)
	s.h.Write(b[:n])
	if err != nil {
		s.done = true
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
		return n, io.EOF
	}
	return n, nil
}

// checkMore looks whether the message goes on beyond the limit.
func (s *source) checkMore() {
	s.done = true
	var one [1]byte
	for range 100 {
		n, err := s.r.Read(one[:])
		if n > 0 {
			s.truncated = true
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.err = err
			}
			return
		}
	}
}

// foundPart is the part AttachmentContent looks for.
type foundPart struct {
	name, contentType string
	body              []byte
	err               error
}

// parser walks one message's MIME tree.
type parser struct {
	l      Limits
	src    *source
	msg    *Message
	top    header
	parts  int
	stop   bool // the part limit was hit
	text   strings.Builder
	html   string
	report bool // inside a delivery-status multipart/report
	// attached is the first message embedded outside a report, which a
	// plain bounce may return (dsn.go).
	attached *bounceOriginal
	target   string
	found    *foundPart
	seen     map[string]bool
}

func newParser(r io.Reader, l Limits) *parser {
	l = l.withDefaults()
	return &parser{
		l:    l,
		src:  &source{r: r, max: l.MaxBytes, h: sha256.New()},
		msg:  &Message{},
		seen: map[string]bool{},
	}
}

// problem records what could not be understood, once, and at most
// maxProblems of them.
func (p *parser) problem(format string, args ...any) {
	s := capUTF8(CleanLine(fmt.Sprintf(format, args...)), 300)
	if p.seen[s] || len(p.msg.Problems) >= maxProblems {
		return
	}
	p.seen[s] = true
	p.msg.Problems = append(p.msg.Problems, s)
}

// parse reads the whole message and fills p.msg.
func (p *parser) parse() {
	br := bufio.NewReaderSize(p.src, 64<<10)
	h, probs := readHeader(br, p.l.MaxHeader)
	for _, s := range probs {
		p.problem("header: %s", s)
	}
	p.top = h
	p.headers(h)
	p.entity(h, br, "", 0, "")
	// The rest (an epilogue, or what a limit left unread) still counts
	// for Size and Hash.
	_, _ = io.Copy(io.Discard, br)
	p.finish()
}

// finish sets what depends on the whole message.
func (p *parser) finish() {
	m := p.msg
	m.Size = p.src.n
	m.Hash = hex.EncodeToString(p.src.h.Sum(nil))
	m.Truncated = p.src.truncated
	if m.Truncated {
		p.problem("too large: more than %d bytes, the rest was not read", p.l.MaxBytes)
	}
	m.Text = CleanBody(p.text.String())
	if strings.TrimSpace(m.Text) == "" && p.html != "" {
		m.Text = CleanBody(htmlToText(p.html))
	}
	m.Text = capUTF8(m.Text, maxTextBytes)
	m.HTML = p.html
	if m.Report != nil && m.Report.OriginalMessageID == "" {
		switch {
		case len(m.InReplyTo) > 0:
			m.Report.OriginalMessageID = m.InReplyTo[0]
		case len(m.References) > 0:
			m.Report.OriginalMessageID = m.References[len(m.References)-1]
		}
	}
	if m.Report == nil {
		m.Report = p.plainBounce()
	}
}

// headers reads the top-level fields Herald uses.
func (p *parser) headers(h header) {
	m := p.msg
	m.MessageID = firstID(h.get("Message-Id"))
	if m.MessageID == "" && h.has("Message-Id") {
		p.problem("unparsable Message-ID")
	}
	m.InReplyTo = msgIDs(h.get("In-Reply-To"))
	m.References = lastIDs(strings.Join(h.values("References"), " "))
	m.Subject = CleanLine(p.decodeWords(h.get("Subject")))
	p.from(h.get("From"))
	m.To = p.addressList("To", h.values("To"))
	m.Cc = p.addressList("Cc", h.values("Cc"))
	if rt := p.addressList("Reply-To", h.values("Reply-To")); len(rt) > 0 {
		m.ReplyTo = rt[0]
	}
	if d := h.get("Date"); d != "" {
		t, err := mail.ParseDate(d)
		if err != nil {
			p.problem("unparsable Date")
		} else {
			m.Date = t
		}
	}
}

// from sets FromName and FromAddress.
func (p *parser) from(v string) {
	if strings.TrimSpace(v) == "" {
		p.problem("missing From")
		return
	}
	addrs, err := parseAddresses(v)
	if err != nil || len(addrs) == 0 {
		p.problem("unparsable From")
		return
	}
	p.msg.FromName = CleanLine(addrs[0].Name)
	p.msg.FromAddress = addrs[0].Address
}

// addressList returns the lower-cased addresses of the fields vs.
func (p *parser) addressList(key string, vs []string) []string {
	var out []string
	for _, v := range vs {
		addrs, err := parseAddresses(v)
		if err != nil {
			p.problem("unparsable %s", key)
		}
		for _, a := range addrs {
			if len(out) < maxAddresses {
				out = append(out, a.Address)
			}
		}
	}
	return out
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

// entity reads one MIME entity (the message itself or a part) whose header
// is h and whose undecoded body is body. path is its IMAP part path ("" for
// the message itself) and parent the media type of the enclosing multipart.
func (p *parser) entity(h header, body io.Reader, path string, depth int, parent string) {
	if p.stop {
		return
	}
	p.parts++
	if p.parts > p.l.MaxParts {
		p.problem("more than %d parts, the rest was skipped", p.l.MaxParts)
		p.stop = true
		return
	}
	ct, params := p.contentType(h, parent)
	if strings.HasPrefix(ct, "multipart/") {
		p.multipart(h, body, ct, params, path, depth)
		return
	}
	if path == "" {
		path = "1"
	}
	p.leaf(h, body, ct, params, path, parent)
}

// contentType returns the entity's lower-case media type and parameters,
// with the RFC 2046 defaults when it has none.
func (p *parser) contentType(h header, parent string) (string, map[string]string) {
	v := h.get("Content-Type")
	def := "text/plain"
	if parent == "multipart/digest" {
		def = "message/rfc822"
	}
	if strings.TrimSpace(v) == "" {
		return def, map[string]string{}
	}
	t, params, err := stdmime.ParseMediaType(v)
	if err != nil && !errors.Is(err, stdmime.ErrInvalidMediaParameter) {
		t, params = lenientMediaType(v)
		if t == "" {
			p.problem("unparsable Content-Type %q", capUTF8(v, 100))
			return def, params
		}
	}
	if params == nil {
		params = map[string]string{}
	}
	return strings.ToLower(t), params
}

// lenientMediaType reads "type/subtype; a=b; ..." ignoring what is broken.
func lenientMediaType(v string) (string, map[string]string) {
	params := map[string]string{}
	fields := strings.Split(v, ";")
	t := strings.ToLower(strings.TrimSpace(fields[0]))
	if strings.Count(t, "/") != 1 || strings.ContainsAny(t, " \t\"") {
		t = ""
	}
	for _, f := range fields[1:] {
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if _, dup := params[k]; !dup && k != "" {
			params[k] = val
		}
	}
	return t, params
}

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

// leaf reads a part that is not multipart.
func (p *parser) leaf(h header, body io.Reader, ct string, params map[string]string, path, parent string) {
	disp, name := p.disposition(h, params)
	if p.target != "" {
		if path == p.target {
			p.extract(h, body, ct, params, name)
		}
		return
	}
	inline := disp == "inline" || (disp == "" && parent == "multipart/related")
	switch {
	case ct == "message/delivery-status" || ct == "message/global-delivery-status":
		p.attach(name, ct, p.deliveryStatus(h, body, path), path, inline)
		return
	case ct == "message/rfc822" || ct == "message/global" || ct == "text/rfc822-headers":
		p.embedded(h, body, ct, path, name, inline)
		return
	case disp != "attachment" && name == "" && ct == "text/plain":
		p.textPart(h, body, params, path)
		return
	case disp != "attachment" && name == "" && ct == "text/html":
		p.htmlPart(h, body, params, path)
		return
	}
	size, err := p.count(h, body, path)
	if err != nil {
		p.problem("part %s: %v", path, err)
	}
	p.attach(name, ct, size, path, inline)
}

// attach records an attachment.
func (p *parser) attach(name, ct string, size int64, path string, inline bool) {
	p.msg.Attachments = append(p.msg.Attachments, Attachment{
		Name:        sanitizeName(name),
		ContentType: ct,
		Size:        size,
		Part:        path,
		Inline:      inline,
	})
}

// disposition returns the lower-case disposition ("" when there is none)
// and the file name from Content-Disposition or Content-Type.
func (p *parser) disposition(h header, ctParams map[string]string) (string, string) {
	v := h.get("Content-Disposition")
	disp, params := "", map[string]string{}
	if strings.TrimSpace(v) != "" {
		d, ps, err := stdmime.ParseMediaType(v)
		if err != nil && !errors.Is(err, stdmime.ErrInvalidMediaParameter) {
			d, ps = lenientDisposition(v)
		}
		disp, params = strings.ToLower(d), ps
	}
	name := params["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	if name == "" {
		name = p.rfc2231Name(h.get("Content-Disposition"), "filename*")
	}
	if name == "" {
		name = p.rfc2231Name(h.get("Content-Type"), "name*")
	}
	return disp, p.decodeWords(name)
}

// rfc2231Name decodes an RFC 2231 parameter such as
// filename*=iso-8859-1”r%E9sum%E9.pdf in a charset the standard library
// leaves out (it only knows UTF-8 and US-ASCII).
func (p *parser) rfc2231Name(v, key string) string {
	_, params := lenientMediaType("x/x;" + v)
	cs, rest, ok := strings.Cut(params[key], "'")
	if !ok {
		return ""
	}
	_, enc, ok := strings.Cut(rest, "'")
	if !ok {
		return ""
	}
	raw, err := url.PathUnescape(enc)
	if err != nil {
		return ""
	}
	return p.decodeCharset(cs, raw)
}

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

// lenientDisposition reads a broken Content-Disposition.
func lenientDisposition(v string) (string, map[string]string) {
	d, _, _ := strings.Cut(v, ";")
	_, params := lenientMediaType("x/x;" + v)
	return strings.ToLower(strings.TrimSpace(d)), params
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

// count reads a body to its end and returns its decoded size.
func (p *parser) count(h header, body io.Reader, path string) (int64, error) {
	n, err := io.Copy(io.Discard, p.transfer(h, body, path))
	if err != nil {
		return n, fmt.Errorf("reading the body: %w", err)
	}
	return n, nil
}

// embedded records a forwarded message (or the headers of one) as an
// attachment named after its subject, and takes the original Message-ID
// for a delivery report.
func (p *parser) embedded(h header, body io.Reader, ct, path, name string, inline bool) {
	cr := &countingReader{r: p.transfer(h, body, path)}
	br := bufio.NewReader(cr)
	inner, _ := readHeader(br, p.l.MaxHeader)
	if _, err := io.Copy(io.Discard, br); err != nil {
		p.problem("part %s: %v", path, err)
	}
	if p.report && p.msg.Report != nil && p.msg.Report.OriginalMessageID == "" {
		p.msg.Report.OriginalMessageID = firstID(inner.get("Message-Id"))
	}
	p.noteOriginal(inner)
	if name == "" {
		name = p.embeddedName(inner, ct)
	}
	p.attach(name, ct, cr.n, path, inline)
}

// embeddedName names a forwarded message after its subject.
func (p *parser) embeddedName(inner header, ct string) string {
	ext := ".eml"
	if ct == "text/rfc822-headers" {
		ext = ".txt"
	}
	if s := CleanLine(p.decodeWords(inner.get("Subject"))); s != "" {
		return capUTF8(s, maxNameBytes-len(ext)) + ext
	}
	return "message" + ext
}

// extract keeps the decoded body of the part AttachmentContent asked for.
func (p *parser) extract(h header, body io.Reader, ct string, params map[string]string, name string) {
	f := &foundPart{contentType: ct}
	if cs := params["charset"]; strings.HasPrefix(ct, "text/") && cs != "" {
		f.contentType = stdmime.FormatMediaType(ct, map[string]string{"charset": strings.ToLower(cs)})
		if f.contentType == "" {
			f.contentType = ct
		}
	}
	b, n, err := readCapped(p.decoded(h, body, params, p.target, false), p.l.MaxBytes)
	f.body, f.err = b, err
	if err == nil && n > int64(len(b)) {
		f.err = errors.New("larger than the limit")
	}
	embedded := ct == "message/rfc822" || ct == "message/global" || ct == "text/rfc822-headers"
	if name == "" && embedded {
		inner, _ := readHeader(bufio.NewReader(bytes.NewReader(b)), p.l.MaxHeader)
		name = p.embeddedName(inner, ct)
	}
	f.name = sanitizeName(name)
	p.found = f
	p.stop = true
}

// readCapped reads r to its end, keeping at most max bytes, and returns
// the kept bytes and the total read.
func readCapped(r io.Reader, max int64) ([]byte, int64, error) {
	if max < 0 {
		max = 0
	}
	b, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil {
		return b, int64(len(b)), fmt.Errorf("reading the body: %w", err)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil {
		return b, int64(len(b)) + n, fmt.Errorf("reading the body: %w", err)
	}
	return b, int64(len(b)) + n, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

// Read implements io.Reader.
func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// joinPath returns the IMAP path of the i-th child of path.
func joinPath(path string, i int) string {
	if path == "" {
		return strconv.Itoa(i)
	}
	return path + "." + strconv.Itoa(i)
}

// partName names a path in Problems.
func partName(path string) string {
	if path == "" {
		return "message"
	}
	return path
}

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

// parseAddresses reads an address list leniently: when it does not parse
// it takes whatever looks like an address.
func parseAddresses(v string) ([]*mail.Address, error) {
	ap := mail.AddressParser{WordDecoder: &stdmime.WordDecoder{CharsetReader: message.CharsetReader}}
	list, err := ap.ParseList(v)
	if err == nil {
		for _, a := range list {
			a.Address = strings.ToLower(a.Address)
		}
		return list, nil
	}
	var out []*mail.Address
	for _, id := range msgIDs(v) {
		if at := strings.IndexByte(id, '@'); at > 0 && at < len(id)-1 {
			out = append(out, &mail.Address{Address: strings.ToLower(id)})
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == '<' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
	}) {
		w = strings.Trim(w, `"'()[]`)
		if at := strings.IndexByte(w, '@'); at > 0 && at < len(w)-1 && utf8.ValidString(w) {
			out = append(out, &mail.Address{Address: strings.ToLower(w)})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("address list: %w", err)
	}
	return out, nil
}

// msgIDs returns the first maxIDs ids in angle brackets in v, without the
// brackets.
func msgIDs(v string) []string {
	return scanIDs(v, maxIDs)
}

// lastIDs returns the last maxIDs ids in v: in References the newest ones
// matter most for threading.
func lastIDs(v string) []string {
	ids := scanIDs(v, 1<<20)
	return slices.Clip(ids[max(len(ids)-maxIDs, 0):])
}

// scanIDs returns at most n ids in angle brackets in v.
func scanIDs(v string, n int) []string {
	var out []string
	for len(out) < n {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := cleanID(v[i+1 : i+j]); id != "" {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
	return out
}

// firstID returns the first message id in v; a bare id without brackets
// is accepted when it is one word with an @.
func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	v = strings.TrimSpace(v)
	if strings.Contains(v, "@") && !strings.ContainsAny(v, " \t<>") {
		return cleanID(v)
	}
	return ""
}

// cleanID returns id when it is a plausible message id, else "".
func cleanID(id string) string {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > maxIDLen || !utf8.ValidString(id) {
		return ""
	}
	if strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return ""
	}
	return id
}

// CleanLine makes s one line of valid UTF-8 without control characters
// or bidirectional overrides (which can disguise a file name's extension),
// its whitespace folded.
func CleanLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case bidiControl(r):
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// bidiControl reports whether r changes the direction of the text around
// it.
func bidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// CleanBody makes s valid UTF-8 with normalised line ends and without NUL
// or other control characters except tab and newline.
func CleanBody(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// trimPartialRune drops a UTF-8 sequence cut short at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// windows1252 decodes s from Windows-1252.
func windows1252(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}

// capUTF8 cuts s to at most n bytes without splitting a character.
func capUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sanitizeName makes a decoded file name safe to offer for download.
func sanitizeName(name string) string {
	name = CleanLine(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Trim(name, " .")
	name = strings.Map(func(r rune) rune {
		if r == ':' || r == '*' || r == '?' || r == '"' || r == '<' || r == '>' || r == '|' {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(capUTF8(name, maxNameBytes))
	if name == "" {
		return "attachment"
	}
	return name
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
