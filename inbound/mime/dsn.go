package mime

import (
	"bufio"
	"io"
	"strings"
)

// maxReportRecipients bounds the recipients read from one delivery report.
const maxReportRecipients = 1000

// DeliveryReport is what a delivery status notification (RFC 3464), or a
// plain-text bounce Herald is sure of (see bounce.go), says about a
// message Herald sent.
type DeliveryReport struct {
	// OriginalMessageID is the Message-ID of the message the report is
	// about, without angle brackets; "" when the report does not say.
	OriginalMessageID string
	// Recipients are the report's per-recipient groups, at most 1,000.
	Recipients []ReportRecipient
}

// ReportRecipient is one per-recipient group of a delivery report.
type ReportRecipient struct {
	Address    string // lower-cased, without the "rfc822;" type
	Action     string // lower-case: failed, delayed, delivered, relayed or expanded
	Status     string // e.g. 5.1.1
	Diagnostic string // the Diagnostic-Code without its type, e.g. "550 5.1.1 User unknown"
}

// Permanent reports whether the recipient's delivery failed for good
// (Action failed, or Status 5.x.x).
func (r ReportRecipient) Permanent() bool {
	return r.Action == "failed" || strings.HasPrefix(r.Status, "5.")
}

// deliveryStatus reads a message/delivery-status part: the per-message
// fields, then one group of fields per recipient. It returns the part's
// decoded size.
func (p *parser) deliveryStatus(h header, body io.Reader, path string) int64 {
	cr := &countingReader{r: p.transfer(h, body, path)}
	br := bufio.NewReader(cr)
	groups := readGroups(br, p.l.MaxHeader)
	if _, err := io.Copy(io.Discard, br); err != nil {
		p.problem("part %s: %v", path, err)
	}
	if p.msg.Report == nil {
		p.msg.Report = &DeliveryReport{}
	}
	for i, g := range groups {
		if i == 0 && !g.has("Final-Recipient") && !g.has("Original-Recipient") {
			continue // the per-message fields
		}
		if len(p.msg.Report.Recipients) < maxReportRecipients {
			p.msg.Report.Recipients = append(p.msg.Report.Recipients, reportRecipient(g))
		}
	}
	if len(p.msg.Report.Recipients) == 0 {
		p.problem("part %s: delivery status without recipients", path)
	}
	return cr.n
}

// readGroups reads blank-line separated groups of header fields to the end
// of br.
func readGroups(br *bufio.Reader, maxField int) []fields {
	var out []fields
	for len(out) <= maxReportRecipients {
		if _, err := br.Peek(1); err != nil {
			break
		}
		g, _ := readHeader(br, maxField)
		if len(g.m) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// reportRecipient reads one per-recipient group.
func reportRecipient(g fields) ReportRecipient {
	addr := withoutType(g.get("Final-Recipient"))
	if addr == "" {
		addr = withoutType(g.get("Original-Recipient"))
	}
	status, _, _ := strings.Cut(strings.TrimSpace(g.get("Status")), " ")
	return ReportRecipient{
		Address:    strings.ToLower(strings.Trim(addr, "<>")),
		Action:     strings.ToLower(CleanLine(g.get("Action"))),
		Status:     CleanLine(status),
		Diagnostic: CleanLine(withoutType(g.get("Diagnostic-Code"))),
	}
}

// withoutType strips the "rfc822;" or "smtp;" type before a value.
func withoutType(v string) string {
	v = strings.TrimSpace(v)
	if t, rest, ok := strings.Cut(v, ";"); ok && t != "" && !strings.ContainsAny(strings.TrimSpace(t), " \t@") {
		return strings.TrimSpace(rest)
	}
	return CleanLine(v)
}
