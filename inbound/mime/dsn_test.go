package mime

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDeliveryReportRecipients(t *testing.T) {
	raw := crlf(`From: postmaster@mx.example.net
Subject: Delivery Status Notification (Failure)
References: <older@herald.example> <incident-9.update-1@herald.example>
Content-Type: multipart/report; report-type="delivery-status"; boundary=rep

--rep
Content-Type: text/plain

Delivery has failed to these recipients.
--rep
Content-Type: message/delivery-status

Reporting-MTA: dns;mx.example.net
Arrival-Date: Tue, 24 Nov 2026 10:00:00 +0000

Original-Recipient: rfc822;First@Example.net
Action: failed
Status: 5.2.2 (mailbox full)
Diagnostic-Code: smtp;552 5.2.2 Mailbox full

Final-Recipient: RFC822; <second@example.net>
Action: Delivered
Status: 2.0.0

Final-Recipient: rfc822; third@example.net
Action: relayed
Status: 2.0.0
--rep
Content-Type: text/rfc822-headers

From: status@herald.example
Subject: Investigating
Message-ID: <incident-9.update-2@herald.example>
--rep--
`)
	m := parseString(t, raw, Options{})
	require.NotNil(t, m.Report)
	require.Equal(t, "incident-9.update-2@herald.example", m.Report.OriginalMessageID)
	require.Equal(t, []ReportRecipient{
		{Address: "first@example.net", Action: "failed", Status: "5.2.2", Diagnostic: "552 5.2.2 Mailbox full"},
		{Address: "second@example.net", Action: "delivered", Status: "2.0.0"},
		{Address: "third@example.net", Action: "relayed", Status: "2.0.0"},
	}, m.Report.Recipients)
	require.True(t, m.Report.Recipients[0].Permanent())
	require.False(t, m.Report.Recipients[1].Permanent())
	require.Equal(t, "Delivery has failed to these recipients.", m.Text)
	require.Len(t, m.Attachments, 2)
	require.Equal(t, "message/delivery-status", m.Attachments[0].ContentType)
	require.Equal(t, "2", m.Attachments[0].Part)
	require.Equal(t, int64(strings.Index(raw, "\r\n--rep\r\nContent-Type: text/rfc822")-strings.Index(raw, "Reporting-MTA")), m.Attachments[0].Size)
	require.Equal(t, "Investigating.txt", m.Attachments[1].Name)

	// Without the original's headers it falls back to References.
	noOriginal := crlf(`From: postmaster@mx.example.net
References: <older@herald.example> <incident-9.update-1@herald.example>
Content-Type: multipart/report; report-type=delivery-status; boundary=rep

--rep
Content-Type: message/delivery-status

Final-Recipient: rfc822; a@example.net
Action: failed
Status: 5.0.0
--rep--
`)
	m = parseString(t, noOriginal, Options{})
	require.NotNil(t, m.Report)
	require.Equal(t, "incident-9.update-1@herald.example", m.Report.OriginalMessageID)
	require.Len(t, m.Report.Recipients, 1)

	// Other reports (e.g. read receipts) are not delivery reports.
	mdn := crlf(`From: ann@example.com
Content-Type: multipart/report; report-type=disposition-notification; boundary=rep

--rep
Content-Type: text/plain

Read.
--rep--
`)
	m = parseString(t, mdn, Options{})
	require.Nil(t, m.Report)
	require.Equal(t, "Read.", m.Text)
}

func TestWithoutType(t *testing.T) {
	require.Equal(t, "a@b.test", withoutType("rfc822; a@b.test"))
	require.Equal(t, "a@b.test", withoutType("rfc822;a@b.test"))
	require.Equal(t, "550 no such user", withoutType("smtp; 550 no such user"))
	require.Equal(t, "no type here", withoutType("no type here"))
	require.Equal(t, "a@b.test; x", withoutType("a@b.test; x"))
}
