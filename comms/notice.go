package comms

import (
	"bytes"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// Email templates, parsed once.
var (
	updateText = texttemplate.Must(texttemplate.ParseFS(templates.Email, "email/incident_update.txt"))
	updateHTML = htmltemplate.Must(htmltemplate.ParseFS(templates.Email, "email/incident_update.html"))
)

// notice is one update of an incident or a maintenance, ready to be
// addressed to each recipient.
type notice struct {
	page       *status.Page
	kind       string // "incident_update" or "maintenance"
	incidentID string // "" for maintenance
	thread     string // "i.ID" or "m.ID": the thread's first email
	updateID   string
	first      bool   // the first update starts the thread
	subject    string // "[Page] Title — State"
	data       noticeData
	replyTo    string
	components []string // what subscribers must follow to get it
	public     bool     // on the public page
}

// noticeData is what the email templates show. An incident's update
// says what DESIGN.md §1 asks of every status: which services are
// affected, what happened (title and body), when it started, the current
// state, the next update and whom to contact.
type noticeData struct {
	PageName, Title, State, Kind, When string
	Body                               string
	BodyHTML                           htmltemplate.HTML
	// Components names what is affected: the incident's visible
	// components, or the maintenance's.
	Components string
	// Changes are the component statuses this update changed.
	Changes string
	// Started, Current, NextUpdate and Contact are an incident's, empty
	// for maintenance; NextUpdate is empty, and UpdateLate set, once the
	// promised time has passed.
	Started, Current, NextUpdate, Contact string
	UpdateLate                            bool
	IncidentURL                           string
	Customer                              string // set for a customer contact's email
	ManageURL, UnsubscribeURL             string // set for a subscriber's email
}

// newNotice prepares the emails of update updID as view v shows it; nil
// when the view has no such update. The view holds only what its audience
// may see: no record, no notes, no hidden components. Links in the body
// are made absolute against base (HERALD_BASE_URL), and the text part
// shows their URLs.
func newNotice(page *status.Page, v *status.IncidentView, updID string, base *url.URL) *notice {
	upd := v.Update(updID)
	if upd == nil {
		return nil
	}
	loc := page.Location()
	n := &notice{page: page, kind: "incident_update", incidentID: v.ID, thread: "i." + v.ID, updateID: upd.ID,
		first: v.First(upd)}
	for _, c := range v.Components {
		n.components = append(n.components, c.ComponentID)
	}
	n.subject = "[" + oneLine(page.Name) + "] " + oneLine(v.Title) + " — " + upd.State.Label()
	kind := upd.Kind.Label()
	if upd.Resolution != "" {
		kind += " (" + string(upd.Resolution) + ")"
	}
	n.data = noticeData{PageName: page.Name, Title: v.Title, State: upd.State.Label(), Kind: kind,
		When: upd.DisplayAt.In(loc).Format("Jan 2, 2006 15:04 MST"), Body: templates.PlainTextAt(upd.Body, base),
		BodyHTML: templates.MarkdownAt(upd.Body, base)}
	var changes []string
	for _, ch := range upd.Components {
		changes = append(changes, ch.Name+": "+ch.NewStatus.Label())
	}
	n.data.Changes = strings.Join(changes, ", ")
	n.data.Components = strings.Join(v.Affected, ", ")
	n.data.Started = v.StartedAt.In(loc).Format("Jan 2, 2006 15:04 MST")
	n.data.Current = v.State.Label()
	n.data.Contact = v.Contact
	if v.NextUpdateAt != nil && v.State.Open() {
		if v.NextUpdateLate {
			n.data.UpdateLate = true
		} else {
			n.data.NextUpdate = v.NextUpdateAt.In(loc).Format("15:04 MST")
		}
	}
	if v.Public {
		n.public = true
		n.data.IncidentURL = page.URL(base) + "/incidents/" + v.ID
	}
	return n
}

// oneLine folds line breaks and runs of space, so text from a title can
// stand in a header.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// address renders the notice for one recipient: rcpt names the recipient
// in Message-IDs and the dedupe key, so each recipient's emails thread
// under the incident's first one.
func (n *notice) address(o *Outbox, rcpt, to string, d noticeData) *Email {
	root := o.MessageID(n.thread + "." + rcpt)
	e := &Email{DedupeKey: "update:" + n.updateID + ":" + rcpt, Kind: n.kind, PageID: n.page.ID,
		IncidentID: n.incidentID, To: to, Subject: n.subject, ReplyTo: n.replyTo, MessageID: root}
	if !n.first {
		e.MessageID, e.InReplyTo = o.MessageID("u."+n.updateID+"."+rcpt), root
	}
	var text, html bytes.Buffer
	// The templates are fixed and their data plain: they cannot fail.
	_ = updateText.Execute(&text, d)
	_ = updateHTML.Execute(&html, d)
	e.Text, e.HTML = text.String(), html.String()
	return e
}

func (n *notice) forSubscriber(o *Outbox, r Recipient) *Email {
	d := n.data
	d.ManageURL, d.UnsubscribeURL = r.ManageURL, r.UnsubscribeURL
	e := n.address(o, "s."+r.ID, r.Email, d)
	e.SubscriberID, e.UnsubscribeURL = r.ID, r.UnsubscribeURL
	return e
}

// forContact addresses a customer's contact: the email names that customer
// only, and links to the public page or, for an incident that is not
// public, to the customer's private link.
func (n *notice) forContact(o *Outbox, c *status.Customer, ct *status.CustomerContact, private string) *Email {
	d := n.data
	d.Customer = c.Name
	if private != "" {
		d.IncidentURL = private
	}
	return n.address(o, "c."+ct.ID, ct.Email, d)
}

// maintenanceNotice prepares the emails of update updID of m (nil when m
// has no such update). key tells apart a reminder from an update: the
// same update can be announced, then reminded of.
func maintenanceNotice(page *status.Page, m *status.Maintenance, updID string, base *url.URL, names map[string]string) *notice {
	var upd *status.MaintenanceUpdate
	for _, u := range m.Updates {
		if u.ID == updID {
			upd = u
		}
	}
	if upd == nil {
		return nil
	}
	loc := page.Location()
	n := &notice{page: page, kind: "maintenance", thread: "m." + m.ID, updateID: upd.ID,
		first: m.Updates[len(m.Updates)-1].ID == upd.ID, components: m.ComponentIDs}
	n.subject = "[" + oneLine(page.Name) + "] " + oneLine(m.Title) + " — " + upd.State.Label()
	var affected []string
	for _, id := range m.ComponentIDs {
		if name, ok := names[id]; ok {
			affected = append(affected, name)
		}
	}
	n.data = noticeData{PageName: page.Name, Title: m.Title, State: upd.State.Label(), Kind: "Scheduled maintenance",
		When: m.ScheduledFor.In(loc).Format("Jan 2, 2006 15:04") + " – " + m.ScheduledUntil.In(loc).Format("Jan 2, 15:04 MST"),
		Body: templates.PlainTextAt(upd.Body, base), BodyHTML: templates.MarkdownAt(upd.Body, base), Components: strings.Join(affected, ", "),
		IncidentURL: page.URL(base) + "/maintenance/" + m.ID}
	return n
}

// reminder turns a maintenance notice into its reminder before the
// window, a separate email in the same thread.
func (n *notice) reminder(label string) *notice {
	r := *n
	r.updateID, r.first = n.updateID+"."+label, false
	r.subject = "[" + oneLine(n.page.Name) + "] Reminder: " + n.data.Title + " starts " + label
	return &r
}
