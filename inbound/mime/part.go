package mime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	stdmime "mime"
	"strconv"
	"strings"
)

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
