package mime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func readBounce(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return crlf(string(b))
}

// Bounces that are no RFC 3464 report (issue 14.11) are matched to the
// email they return by its Message-ID, quoted in their text or attached,
// as mail systems write them: Exim, qmail, Postfix without a report.
func TestPlainTextBounces(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file, id string
		want     ReportRecipient
	}{
		{"exim-bounce.eml", "u.0001.s.0002@status.northwind.example",
			ReportRecipient{Address: "gone@example.com", Action: "failed", Status: "5.1.1",
				Diagnostic: "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown in virtual mailbox table"}},
		{"qmail-bounce.eml", "m.01jdx8k2.ack@status.northwind.example",
			ReportRecipient{Address: "old.user@example.org", Action: "failed", Status: "5.1.1",
				Diagnostic: "Remote host said: 550 5.1.1 <old.user@example.org>... User unknown"}},
		{"postfix-text-bounce.eml", "u.0004.c.0005@status.northwind.example",
			ReportRecipient{Address: "full@example.com", Action: "failed", Status: "5.2.2",
				Diagnostic: "<full@example.com>: host mail.example.com[192.0.2.30] said: 552 5.2.2"}},
		{"exim-delay.eml", "u.0006.s.0007@status.northwind.example",
			ReportRecipient{Address: "slow@example.com", Action: "delayed", Status: "4.7.1",
				Diagnostic: "451 4.7.1 Greylisted, please try again later"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			m := parseString(t, readBounce(t, c.file), Options{Own: []string{"status@status.northwind.example"}})
			require.NotNil(t, m.Report, "a bounce")
			require.Equal(t, c.id, m.Report.OriginalMessageID)
			require.Equal(t, []ReportRecipient{c.want}, m.Report.Recipients)
			require.Equal(t, c.want.Action == "failed", m.Report.Recipients[0].Permanent())
			require.NotEmpty(t, m.Automatic, "never answered")
		})
	}
}

// Matching is conservative: only a mail system's message that says a
// delivery failed or is delayed, and quotes one original, is a bounce.
// Anything else stays mail for a person to read.
func TestPlainTextBouncesConservative(t *testing.T) {
	t.Parallel()
	exim := readBounce(t, "exim-bounce.eml")
	quoted := "\r\n\r\nFrom: Northwind Status <status@status.northwind.example>\r\nTo: wile@acme.example\r\n" +
		"Subject: [Northwind] API errors\r\nMessage-ID: <u.0001.s.0002@status.northwind.example>\r\n\r\nAPI errors\r\n"
	for _, c := range []struct{ name, raw string }{
		{"a person forwards Herald's email", crlf("From: Wile <wile@acme.example>\nMessage-ID: <f1@acme.example>\n"+
			"Subject: Fwd: [Northwind] API errors\n\nThis could not be delivered to my colleague?\n\n---------- Forwarded message ---------") + quoted},
		{"an out-of-office reply quoting the headers", crlf("Return-Path: <>\nFrom: Wile <wile@acme.example>\nAuto-Submitted: auto-replied\n"+
			"Subject: Out of office\n\nI am away until Monday.") + quoted},
		{"a mail system's notice of success", crlf("Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net\nSubject: Delivery report\n\n"+
			"Your message was delivered to the following recipients.") + quoted},
		{"a bounce without the original's Message-ID", strings.Replace(exim, "Message-ID: <u.0001.s.0002@status.northwind.example>\r\n", "", 1)},
		{"a Message-ID outside a header block", crlf("Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n" +
			"Delivery failed permanently.\n\nMessage-ID: <u.0001.s.0002@status.northwind.example>\n")},
		{"two different originals", exim + "\r\n" + strings.ReplaceAll(quoted, "u.0001.s.0002", "u.9999.s.9999")},
		{"malicious Message-ID", strings.Replace(exim, "<u.0001.s.0002@status.northwind.example>", "<u.1'; DROP TABLE emails;-- x@y\x00>", 1)},
		{"empty", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := parseString(t, c.raw, Options{})
			require.Nil(t, m.Report)
		})
	}
	// The same original twice (a notice that names its Message-ID, then
	// the copy) is one original.
	twice := strings.Replace(exim, "------ This is a copy", "Message-ID: <u.0001.s.0002@status.northwind.example>\r\nDate: Tue, 24 Nov 2026\r\nTo: gone@example.com\r\n\r\n------ This is a copy", 1)
	m := parseString(t, twice, Options{})
	require.NotNil(t, m.Report)
	require.Equal(t, "u.0001.s.0002@status.northwind.example", m.Report.OriginalMessageID)

	// Huge: the copy after a megabyte of notice still counts, within the
	// text limit, and parsing stays quick.
	huge := strings.Replace(exim, "------ This is a copy", strings.Repeat("x", 900<<10)+"\r\n\r\n------ This is a copy", 1)
	m = parseString(t, huge, Options{})
	require.NotNil(t, m.Report)
	require.Equal(t, "gone@example.com", m.Report.Recipients[0].Address)
}
