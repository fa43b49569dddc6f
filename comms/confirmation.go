package comms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// KindConfirmationRequest is the kind of the emails asking a customer's
// primary contacts to confirm that the services are back.
const KindConfirmationRequest = "confirmation_request"

// The templates of a confirmation request to a customer's contact.
var (
	askText = texttemplate.Must(texttemplate.ParseFS(templates.Email, "email/confirmation_request.txt"))
	askHTML = htmltemplate.Must(htmltemplate.ParseFS(templates.Email, "email/confirmation_request.html"))
)

// confirmationData is what the confirmation request templates show: one
// customer's view of the incident, that customer's name and one of its
// contacts, and the request's message.
type confirmationData struct {
	PageName, Title, Reference, State string
	Customer, Contact                 string
	Message                           string
	IncidentURL                       string // the public page, or the customer's private link
}

// ConfirmationRequested queues, inside tx, the emails of a confirmation
// request: for a customer request one email to each primary contact of
// each customer asked, written from that customer's view and naming only
// that customer, threaded under the incident's emails to that contact so
// that a reply joins the incident; for an internal request a notice to
// the team member asked.
func (n *Notifier) ConfirmationRequested(ctx context.Context, tx *status.Tx, ask *status.ConfirmationAsked) error {
	if n.Outbox == nil {
		return errors.New("request confirmation: no outbox")
	}
	var es []*Email
	for _, c := range ask.Customers {
		for _, ct := range c.Contacts {
			es = append(es, n.confirmationEmail(tx, ask, c, ct))
		}
	}
	if ask.User != nil && ask.Team != nil {
		es = append(es, n.confirmationNotice(ask))
	}
	if _, err := n.Outbox.QueueMany(ctx, tx.Tx, es); err != nil {
		return fmt.Errorf("request confirmation: %w", err)
	}
	return nil
}

// confirmationEmail asks one primary contact of customer c.
func (n *Notifier) confirmationEmail(tx *status.Tx, ask *status.ConfirmationAsked, c *status.CustomerAsked, ct *status.CustomerContact) *Email {
	o, page, v, req := n.Outbox, ask.Page, c.View, ask.Request
	d := confirmationData{PageName: page.Name, Title: v.Title, Reference: v.Reference(), State: v.State.Label(),
		Customer: c.Name, Contact: ct.Name, Message: req.Message}
	switch {
	case v.Public:
		d.IncidentURL = page.URL(n.BaseURL) + "/incidents/" + v.ID
	case n.Tokens != nil:
		d.IncidentURL = PrivateIncidentURL(n.Tokens, n.BaseURL, page, v.ID, c.CustomerID, tx.Now())
	}
	var text, html bytes.Buffer
	// The templates are fixed and their data plain: they cannot fail.
	_ = askText.Execute(&text, d)
	_ = askHTML.Execute(&html, d)
	rcpt := "c." + ct.ID
	return &Email{DedupeKey: "confirm:" + req.ID + ":" + rcpt, Kind: KindConfirmationRequest, PageID: page.ID, IncidentID: v.ID,
		To: ct.Email, ReplyTo: page.SupportEmail, Text: text.String(), HTML: html.String(),
		Subject: "[" + oneLine(page.Name) + "] Please confirm your services are back: " + oneLine(v.Title) + " [" + v.Reference() + "]",
		// In the thread of the incident's updates to this contact (see
		// notice.address), so that mail clients show it there and a
		// reply names the incident's emails (RFC 5322 §3.6.4).
		MessageID: o.MessageID("cr." + req.ID + "." + rcpt), InReplyTo: o.MessageID("i." + v.ID + "." + rcpt)}
}

// confirmationNotice asks the team member of an internal request.
func (n *Notifier) confirmationNotice(ask *status.ConfirmationAsked) *Email {
	page, v, req, u := ask.Page, ask.Team, ask.Request, ask.User
	link := strings.TrimRight(baseString(n.BaseURL), "/") + "/console/pages/" + page.ID + "/incidents/" + v.ID + "#close-h"
	var b strings.Builder
	fmt.Fprintf(&b, "%s asks you to confirm that the services of this incident are back:\n\n", oneLine(req.RequestedBy))
	fmt.Fprintf(&b, "  %s (%s)\n  %s, %s\n\n", oneLine(v.Title), v.Reference(), v.Severity.Label(), v.State.Label())
	if req.Message != "" {
		fmt.Fprintf(&b, "%s\n\n", req.Message)
	}
	fmt.Fprintf(&b, "Once you have checked that they work, record the confirmation on the incident's close form "+
		"(confirmed internally), or tell %s:\n%s\n", oneLine(req.RequestedBy), link)
	return &Email{DedupeKey: "confirm:" + req.ID + ":u." + u.ID, Kind: "internal", PageID: page.ID, IncidentID: v.ID,
		To: u.Email, Subject: "Please confirm the services are back: " + oneLine(v.Title) + " [" + v.Reference() + "]",
		Text: withVideoRoom(b.String(), ask.VideoRoom)}
}
