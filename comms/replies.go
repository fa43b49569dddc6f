package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/herald-status/herald/status"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// ThreadOf finds the incident one of Herald's emails belongs to, from the
// Message-IDs a reply references (without brackets): the newest email
// among them that concerns an incident. ok is false when none does.
func (o *Outbox) ThreadOf(ctx context.Context, ids []string) (pageID, incidentID string, ok bool, err error) {
	var clean []string
	for _, id := range ids {
		if id = strings.TrimSpace(id); validMessageID(id) && len(clean) < 100 {
			clean = append(clean, id)
		}
	}
	if len(clean) == 0 {
		return "", "", false, nil
	}
	var e Email
	err = o.db.NewSelect().Model(&e).Column("page_id", "incident_id").
		Where("message_id IN (?) AND incident_id <> ''", bun.List(clean)).
		OrderExpr("created_at DESC").Limit(1).Scan(ctx)
	if isNoRows(err) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("find the thread of a reply: %w", err)
	}
	return e.PageID, e.IncidentID, true, nil
}

// validMessageID reports whether id can be one of Herald's Message-IDs:
// printable ASCII without spaces, of a sane length.
func validMessageID(id string) bool {
	if id == "" || len(id) > 998 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] >= 0x7f {
			return false
		}
	}
	return true
}

// RecordReport records, inside tx, a delivery status notification about
// the email with Message-ID messageID to recipient. A permanent failure
// marks the email failed with the report's words and counts against a
// subscriber as a refusal would; a delay is noted on it. found is false
// when Herald sent no such email.
func (o *Outbox) RecordReport(ctx context.Context, tx bun.Tx, messageID, recipient string, permanent bool, diagnostic string) (bool, error) {
	messageID = strings.TrimSpace(messageID)
	if !validMessageID(messageID) {
		return false, nil
	}
	var es []*Email
	q := tx.NewSelect().Model(&es).Where("message_id = ?", messageID)
	if r := strings.TrimSpace(recipient); r != "" {
		if !validMessageID(r) { // an address has no spaces or controls either
			return false, nil
		}
		q = q.Where("lower(to_addr) = ?", strings.ToLower(r))
	}
	if err := q.Scan(ctx); err != nil {
		return false, fmt.Errorf("find the email a report is about: %w", err)
	}
	if len(es) == 0 {
		return false, nil
	}
	now := o.now().UTC().Truncate(time.Microsecond)
	note := status.Cut(strings.TrimSpace(diagnostic), 1000, "…")
	for _, e := range es {
		if !permanent {
			if _, err := tx.NewUpdate().Model(e).Set("last_error = ?", "delayed: "+note).Set("updated_at = ?", now).
				WherePK().Exec(ctx); err != nil {
				return false, fmt.Errorf("record a delay of %s: %w", e.ID, err)
			}
			continue
		}
		if e.Status == EmailFailed {
			continue // counted already
		}
		if _, err := tx.NewUpdate().Model(e).Set("status = ?", EmailFailed).Set("last_error = ?", "bounced: "+note).
			Set("updated_at = ?", now).WherePK().Exec(ctx); err != nil {
			return false, fmt.Errorf("record a bounce of %s: %w", e.ID, err)
		}
		if o.delivered != nil {
			if err := o.delivered(ctx, tx, []*Email{e}, false); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// ReplyNoticeArgs asks for an incident's communication manager (else its
// commander) to be told that a customer's reply is on its timeline.
type ReplyNoticeArgs struct {
	PageID     string `json:"page_id"`
	IncidentID string `json:"incident_id"`
	Ref        string `json:"ref"` // the stored message
	From       string `json:"from"`
	Subject    string `json:"subject"`
	Excerpt    string `json:"excerpt"` // the reply's start; 2,000 bytes are sent
}

// Kind is the job's stable name.
func (ReplyNoticeArgs) Kind() string { return "comms.reply_notice" }

// ReplyNotice tells the incident's communication manager, or its
// commander when it has none, of a customer's reply: once per reply and
// person.
func (w *Watch) ReplyNotice(ctx context.Context, a ReplyNoticeArgs) error {
	inc, err := w.Service.Incidents.ByID(ctx, a.PageID, a.IncidentID)
	if err != nil {
		if status.KindOf(err) == status.KindNotFound {
			return nil // deleted meanwhile
		}
		return fmt.Errorf("reply notice: %w", err)
	}
	roles, err := w.Service.Incidents.Roles(ctx, inc.ID)
	if err != nil {
		return fmt.Errorf("reply notice: %w", err)
	}
	to := holders(roles, status.RoleComms, status.RoleCommander)
	if len(to) == 0 {
		return nil // nobody to tell; the reply is on the timeline
	}
	page, err := w.Service.Pages.ByID(ctx, a.PageID)
	if status.KindOf(err) == status.KindNotFound {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("reply notice: %w", err)
	}
	link := strings.TrimRight(baseString(w.BaseURL), "/") + "/console/pages/" + a.PageID + "/incidents/" + inc.ID
	excerpt := status.Cut(a.Excerpt, 2000, "…")
	return w.Service.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		for _, addr := range to {
			_, err := w.Outbox.Queue(ctx, tx.Tx, &Email{DedupeKey: "reply:" + a.Ref + ":" + addr, Kind: "internal", PageID: a.PageID,
				IncidentID: inc.ID, To: addr, Subject: "Customer reply: " + oneLine(inc.Title),
				Text: withVideoRoom(fmt.Sprintf("%s wrote about %q:\n\n%s\n\n%s\n\nThe reply is on the incident's timeline:\n%s\n",
					oneLine(a.From), inc.Title, oneLine(a.Subject), excerpt, link), status.VideoRoom(inc, page))})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ReplyNoticeWorker sends reply notices.
type ReplyNoticeWorker struct {
	river.WorkerDefaults[ReplyNoticeArgs]
	Watch *Watch
}

// Work sends one reply notice.
func (w *ReplyNoticeWorker) Work(ctx context.Context, job *river.Job[ReplyNoticeArgs]) error {
	return w.Watch.ReplyNotice(ctx, job.Args)
}

// ForwardIntake queues, inside tx, an intake item dismissed as not an
// incident to the service desk address to: what it says, who dismissed it
// and why, Reply-To the original sender, and the original email attached
// when it came by email.
func (o *Outbox) ForwardIntake(ctx context.Context, tx bun.Tx, item *status.IntakeItem, to string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Herald's triage dismissed this as not an incident.\n\n")
	fmt.Fprintf(&b, "Dismissed by: %s\n", oneLine(status.ActorFrom(ctx).Name))
	if item.Note != "" {
		fmt.Fprintf(&b, "Reason: %s\n", item.Note)
	}
	who := strings.TrimSpace(item.SenderName + " " + item.SenderEmail + " " + item.SenderPhone)
	fmt.Fprintf(&b, "From: %s\nReceived: %s (%s)\n\n%s\n\n%s\n", oneLine(who), item.CreatedAt.UTC().Format(time.RFC1123Z),
		item.Source.Label(), oneLine(item.Title), item.Body)
	e := &Email{DedupeKey: forwardKey(item), Kind: "forward", To: to, Subject: "Fwd: " + oneLine(item.Title), Text: b.String()}
	if validMessageID(item.SenderEmail) && strings.Contains(item.SenderEmail, "@") {
		e.ReplyTo = item.SenderEmail
	}
	if item.Source == status.IntakeEmail {
		e.AttachmentRef = item.InboundID
	}
	_, err := o.Queue(ctx, tx, e)
	return err
}

// forwardKey is the dedupe key of the forward of one dismissal of an
// item: a dismissal undone and made again forwards the item again.
func forwardKey(item *status.IntakeItem) string {
	key := "forward:" + item.ID
	if item.DecidedAt != nil {
		key += ":" + strconv.FormatInt(item.DecidedAt.UnixMicro(), 10)
	}
	return key
}

// IntakeTakenBack queues, inside tx, a short note to the service desk an
// intake item was forwarded to (item is the item as it was dismissed):
// the item was taken back as a possible incident. It answers the forward,
// so mail clients show them together.
func (o *Outbox) IntakeTakenBack(ctx context.Context, tx bun.Tx, item *status.IntakeItem) error {
	var fwd Email
	err := tx.NewSelect().Model(&fwd).Column("message_id").Where("dedupe_key = ?", forwardKey(item)).Limit(1).Scan(ctx)
	if err != nil && !isNoRows(err) {
		return fmt.Errorf("find the forward of intake item %s: %w", item.ID, err)
	}
	var b strings.Builder
	b.WriteString("Herald's triage has taken back an item it forwarded to you as not an incident:\n" +
		"the team is looking at it as a possible incident again.\n\n")
	fmt.Fprintf(&b, "Taken back by: %s\n", oneLine(status.ActorFrom(ctx).Name))
	if item.DecidedAt != nil {
		fmt.Fprintf(&b, "Forwarded: %s\n", item.DecidedAt.UTC().Format(time.RFC1123Z))
	}
	fmt.Fprintf(&b, "Subject: %s\n\nPlease leave it aside for now. If it is not an incident after all, it will be forwarded to you again.\n",
		oneLine(item.Title))
	e := &Email{DedupeKey: "forward-undone:" + strings.TrimPrefix(forwardKey(item), "forward:"), Kind: KindForwardTakenBack,
		To: item.ForwardedTo, Subject: "Taken back: " + oneLine(item.Title), Text: b.String(), InReplyTo: fwd.MessageID}
	_, err = o.Queue(ctx, tx, e)
	return err
}

// KindForwardTakenBack is the kind of the note telling the service desk
// that a forwarded intake item was taken back (team only, like
// "forward").
const KindForwardTakenBack = "forward_taken_back"

// Acknowledgement is what an automatic answer to a person who wrote in
// says.
type Acknowledgement struct {
	To        string // the sender's address
	Subject   string // of their message
	MessageID string // of their message, answered with In-Reply-To
	// Incident is the incident the message joined, as the sender may see
	// it (nil while it waits in triage, or when the sender may not see
	// the incident), on Page.
	Incident *status.IncidentView
	Page     *status.Page
	PageURL  string // the status page, or Herald's address
	ReplyTo  string // the support address
	SentAt   time.Time
}

// Acknowledge queues, inside tx, an automatic answer: at most one per
// sender and incident (or triage) an hour. It carries Auto-Submitted:
// auto-replied and X-Auto-Response-Suppress: All so that other automatic
// mail does not answer it, and the incident's reference so that further
// mail joins the incident.
func (o *Outbox) Acknowledge(ctx context.Context, tx bun.Tx, a Acknowledgement) error {
	scope, name := "triage", "Support"
	var b strings.Builder
	b.WriteString("Hello,\n\nthank you for your message. We have received it, and a person will read it.\n\n")
	if a.Incident != nil {
		scope = a.Incident.ID
		name = a.Page.Name
		fmt.Fprintf(&b, "It concerns the incident %q, reference %s. Please keep %s in the subject of any further email about it.\n\n",
			a.Incident.Title, a.Incident.Reference(), a.Incident.Reference())
	}
	if a.PageURL != "" {
		fmt.Fprintf(&b, "The current status of our services: %s\n\n", a.PageURL)
	}
	b.WriteString("This is an automatic reply; there is no need to answer it.\n")
	subject := "Your message"
	if topic := replyTopic(a.Subject, "["+oneLine(name)+"]"); topic != "" {
		subject = "Re: " + status.Cut(topic, maxReplySubject, "…")
	}
	if a.Incident != nil && !strings.Contains(strings.ToUpper(subject), strings.ToUpper(a.Incident.Reference())) {
		subject += " [" + a.Incident.Reference() + "]"
	}
	e := &Email{DedupeKey: "ack:" + scope + ":" + strings.ToLower(a.To) + ":" + a.SentAt.UTC().Format("2006010215"), Kind: KindAcknowledgement,
		To: a.To, Subject: "[" + oneLine(name) + "] " + subject, Text: b.String(), ReplyTo: a.ReplyTo}
	if a.Incident != nil {
		e.PageID, e.IncidentID = a.Incident.PageID, a.Incident.ID
	}
	if validMessageID(a.MessageID) {
		e.InReplyTo = a.MessageID
	}
	_, err := o.Queue(ctx, tx, e)
	return err
}

// maxReplySubject is the most bytes of a message's subject an answer
// repeats.
const maxReplySubject = 200

// replyPrefix matches one reply prefix at the start of a subject: "Re:",
// "RE :", "Re[2]:", and the common translations (AW, SV, VS, Antw, Odp,
// YNT, RIF, 回复, 答复). Forwards ("Fwd:") are kept: they say something.
var replyPrefix = regexp.MustCompile(`(?i)^(re|aw|sv|vs|antw|odp|ynt|rif|回复|答复)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*`)

// replyTopic is what a message with subject s is about: s on one line
// without its reply prefixes and without tag, the tag an answer puts in
// front ("[Shop]", as on Herald's own emails), however often and in
// whatever order they repeat. "" when nothing else is left.
func replyTopic(s, tag string) string {
	s = oneLine(s)
	for {
		t := replyPrefix.ReplaceAllLiteralString(s, "")
		if len(t) >= len(tag) && strings.EqualFold(t[:len(tag)], tag) {
			t = strings.TrimSpace(t[len(tag):])
		}
		if t == s {
			return s
		}
		s = t
	}
}

// KindAcknowledgement is the kind of Herald's automatic answers.
const KindAcknowledgement = "acknowledgement"

// Acknowledger answers people who write to the support mailbox (see
// inbound.Acknowledger): with the incident's reference and its status
// page when their mail joined an incident they may see, else with
// Herald's address.
type Acknowledger struct {
	Outbox  *Outbox
	BaseURL *url.URL
}

// Acknowledge queues, inside tx, the answer to the message messageID from
// to. The sender is told only what their audience may see of the incident
// their mail joined.
func (k *Acknowledger) Acknowledge(ctx context.Context, tx *status.Tx, to, subject, messageID string, sentAt time.Time, pageID, incidentID string) error {
	a := Acknowledgement{To: to, Subject: subject, MessageID: messageID, SentAt: sentAt, PageURL: baseString(k.BaseURL)}
	if incidentID == "" {
		return k.Outbox.Acknowledge(ctx, tx.Tx, a)
	}
	who := status.Public()
	if c, _, err := tx.MatchCustomer(ctx, to); err == nil {
		who = status.CustomerAudience(c.ID)
	}
	inc, err := tx.IncidentView(ctx, who, pageID, incidentID)
	if status.KindOf(err) == status.KindNotFound {
		return k.Outbox.Acknowledge(ctx, tx.Tx, a)
	}
	if err != nil {
		return err
	}
	page, err := tx.Page(ctx, pageID)
	if err != nil {
		return err
	}
	a.Incident, a.Page, a.PageURL, a.ReplyTo = inc, page, page.URL(k.BaseURL), page.SupportEmail
	return k.Outbox.Acknowledge(ctx, tx.Tx, a)
}
