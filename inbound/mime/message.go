package mime

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/mail"
	"strconv"
	"strings"
	"time"
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
	Limits Limits   // zero fields take their defaults
	Own    []string // Herald's own From addresses (lower-case); mail from them is Automatic
}

// Message is what Herald understands of one raw email.
type Message struct {
	MessageID             string    // without angle brackets; "" when missing or unparsable
	InReplyTo             []string  // ids without brackets
	References            []string  // ids without brackets, oldest first
	FromName, FromAddress string    // FromAddress lower-cased; "" when missing or unparsable (Problem noted)
	To, Cc                []string  // lower-cased addresses
	ReplyTo               string    // lower-cased address
	Subject               string    // RFC 2047 decoded, control characters removed, whitespace folded
	Date                  time.Time // the Date field; zero when missing or unparsable
	// Text is the readable body: text/plain preferred, else the HTML part
	// converted to text; at most 1 MiB.
	Text string
	// HTML is the HTML alternative as received (decoded to UTF-8, at most
	// 1 MiB), "" if none; only for showing after sanitising elsewhere.
	HTML string
	// Attachments are the parts that are not the readable body, in the
	// order of the message.
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
	Inline      bool   // shown in the body (disposition inline, or part of a multipart/related)
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
	// plain bounce may return (bounce.go).
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
	m.Text = p.readableText()
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
