package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	gomail "github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A communication manager asks the affected customer to confirm that the
// services are back; the request goes out by SMTP to the customer's
// primary contact only, the contact's answer comes back through the
// support mailbox (IMAP) onto the incident's timeline, and the console
// offers it as the confirmation, records it and closes the incident.
func TestConfirmationAnsweredByEmailInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			imap := imaptest.Start(t)
			smtp := mailtest.Start(t)
			a := startAppWith(t, d, false, appOptions{tick: time.Second}, "HERALD_IMAP_URL", imapURL(imap),
				"HERALD_SMTP_URL", fmt.Sprintf("smtp://%s?tls=none", smtp.Addr))
			f := setupEmailedConfirmation(t, a, imap, smtp)
			f.sess = newSession(t, browser)
			// Each step is a subtest, so that its tabs close when it ends;
			// a failed step stops the walk.
			for _, step := range []struct {
				name string
				run  func(*testing.T)
			}{
				{"request", f.request},
				{"email", f.readRequestEmail},
				{"reply", f.reply},
				{"confirm", f.confirm},
				{"close", f.close},
			} {
				if !t.Run(step.name, step.run) {
					return
				}
			}
			t.Logf("%s: the emailed confirmation took %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// The words of the walk.
const (
	confirmSupport = "support@shop.example"                  // the page's support address
	confirmWile    = "wile@acme.example"                     // Acme's primary contact
	confirmTech    = "rr@acme.example"                       // Acme's technical contact
	confirmAsk     = "Does checkout work for you again?"     // the request's message
	confirmAnswer  = "All good here, checkout works again."  // Wile's reply
	confirmSubject = "Please confirm your services are back" // in the request's subject
)

// emailedConfirmation is one incident whose confirmation is asked and
// answered by email.
type emailedConfirmation struct {
	w       flowWorld
	imap    *imaptest.Server
	smtp    *mailtest.Server
	inc     *status.Incident
	sess    context.Context
	console string // the incident's console URL

	messageID, replyTo, subject string // of the request's email
}

// setupEmailedConfirmation sets up through the service a page with a
// support address, the customer Acme with a primary and a technical
// contact, a customers-only incident affecting Acme and Casey, the
// communication manager who signs in.
func setupEmailedConfirmation(t *testing.T, a *testApp, imap *imaptest.Server, smtp *mailtest.Server) *emailedConfirmation {
	t.Helper()
	w := flowWorld{a: a}
	w.page = statustest.Page(t, a.svc, &statustest.PageOpts{Slug: "shop", Name: "Shop", SupportEmail: confirmSupport})
	w.loc = w.page.Location()
	w.checkout = statustest.Component(t, a.svc, w.page.ID, &statustest.ComponentOpts{Name: "Checkout API"})
	w.casey = w.user(t, "Casey", status.RoleManager)
	w.pubBase, w.pageAdmin = a.URL+"/p/"+w.page.Slug, a.URL+"/console/pages/"+w.page.ID
	acme := statustest.Customer(t, a.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"},
		Contacts: []status.ContactInput{
			{Name: "Wile", Email: confirmWile, Role: status.ContactPrimary},
			{Name: "Road Runner", Email: confirmTech, Role: status.ContactTechnical},
		}})
	inc := statustest.Incident(t, a.svc, w.page.ID, &statustest.IncidentOpts{Title: "Checkout fails for Acme", Author: "Casey",
		Visibility: status.VisibilityCustomers, Customers: []string{acme.ID},
		Components: []status.ComponentStatusInput{{ComponentID: w.checkout.ID, Status: status.MajorOutage}},
		Body:       "We are investigating failing checkouts."})
	return &emailedConfirmation{w: w, imap: imap, smtp: smtp, inc: inc, console: w.pageAdmin + "/incidents/" + inc.ID}
}

// consoleTab opens the incident in the console in a new tab of Casey's
// session.
func (f *emailedConfirmation) consoleTab(t *testing.T) *tab {
	t.Helper()
	tb := newTab(t, f.sess)
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
	tb.open(t, f.console)
	return tb
}

// closeRequests is the text of the confirmation requests in the close
// form.
func closeRequests(t *testing.T, tb *tab) string {
	t.Helper()
	return textOf(t, tb, `details:has(#close-h) .confirmation-requests`)
}

// request signs Casey in and asks the customers from the incident page.
func (f *emailedConfirmation) request(t *testing.T) {
	signIn(t, f.sess, f.w.a.URL, f.w.casey)
	tb := f.consoleTab(t)
	require.Contains(t, textOf(t, tb, `label[for="request-customer"]`), "1 customer, 1 primary contact",
		"the request form says whom a customer request writes to")
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#request-customer"))))
	require.True(t, eval[bool](t, tb, `document.querySelector('#request-customer').checked`), "the customer request is chosen")
	setField(t, tb, "#request-message", confirmAsk)
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action$="/confirmation-requests"] button[type=submit]`),
		"requesting confirmation from the customers succeeds")
	require.Equal(t, "Confirmation requested by email from 1 customer (1 primary contact).", textOf(t, tb, "main > p.flash"),
		"the success message says whom the request asked")
	requireFirstScreen(t, tb, "main > p.flash")
	require.Zero(t, count(t, tb, "main > p.error"), "no error besides the success message")

	openDetails(t, tb, "#close-h")
	requests := closeRequests(t, tb)
	require.Contains(t, requests, "Asked the customers: Acme: Wile <"+confirmWile+">", "the close form lists the request and whom it asked")
	require.Contains(t, requests, confirmAsk, "the close form quotes the request's message")
	require.Contains(t, requests, "No answer yet.", "the request is not answered yet")
	require.NotContains(t, requests, confirmTech, "the technical contact is not asked")
	require.Equal(t, 1, count(t, tb, `details:has(#close-h) .confirmation-requests li.request-open`), "one open request")
	require.Contains(t, timeline(t, tb),
		"Confirmation that the services are back requested by email from 1 affected customer (1 primary contact).")
	tb.requireQuiet(t, "requesting confirmation")
}

// readRequestEmail waits for the request's email on the SMTP server: one,
// to Wile only, answering to the support address.
func (f *emailedConfirmation) readRequestEmail(t *testing.T) {
	requests := func() []mailtest.Received {
		var out []mailtest.Received
		for _, m := range f.smtp.Messages() {
			if strings.Contains(string(m.Data), confirmSubject) {
				out = append(out, m)
			}
		}
		return out
	}
	require.Eventually(t, func() bool { return len(requests()) > 0 }, 30*time.Second, 100*time.Millisecond,
		"the confirmation request reaches the SMTP server")
	// The outbox holds every email of the incident: once each is sent,
	// the SMTP server has all that will come.
	var pending []string
	require.Eventually(t, func() bool {
		es, err := f.w.a.outbox.Emails(t.Context(), comms.EmailFilter{IncidentID: f.inc.ID})
		if err != nil {
			return false
		}
		pending = pending[:0]
		for _, e := range es {
			if e.Status != comms.EmailSent {
				pending = append(pending, e.Kind+" to "+e.To+": "+string(e.Status))
			}
		}
		return len(pending) == 0
	}, 30*time.Second, 100*time.Millisecond, "every email of the incident is sent; not yet: %v", &pending)
	got := requests()
	require.Len(t, got, 1, "exactly one confirmation request email")
	msg := got[0]
	require.Equal(t, []string{confirmWile}, msg.To, "the request goes to the primary contact only, not the technical one")

	r, err := gomail.CreateReader(bytes.NewReader(msg.Data))
	require.NoError(t, err, "the request email parses")
	f.messageID, err = r.Header.MessageID()
	require.NoError(t, err)
	require.NotEmpty(t, f.messageID, "the request email has a Message-ID")
	replyTo, err := r.Header.AddressList("Reply-To")
	require.NoError(t, err)
	require.Len(t, replyTo, 1, "the request email has one Reply-To")
	f.replyTo = replyTo[0].Address
	require.Equal(t, confirmSupport, f.replyTo, "replies go to the page's support address")
	f.subject, err = r.Header.Subject()
	require.NoError(t, err)
	require.Contains(t, f.subject, confirmSubject)
	var text string
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p.Body)
		require.NoError(t, err)
		text += string(b)
	}
	require.Contains(t, text, confirmAsk, "the request email carries the message as typed")
	require.NotContains(t, text, "Road Runner", "the request names no other contact")
}

// reply puts Wile's answer in the support mailbox and waits until Herald
// has it on the incident's timeline.
func (f *emailedConfirmation) reply(t *testing.T) {
	raw := "From: Wile <" + confirmWile + ">\r\nTo: <" + f.replyTo + ">\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <answer-" + f.inc.ID + "@acme.example>\r\n" +
		"In-Reply-To: <" + f.messageID + ">\r\nReferences: <" + f.messageID + ">\r\n" +
		"Subject: Re: " + f.subject + "\r\n\r\n" + confirmAnswer + "\r\n"
	f.imap.Append(t, "INBOX", []byte(raw))
	ctx := t.Context()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tl, err := f.w.a.svc.Incidents.Timeline(ctx, f.w.page.ID, f.inc.ID)
		require.NoError(t, err)
		for _, e := range tl {
			if e.Kind == status.TimelineCustomer && strings.Contains(e.Text(), confirmAnswer) {
				require.Contains(t, e.Actor, confirmWile, "the reply is Wile's on the timeline")
				return
			}
		}
		if time.Now().After(deadline) {
			items, _ := f.w.a.svc.Intake.Items(ctx, status.IntakeFilter{})
			require.Failf(t, "reply not on the timeline", "Wile's reply is not on the incident's timeline within 30s "+
				"(%d triage items: a reply that lands there was not threaded)", len(items))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// confirm takes the reply offered in the close form as the confirmation,
// checks it in the confirmation panel and records it.
func (f *emailedConfirmation) confirm(t *testing.T) {
	tb := f.consoleTab(t)
	openDetails(t, tb, "#close-h")
	requests := closeRequests(t, tb)
	require.Contains(t, requests, "No answer yet.", "the reply alone answers nothing")
	require.Contains(t, requests, "Reply from Wile <"+confirmWile+">", "the close form offers Wile's reply")
	use := `details:has(#close-h) .confirmation-requests li.request-open button[formaction$="/confirm"]`
	require.Equal(t, 1, count(t, tb, use), "one reply is offered as the confirmation")
	require.Equal(t, "use as the confirmation…", textOf(t, tb, use))

	require.Equal(t, int64(http.StatusOK), submit(t, tb, use), "taking the reply as the confirmation opens the panel")
	requireFirstScreen(t, tb, "#confirm-review")
	require.Equal(t, "Record that the services are back?", textOf(t, tb, "#confirm-h"))
	require.Contains(t, textOf(t, tb, "#confirm-review blockquote"), confirmAnswer, "the panel quotes the reply")
	by := value(t, tb, "#confirm-by")
	require.Contains(t, by, "Wile", "the panel names the sender")
	require.Contains(t, by, confirmWile, "the panel names the sender's address")
	require.Equal(t, "email", value(t, tb, "#confirm-method"), "the reply came by email")
	got, err := f.w.a.svc.Incidents.ByID(t.Context(), f.w.page.ID, f.inc.ID)
	require.NoError(t, err)
	require.Empty(t, got.ConfirmedBy, "nothing is recorded before the answer is checked")

	require.Equal(t, int64(http.StatusOK), submit(t, tb, `#confirm-review button[type=submit]`), "recording the confirmation")
	require.Equal(t, f.console+"#close-h", eval[string](t, tb, `location.href`), "back on the incident, at the close form")
	require.Zero(t, count(t, tb, "#confirm-review"), "the panel is gone")
	require.Contains(t, timeline(t, tb), "Casey: Services confirmed back by "+by+" (customer contact, by email)",
		"the page says the services were confirmed by Wile by email")
	openDetails(t, tb, "#close-h")
	requests = closeRequests(t, tb)
	require.Contains(t, requests, "Answered: confirmed by "+by, "the close form shows the request answered")
	require.NotContains(t, requests, "No answer yet.")
	require.Zero(t, count(t, tb, `details:has(#close-h) .confirmation-requests li.request-open`), "no open request left")
	require.True(t, eval[bool](t, tb, `document.querySelector('#conf-customer').checked`), "the close form starts from the confirmation")
	require.Equal(t, by, value(t, tb, "#confirmed_by"))
	require.Equal(t, "email", value(t, tb, "#confirmation_method"))
	tb.requireQuiet(t, "recording the confirmation")
}

// close closes the incident through the close form, the confirmation on
// record.
func (f *emailedConfirmation) close(t *testing.T) {
	tb := f.consoleTab(t)
	openDetails(t, tb, "#close-h")
	setField(t, tb, "#message", "Checkout works again. We are sorry for the trouble.")
	setField(t, tb, "#close_resolution", "permanent")
	setField(t, tb, "#cause", "A payment provider certificate expired.")
	setField(t, tb, "#solution", "Renewed the certificate.")
	code := submit(t, tb, `form[action$="/close"] button[type=submit]`)
	require.Equal(t, int64(http.StatusOK), code, "closing the incident with the confirmation on record; the page says: %q",
		eval[[]string](t, tb, `[...document.querySelectorAll('main p.error, main .field-error')]
			.map(e => (e.closest('p')?.querySelector('[id]')?.id || '') + ': ' + e.textContent.trim())`))
	require.Contains(t, textOf(t, tb, ".incident-head .meta"), "Resolved", "the incident is resolved")
	require.Zero(t, count(t, tb, "#close-h"), "a resolved incident cannot be closed again")
	summary := textOf(t, tb, `section[aria-labelledby="summary-h"]`)
	require.Contains(t, summary, "Wile <"+confirmWile+"> (customer contact, email)", "the closing summary names the confirmation")
	require.Contains(t, summary, "Answered: confirmed by Wile", "the closing summary shows the request answered")
	got, err := f.w.a.svc.Incidents.ByID(t.Context(), f.w.page.ID, f.inc.ID)
	require.NoError(t, err)
	require.Equal(t, status.StateResolved, got.State, "the incident is resolved")
	tb.requireQuiet(t, "closing")
}
