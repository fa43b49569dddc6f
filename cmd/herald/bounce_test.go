package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A plain-text bounce (no RFC 3464 report, as Exim and qmail send them)
// that quotes one of Herald's emails marks that email failed, through the
// real SMTP and IMAP protocols and the job queue (issue 14.11); it is no
// triage item. A person forwarding the same email is mail to read.
func TestPlainTextBounceMarksTheEmail(t *testing.T) {
	t.Parallel()
	exim, err := os.ReadFile("../../inbound/mime/testdata/exim-bounce.eml")
	require.NoError(t, err)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			imap := imaptest.Start(t)
			smtp := mailtest.Start(t)
			a := startAppWith(t, d, false, appOptions{tick: time.Second}, "HERALD_IMAP_URL", imapURL(imap),
				"HERALD_SMTP_URL", fmt.Sprintf("smtp://%s?tls=none", smtp.Addr))
			ctx := t.Context()
			p := statustest.Page(t, a.svc, nil)
			acme := statustest.Customer(t, a.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"},
				Contacts: []status.ContactInput{{Name: "Gone", Email: "gone@acme.example", Role: status.ContactPrimary}}})
			inc := statustest.Incident(t, a.svc, p.ID, &statustest.IncidentOpts{Title: "API errors",
				Visibility: status.VisibilityCustomers, Customers: []string{acme.ID}})
			sentTo := comms.EmailFilter{IncidentID: inc.ID, To: "gone@acme.example", Status: comms.EmailSent}
			require.Eventually(t, func() bool {
				sent, err := a.outbox.Emails(ctx, sentTo)
				return err == nil && len(sent) == 1
			}, 30*time.Second, 100*time.Millisecond, "the declaration was sent to the contact")
			sent, err := a.outbox.Emails(ctx, sentTo)
			require.NoError(t, err)

			bounce := strings.NewReplacer("u.0001.s.0002@status.northwind.example", sent[0].MessageID,
				"gone@example.com", "gone@acme.example").Replace(string(exim))
			imap.Append(t, "INBOX", []byte(strings.ReplaceAll(strings.ReplaceAll(bounce, "\r\n", "\n"), "\n", "\r\n")))
			require.Eventually(t, func() bool {
				e, err := a.outbox.Emails(ctx, comms.EmailFilter{IncidentID: inc.ID, To: "gone@acme.example"})
				return err == nil && len(e) == 1 && e[0].Status == comms.EmailFailed
			}, 30*time.Second, 100*time.Millisecond, "the bounce marks the email failed")
			e, err := a.outbox.Emails(ctx, comms.EmailFilter{IncidentID: inc.ID, To: "gone@acme.example"})
			require.NoError(t, err)
			require.Contains(t, e[0].LastError, "bounced: 5.1.1 550 5.1.1 <gone@acme.example>: Recipient address rejected")

			// Forwarded by a person, the same text is a question for triage.
			imap.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <fwd1@acme.example>\r\n"+
				"Subject: Fwd: Mail delivery failed\r\n\r\nWhat does this mean?\r\n\r\n"+strings.SplitN(strings.ReplaceAll(bounce, "\n", "\r\n"), "\r\n\r\n", 2)[1]))
			require.Eventually(t, func() bool {
				items, err := a.svc.Intake.Items(ctx, status.IntakeFilter{})
				return err == nil && len(items) == 1 && items[0].Title == "Fwd: Mail delivery failed"
			}, 30*time.Second, 100*time.Millisecond, "the forward is a triage item, the bounce is none")
		})
	}
}
