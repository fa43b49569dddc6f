package mime

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAutomatic(t *testing.T) {
	own := Options{Own: []string{"status@herald.example"}}
	cases := []struct {
		name, headers string
		o             Options
		want          string // part of the reason; "" for a person
	}{
		{"person", "From: Ann <ann@example.com>\n", Options{}, ""},
		{"auto-submitted no", "From: ann@example.com\nAuto-Submitted: no\n", Options{}, ""},
		{"auto-replied", "From: ann@example.com\nAuto-Submitted: auto-replied\n", Options{}, "Auto-Submitted: auto-replied"},
		{"auto-generated with comment", "From: ann@example.com\nAuto-Submitted: Auto-Generated (vacation)\n", Options{}, "Auto-Submitted: auto-generated"},
		{"precedence bulk", "From: news@example.com\nPrecedence: bulk\n", Options{}, "Precedence: bulk"},
		{"precedence junk", "From: news@example.com\nPrecedence: JUNK\n", Options{}, "Precedence: junk"},
		{"precedence list", "From: ann@example.com\nPrecedence: list\n", Options{}, "Precedence: list"},
		{"precedence first-class", "From: ann@example.com\nPrecedence: first-class\n", Options{}, ""},
		{"list-id", "From: ann@example.com\nList-Id: <ops.lists.example.com>\n", Options{}, "List-Id"},
		{"list-unsubscribe", "From: ann@example.com\nList-Unsubscribe: <mailto:leave@example.com>\n", Options{}, "List-Unsubscribe"},
		{"mailer-daemon", "From: MAILER-DAEMON@mx.example.com\n", Options{}, "robot"},
		{"postmaster", "From: Postmaster <postmaster@example.com>\n", Options{}, "robot"},
		{"noreply", "From: noreply@example.com\n", Options{}, "robot"},
		{"no-reply tagged", "From: No-Reply+alerts@example.com\n", Options{}, "robot"},
		{"do-not-reply", "From: do-not-reply@example.com\n", Options{}, "robot"},
		{"donotreply", "From: DoNotReply@example.com\n", Options{}, "robot"},
		{"reply-ish person", "From: replyguy@example.com\n", Options{}, ""},
		{"own address", "From: Acme Status <Status@Herald.Example>\n", own, "own address"},
		{"not own", "From: other@herald.example\n", own, ""},
		{"suppress all", "From: ann@example.com\nX-Auto-Response-Suppress: All\n", Options{}, "X-Auto-Response-Suppress"},
		{"suppress oof", "From: ann@example.com\nX-Auto-Response-Suppress: DR, OOF, AutoReply\n", Options{}, "X-Auto-Response-Suppress"},
		{"suppress dr only", "From: ann@example.com\nX-Auto-Response-Suppress: DR\n", Options{}, ""},
		{"null return-path", "Return-Path: <>\nFrom: ann@example.com\n", Options{}, "null Return-Path"},
		{"return-path person", "Return-Path: <ann@example.com>\nFrom: ann@example.com\n", Options{}, ""},
		{"x-autoreply", "From: ann@example.com\nX-Autoreply: yes\n", Options{}, "X-Autoreply"},
		{"delivery report", "From: ann@example.com\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\nFinal-Recipient: rfc822; a@b.test\nAction: failed\n\n--r--\n", Options{}, "delivery status report"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := c.headers
			if !strings.Contains(raw, "\n\n") {
				raw += "\nbody\n"
			}
			m := parseString(t, raw, c.o)
			if c.want == "" {
				require.Empty(t, m.Automatic)
				return
			}
			require.Contains(t, m.Automatic, c.want)
		})
	}
}
