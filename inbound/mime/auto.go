package mime

import (
	"strings"
)

// automaticReason says why Herald must never answer m (RFC 3834), or ""
// when it looks like mail from a person. h is the message's header.
func automaticReason(h header, m *Message, own []string) string {
	if v := strings.ToLower(strings.TrimSpace(h.get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return "Auto-Submitted: " + CleanLine(v)
	}
	switch v := strings.ToLower(strings.TrimSpace(h.get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	if rp := strings.TrimSpace(h.get("Return-Path")); h.has("Return-Path") && (rp == "<>" || rp == "") {
		return "null Return-Path (a bounce or other automatic mail)"
	}
	for _, k := range []string{"List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond"} {
		if h.has(k) {
			return k + " present"
		}
	}
	if r := automaticSender(m.FromAddress, own); r != "" {
		return r
	}
	if v := strings.ToLower(h.get("X-Auto-Response-Suppress")); v != "" {
		for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			if w == "all" || w == "oof" {
				return "X-Auto-Response-Suppress: " + CleanLine(v)
			}
		}
	}
	if m.Report != nil {
		return "delivery status report"
	}
	return ""
}

// automaticSender says why mail from addr is automatic: a robot's mailbox
// or one of Herald's own addresses.
func automaticSender(addr string, own []string) string {
	if addr == "" {
		return ""
	}
	for _, o := range own {
		if strings.EqualFold(strings.TrimSpace(o), addr) {
			return "From Herald's own address " + addr
		}
	}
	local, _, _ := strings.Cut(addr, "@")
	local, _, _ = strings.Cut(local, "+")
	local = strings.ToLower(local)
	switch strings.NewReplacer("-", "", "_", "", ".", "").Replace(local) {
	case "mailerdaemon", "postmaster", "noreply", "donotreply", "dontreply":
		return "From a robot's address " + addr
	}
	return ""
}
