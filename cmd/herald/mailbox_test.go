package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// With HERALD_IMAP_URL set, a customer's email in the support mailbox
// becomes one triage item through the real IMAP protocol and the job
// queue, is flagged \Seen, and the console can see the mailbox connected.
func TestSupportMailboxBecomesTriage(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			srv := imaptest.Start(t)
			a := startAppWith(t, d, false, appOptions{tick: time.Second}, "HERALD_IMAP_URL", imapURL(srv), "HERALD_IMAP_INTERVAL", "5s")
			ctx := t.Context()
			uid := srv.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <q1@acme.example>\r\n"+
				"Subject: Is the API down?\r\n\r\nWe get 500s since 10:00.\r\n"))

			var items []*status.IntakeItem
			require.Eventually(t, func() bool {
				var err error
				items, err = a.svc.Intake.Items(ctx, status.IntakeFilter{})
				return err == nil && len(items) == 1
			}, 30*time.Second, 100*time.Millisecond, "the email reaches the triage inbox")
			require.Equal(t, "Is the API down?", items[0].Title)
			require.Equal(t, status.IntakeEmail, items[0].Source)
			require.Eventually(t, func() bool {
				return slices.Contains(srv.Flags(t, "INBOX", uid), `\Seen`)
			}, 10*time.Second, 50*time.Millisecond, "flagged once stored")
			store := inbound.NewStore(a.db, inbound.StoreOptions{})
			require.Eventually(t, func() bool {
				boxes, err := store.Mailboxes(ctx)
				return err == nil && len(boxes) == 1 && boxes[0].Connected && boxes[0].LastUID == uid
			}, 10*time.Second, 100*time.Millisecond, "the mailbox state is kept for the console")
			time.Sleep(2 * time.Second)
			items, err := a.svc.Intake.Items(ctx, status.IntakeFilter{})
			require.NoError(t, err)
			require.Len(t, items, 1, "once")

			// A customer's reply to Herald's email joins the incident's
			// timeline, and its communication manager is told.
			p := statustest.Page(t, a.svc, nil)
			acme := statustest.Customer(t, a.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"},
				Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary}}})
			inc := statustest.Incident(t, a.svc, p.ID, &statustest.IncidentOpts{Title: "API errors",
				Visibility: status.VisibilityCustomers, Customers: []string{acme.ID}})
			manager := statustest.User(t, a.svc, &statustest.UserOpts{Email: "cm@herald.example"})
			require.NoError(t, a.svc.Incidents.AssignRole(ctx, p.ID, inc.ID, status.RoleComms, manager.ID, "test"))
			var sent []*comms.Email
			require.Eventually(t, func() bool {
				var err error
				sent, err = a.outbox.Emails(ctx, comms.EmailFilter{IncidentID: inc.ID, To: "wile@acme.example"})
				return err == nil && len(sent) == 1
			}, 30*time.Second, 100*time.Millisecond, "the declaration was emailed to the contact")
			srv.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <r1@acme.example>\r\n"+
				"In-Reply-To: <"+sent[0].MessageID+">\r\nSubject: Re: "+sent[0].Subject+"\r\n\r\nBack to normal here.\r\n"))
			require.Eventually(t, func() bool {
				tl, err := a.svc.Incidents.Timeline(ctx, p.ID, inc.ID)
				return err == nil && strings.Contains(tl[len(tl)-1].Text(), "Back to normal here.")
			}, 30*time.Second, 100*time.Millisecond, "the reply is on the timeline")
			require.Eventually(t, func() bool {
				es, err := a.outbox.Emails(ctx, comms.EmailFilter{To: "cm@herald.example"})
				return err == nil && len(es) == 1 && strings.Contains(es[0].Text, "Back to normal here.")
			}, 30*time.Second, 100*time.Millisecond, "the communication manager is told")
			items, err = a.svc.Intake.Items(ctx, status.IntakeFilter{})
			require.NoError(t, err)
			require.Len(t, items, 1, "the reply is no triage item")
		})
	}
}

// One replica at a time holds the mailbox lock; it is free again once
// released.
func TestMailboxLockIsHeldOnce(t *testing.T) {
	t.Parallel()
	bdb := dbtest.Open(t, "postgres")
	ctx := t.Context()
	first, release, err := db.HoldLock(ctx, bdb, inbound.MailboxLockKey)
	require.NoError(t, err)
	_, _, err = db.HoldLock(ctx, bdb, inbound.MailboxLockKey)
	require.ErrorIs(t, err, db.ErrLockHeld)
	release()
	require.Error(t, first.Err(), "the holder's context ends with the lock")
	_, release2, err := db.HoldLock(ctx, bdb, inbound.MailboxLockKey)
	require.NoError(t, err, "free again")
	release2()
}

// Dismissing an emailed item as not an incident forwards it to the
// service desk over SMTP, the original attached, Reply-To its sender.
func TestDismissedEmailGoesToTheServiceDesk(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			imap := imaptest.Start(t)
			smtp := mailtest.Start(t)
			a := startAppWith(t, d, false, appOptions{tick: time.Second}, "HERALD_IMAP_URL", imapURL(imap),
				"HERALD_SMTP_URL", fmt.Sprintf("smtp://%s?tls=none", smtp.Addr), "HERALD_SERVICE_DESK_EMAIL", "desk@herald.example")
			ctx := status.WithActor(t.Context(), status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
			original := "From: Wile <wile@acme.example>\r\nMessage-ID: <inv1@acme.example>\r\nSubject: Invoice 42 is wrong\r\n\r\nPlease fix the amount.\r\n"
			imap.Append(t, "INBOX", []byte(original))
			var items []*status.IntakeItem
			require.Eventually(t, func() bool {
				var err error
				items, err = a.svc.Intake.Items(ctx, status.IntakeFilter{})
				return err == nil && len(items) == 1
			}, 30*time.Second, 100*time.Millisecond)
			item, err := a.svc.Intake.Dismiss(ctx, items[0].ID, "Billing question.")
			require.NoError(t, err)
			require.Equal(t, "Billing question.\nForwarded to desk@herald.example.", item.Note)

			require.Eventually(t, func() bool { return smtp.Count() == 1 }, 30*time.Second, 100*time.Millisecond, "forwarded")
			msg := smtp.Messages()[0]
			require.Equal(t, []string{"desk@herald.example"}, msg.To)
			r, err := gomail.CreateReader(bytes.NewReader(msg.Data))
			require.NoError(t, err)
			subj, err := r.Header.Subject()
			require.NoError(t, err)
			require.Equal(t, "Fwd: Invoice 42 is wrong", subj)
			replyTo, err := r.Header.AddressList("Reply-To")
			require.NoError(t, err)
			require.Equal(t, "wile@acme.example", replyTo[0].Address)
			var text, attached string
			for {
				p, err := r.NextPart()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				body, err := io.ReadAll(p.Body)
				require.NoError(t, err)
				switch h := p.Header.(type) {
				case *gomail.AttachmentHeader:
					name, _ := h.Filename()
					require.Equal(t, "original.eml", name)
					attached = string(body)
				default:
					text += string(body)
				}
			}
			require.Contains(t, text, "Dismissed by: Ada")
			require.Contains(t, text, "Reason: Billing question.")
			require.Contains(t, text, "Please fix the amount.")
			require.Equal(t, original, attached, "the original, byte for byte")
		})
	}
}

// With HERALD_MAIL_ACKNOWLEDGE on, a person who writes in is answered once,
// automatic mail never; a reply naming the incident's reference joins it
// and is answered with the reference.
func TestSupportMailboxAcknowledges(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			srv := imaptest.Start(t)
			a := startAppWith(t, d, false, appOptions{tick: time.Second}, "HERALD_IMAP_URL", imapURL(srv), "HERALD_MAIL_ACKNOWLEDGE", "true")
			ctx := t.Context()
			p := statustest.Page(t, a.svc, &statustest.PageOpts{Name: "Shop"})
			inc := statustest.Incident(t, a.svc, p.ID, &statustest.IncidentOpts{Title: "Checkout down"})
			srv.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <q1@acme.example>\r\nSubject: Is checkout down?\r\n\r\n?\r\n"))
			srv.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <ooo@acme.example>\r\nAuto-Submitted: auto-replied\r\n"+
				"Subject: Out of office\r\n\r\nAway.\r\n"))
			srv.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <q2@acme.example>\r\nSubject: Still down "+
				inc.Reference()+"\r\n\r\nStill failing.\r\n"))
			var acks []*comms.Email
			require.Eventually(t, func() bool {
				var err error
				acks, err = a.outbox.Emails(ctx, comms.EmailFilter{To: "wile@acme.example"})
				return err == nil && len(acks) == 2
			}, 30*time.Second, 100*time.Millisecond, "one answer to the question, one to the reply, none to the auto-reply")
			time.Sleep(2 * time.Second)
			acks, err := a.outbox.Emails(ctx, comms.EmailFilter{To: "wile@acme.example"})
			require.NoError(t, err)
			require.Len(t, acks, 2)
			subjects := acks[0].Subject + "\n" + acks[1].Subject
			require.Contains(t, subjects, "[Support] Re: Is checkout down?")
			require.Contains(t, subjects, "[Shop] Re: Still down "+inc.Reference())
			tl, err := a.svc.Incidents.Timeline(ctx, p.ID, inc.ID)
			require.NoError(t, err)
			require.Contains(t, tl[len(tl)-1].Text(), "Still failing.")
		})
	}
}

// imapURL is HERALD_IMAP_URL for the test server's INBOX, without TLS.
func imapURL(srv *imaptest.Server) string {
	u := url.URL{Scheme: "imap", User: url.UserPassword(imaptest.DefaultUsername, imaptest.DefaultPassword),
		Host: fmt.Sprintf("%s:%d", srv.Host(), srv.Port()), Path: "/INBOX", RawQuery: "tls=none"}
	return u.String()
}
