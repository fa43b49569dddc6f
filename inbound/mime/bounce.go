package mime

import (
	"regexp"
	"strings"
)

// Plain bounces. Many mail systems (Exim and qmail by default, older
// Postfix, Exchange on some paths) return undeliverable mail without an
// RFC 3464 report: a notice in plain text, followed by a copy of the
// message or its header, inline or attached. Herald reads such a notice as
// a report only when it is sure: it comes from a mail system (a null
// Return-Path, RFC 5321 §4.5.5, or MAILER-DAEMON/postmaster), says that a
// delivery failed or is delayed, and returns exactly one original whose
// Message-ID it quotes in a header block. The report names the original's
// one recipient when its To: does, else the X-Failed-Recipients: of Exim;
// the Outbox then matches it only to an email Herald sent with that
// Message-ID to that recipient.

// bounceOriginal is what a bounce shows of the message it returns.
type bounceOriginal struct {
	messageID string
	to        string // its one recipient, "" unless exactly one
}

// noteOriginal keeps the header of the first message embedded outside a
// delivery report (message/rfc822, text/rfc822-headers): a plain bounce
// may attach the message it returns.
func (p *parser) noteOriginal(inner header) {
	if p.report || p.attached != nil {
		return
	}
	if id := firstID(inner.get("Message-Id")); id != "" {
		p.attached = &bounceOriginal{messageID: id, to: onlyAddress(inner.values("To"))}
	}
}

// plainBounce returns the report a plain bounce makes, or nil when the
// message is none (see above).
func (p *parser) plainBounce() *DeliveryReport {
	m := p.msg
	if !fromMailSystem(p.top, m.FromAddress) {
		return nil
	}
	notice, orig := m.Text, p.attached
	if orig == nil {
		var at int
		if orig, at = quotedOriginal(m.Text); orig == nil {
			return nil
		}
		notice = m.Text[:at]
	}
	action := bounceAction(notice)
	if action == "" {
		return nil
	}
	rcpt := orig.to
	if rcpt == "" {
		rcpt = onlyAddress(p.top.values("X-Failed-Recipients"))
	}
	status, diag := bounceDiagnostic(notice, action)
	return &DeliveryReport{OriginalMessageID: orig.messageID,
		Recipients: []ReportRecipient{{Address: rcpt, Action: action, Status: status, Diagnostic: diag}}}
}

// fromMailSystem reports whether a message comes from a mail system
// rather than a person: a null Return-Path, or a mail system's mailbox.
func fromMailSystem(h header, from string) bool {
	if rp := strings.TrimSpace(h.get("Return-Path")); h.has("Return-Path") && (rp == "<>" || rp == "") {
		return true
	}
	local, _, _ := strings.Cut(from, "@")
	switch strings.NewReplacer("-", "", "_", "", ".", "").Replace(strings.ToLower(local)) {
	case "mailerdaemon", "maildaemon", "postmaster":
		return true
	}
	return false
}

// onlyAddress returns the one address in the header values vs, lower
// case; "" when they hold none or more than one.
func onlyAddress(vs []string) string {
	var found []string
	for _, v := range vs {
		addrs, _ := parseAddresses(v)
		for _, a := range addrs {
			found = append(found, a.Address)
		}
	}
	if len(found) != 1 || !strings.Contains(found[0], "@") || !validReportAddress(found[0]) {
		return ""
	}
	return found[0]
}

// validReportAddress reports whether addr can stand in a report: printable
// ASCII without spaces, as Herald's own recipients are.
func validReportAddress(addr string) bool {
	if len(addr) > 254 {
		return false
	}
	for i := 0; i < len(addr); i++ {
		if addr[i] <= ' ' || addr[i] >= 0x7f {
			return false
		}
	}
	return true
}

var (
	// headerLine is a header field's first line, possibly indented or
	// quoted with "> ".
	headerLine = regexp.MustCompile(`^[ \t>]*([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]*(.*)$`)
	// replyCode finds an SMTP reply code (RFC 5321 §4.2) for a failure or
	// delay, and enhancedCode an enhanced status code (RFC 3463).
	replyCode    = regexp.MustCompile(`(?:^|[\s:])[45][0-9]{2}(?:[ -]|$)`)
	enhancedCode = regexp.MustCompile(`(?:^|[^0-9.])([245]\.[0-9]{1,3}\.[0-9]{1,3})(?:[^0-9.]|$)`)
)

// quotedOriginal finds the header of the message a bounce returns in its
// text: blocks of header lines (three at least, one of them Message-ID and
// one From, To, Subject or Date). It returns nil when there is none, or
// when blocks name different Message-IDs; at is where the first block
// starts, the notice being what comes before.
func quotedOriginal(text string) (orig *bounceOriginal, at int) {
	lines := strings.SplitAfter(text, "\n")
	offset := 0
	for i := 0; i < len(lines); {
		if strings.TrimSpace(lines[i]) == "" {
			offset += len(lines[i])
			i++
			continue
		}
		start, j := offset, i
		for j < len(lines) && strings.TrimSpace(lines[j]) != "" {
			offset += len(lines[j])
			j++
		}
		if b := headerBlock(lines[i:j]); b != nil {
			switch {
			case orig == nil:
				orig, at = b, start
			case orig.messageID != b.messageID:
				return nil, 0 // two originals: which one failed?
			case orig.to == "":
				orig.to = b.to
			}
		}
		i = j
	}
	return orig, at
}

// headerBlock reads lines, a block without blank lines, as a message
// header; nil unless every line is a field or a continuation and the
// fields hold a Message-ID and one of From, To, Subject or Date.
func headerBlock(lines []string) *bounceOriginal {
	var fields []string // "Name: value", continuations joined
	for _, l := range lines {
		l = strings.TrimRight(l, "\r\n")
		if m := headerLine.FindStringSubmatch(l); m != nil {
			fields = append(fields, strings.ToLower(m[1])+":"+m[2])
			continue
		}
		if len(fields) > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			fields[len(fields)-1] += " " + strings.TrimSpace(l)
			continue
		}
		return nil
	}
	if len(fields) < 3 {
		return nil
	}
	var id string
	var to []string
	described := false
	for _, f := range fields {
		name, value, _ := strings.Cut(f, ":")
		switch name {
		case "message-id":
			if id != "" {
				return nil
			}
			if id = firstID(value); id == "" {
				return nil
			}
		case "to":
			to = append(to, value)
			described = true
		case "from", "subject", "date":
			described = true
		}
	}
	if id == "" || !described {
		return nil
	}
	return &bounceOriginal{messageID: id, to: onlyAddress(to)}
}

// bounceAction reads what a bounce's notice says: "failed", "delayed", or
// "" when it says neither (then it is no bounce Herald understands).
func bounceAction(notice string) string {
	s := strings.Join(strings.Fields(strings.ToLower(notice)), " ")
	has := func(phrases ...string) bool {
		for _, p := range phrases {
			if strings.Contains(s, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("permanent error", "permanent failure", "failed permanently", "i've given up", "i have given up"):
		return "failed"
	case has("not yet been delivered", "delivery attempts will continue", "will keep trying", "will retry", "still trying",
		"delivery is delayed", "delivery has been delayed", "delivery delayed", "temporarily deferred"):
		return "delayed"
	case has("could not be delivered", "couldn't be delivered", "was not delivered", "wasn't able to deliver",
		"was unable to deliver", "unable to deliver", "undeliverable", "delivery failed", "delivery has failed",
		"address(es) failed", "addresses failed", "following recipients failed"):
		return "failed"
	}
	return ""
}

// bounceDiagnostic picks the status and the server's words from a
// notice: the first line with an SMTP reply code, and the enhanced status
// code in it (else in the notice, else 5.0.0 or 4.0.0). A delay never
// carries a permanent code.
func bounceDiagnostic(notice, action string) (status, diagnostic string) {
	for _, l := range strings.Split(notice, "\n") {
		if replyCode.MatchString(l) {
			diagnostic = capUTF8(CleanLine(l), 300)
			if m := enhancedCode.FindStringSubmatch(l); m != nil {
				status = m[1]
			}
			break
		}
	}
	if status == "" {
		if m := enhancedCode.FindStringSubmatch(notice); m != nil {
			status = m[1]
		}
	}
	switch {
	case action == "delayed" && !strings.HasPrefix(status, "4."):
		status = "4.0.0"
	case status == "" || strings.HasPrefix(status, "2."):
		status = "5.0.0"
	}
	return status, diagnostic
}
