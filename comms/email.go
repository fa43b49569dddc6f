package comms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
)

// EmailStatus says where an email's delivery stands.
type EmailStatus string

// Email statuses. Outbox is for Herald without SMTP: the email is kept for
// the console to show and never sent.
const (
	EmailQueued   EmailStatus = "queued"
	EmailSending  EmailStatus = "sending"
	EmailSent     EmailStatus = "sent"
	EmailRetrying EmailStatus = "retrying"
	EmailFailed   EmailStatus = "failed"
	EmailOutbox   EmailStatus = "outbox"
)

// Email is one email to one recipient. It is written whole when queued, so
// what the console shows is exactly what is sent, and every attempt sends
// the same bytes under the same Message-ID.
type Email struct {
	bun.BaseModel `bun:"table:emails,alias:em"`

	ID string `bun:"id,pk"`
	// DedupeKey names the email's purpose and recipient ("update:ID:addr"):
	// queueing a second email with the same key does nothing.
	DedupeKey    string `bun:"dedupe_key"`
	Kind         string `bun:"kind"`
	PageID       string `bun:"page_id"`
	IncidentID   string `bun:"incident_id"`
	SubscriberID string `bun:"subscriber_id"`

	To             string `bun:"to_addr"`
	Subject        string `bun:"subject"`
	Text           string `bun:"text_body"`
	HTML           string `bun:"html_body"`
	MessageID      string `bun:"message_id"`  // without angle brackets
	InReplyTo      string `bun:"in_reply_to"` // without angle brackets
	ReplyTo        string `bun:"reply_to"`
	UnsubscribeURL string `bun:"unsubscribe_url"` // RFC 8058 one-click
	// AttachmentRef names a stored message sent along as an attachment
	// (OutboxOptions.Attachments fetches it when the email goes out).
	AttachmentRef string `bun:"attachment_ref"`

	Status    EmailStatus `bun:"status"`
	Attempts  int         `bun:"attempts"`
	LastError string      `bun:"last_error"`
	CreatedAt time.Time   `bun:"created_at"`
	UpdatedAt time.Time   `bun:"updated_at"`
	SentAt    *time.Time  `bun:"sent_at"`
}

// EmailQueue is the River queue emails are delivered from.
const EmailQueue = "email"

// SendEmailArgs asks for one queued email to be delivered.
type SendEmailArgs struct {
	EmailID string `json:"email_id"`
}

// Kind is the job's stable name.
func (SendEmailArgs) Kind() string { return "comms.send_email" }

// Outbox queues emails in the transaction of the change that causes them
// and delivers them through a Mailer, each exactly once in the normal case.
type Outbox struct {
	db     *bun.DB
	jobs   status.JobQueue
	mailer Mailer // nil: keep emails in the dev outbox
	from   string
	domain string // Message-IDs are made at this domain
	now    func() time.Time
	log    *slog.Logger
	// RetryFor is how long temporary failures are retried.
	retryFor    time.Duration
	attachments func(ctx context.Context, ref string) (name, contentType string, r io.Reader, err error)
	// delivered hears of emails sent, or refused for good.
	delivered func(ctx context.Context, db bun.IDB, es []*Email, sent bool) error

	// Concurrent deliveries claim emails and record them as sent in
	// shared statements.
	claims *batcher[string, *Email]
	sents  *batcher[*Email, struct{}]
}

// deliveryBatch is the most emails one claim or record statement covers.
const deliveryBatch = 64

// OutboxOptions configures an Outbox.
type OutboxOptions struct {
	// Jobs queues delivery jobs inside tx. Required when Mailer is set.
	Jobs     status.JobQueue
	Mailer   Mailer // nil: the dev outbox
	From     string // "Herald <status@example.com>"
	Domain   string // for Message-IDs; default taken from From
	Now      func() time.Time
	Log      *slog.Logger
	RetryFor time.Duration // default 24 h
	// Attachments fetches the attachment an email names by AttachmentRef,
	// when it is sent; an error is temporary (retried).
	Attachments func(ctx context.Context, ref string) (name, contentType string, r io.Reader, err error)
}

// OnDelivered sets fn to hear of emails sent (sent true) or refused for
// good (false), e.g. to bounce subscribers; fn writes through db, which
// may be a transaction. Emails sent at about the same time come in one
// call.
func (o *Outbox) OnDelivered(fn func(ctx context.Context, db bun.IDB, es []*Email, sent bool) error) {
	o.delivered = fn
}

// NewOutbox returns an Outbox over db.
func NewOutbox(db *bun.DB, o OutboxOptions) *Outbox {
	ob := &Outbox{db: db, jobs: o.Jobs, mailer: o.Mailer, from: o.From, domain: o.Domain, now: o.Now, log: o.Log, retryFor: o.RetryFor,
		attachments: o.Attachments}
	if ob.now == nil {
		ob.now = time.Now
	}
	if ob.log == nil {
		ob.log = slog.New(slog.DiscardHandler)
	}
	if ob.retryFor <= 0 {
		ob.retryFor = 24 * time.Hour
	}
	if ob.domain == "" {
		ob.domain = domainOf(ob.from)
	}
	ob.claims = &batcher[string, *Email]{max: deliveryBatch, run: ob.claim}
	ob.sents = &batcher[*Email, struct{}]{max: deliveryBatch, run: ob.recordSent}
	return ob
}

// domainOf returns the domain of the address in from, or "localhost".
func domainOf(from string) string {
	addr := strings.TrimSuffix(from, ">")
	if i := strings.LastIndex(addr, "@"); i >= 0 && i < len(addr)-1 {
		return strings.ToLower(addr[i+1:])
	}
	return "localhost"
}

// Dev reports whether emails stay in the dev outbox instead of being sent.
func (o *Outbox) Dev() bool { return o.mailer == nil }

// MessageID returns a Message-ID (without brackets) at Herald's domain for
// the local part key, e.g. "incident.abc" → "incident.abc@status.example".
func (o *Outbox) MessageID(key string) string { return key + "@" + o.domain }

// Queue stores e inside tx and queues its delivery in the same
// transaction. It reports false when an email with the same DedupeKey was
// queued before (and then does nothing). Header fields are checked for
// line breaks: an address or subject carrying one is refused.
func (o *Outbox) Queue(ctx context.Context, tx bun.Tx, e *Email) (bool, error) {
	n, err := o.QueueMany(ctx, tx, []*Email{e})
	return n == 1, err
}

// QueueMany is Queue for many emails at once: one statement stores them
// and one queues their deliveries. It returns how many were new; an email
// whose DedupeKey was queued before is skipped. One email with a bad
// header refuses the lot.
func (o *Outbox) QueueMany(ctx context.Context, tx bun.Tx, es []*Email) (int, error) {
	if len(es) == 0 {
		return 0, nil
	}
	now := o.now().UTC().Truncate(time.Microsecond)
	for _, e := range es {
		if err := checkHeaders(e); err != nil {
			return 0, err
		}
		e.ID = status.NewID()
		if e.MessageID == "" {
			e.MessageID = o.MessageID("m." + e.ID)
		}
		e.Status, e.CreatedAt, e.UpdatedAt = EmailQueued, now, now
		if o.Dev() {
			e.Status = EmailOutbox
		}
	}
	var ids []string
	if _, err := tx.NewInsert().Model(&es).On("CONFLICT (dedupe_key) DO NOTHING").Returning("id").Exec(ctx, &ids); err != nil {
		return 0, fmt.Errorf("queue %d emails (%s…): %w", len(es), es[0].DedupeKey, err)
	}
	if o.Dev() || len(ids) == 0 {
		return len(ids), nil
	}
	jobs := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		jobs[i] = river.InsertManyParams{Args: SendEmailArgs{EmailID: id},
			InsertOpts: &river.InsertOpts{MaxAttempts: 1000, Queue: EmailQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	}
	if _, err := o.jobs.InsertManyTx(ctx, tx.Tx, jobs); err != nil {
		return 0, fmt.Errorf("queue delivery of %d emails (%s…): %w", len(jobs), es[0].DedupeKey, err)
	}
	return len(ids), nil
}

// checkHeaders refuses header values that would break out of their line.
func checkHeaders(e *Email) error {
	for name, v := range map[string]string{"to": e.To, "subject": e.Subject, "reply-to": e.ReplyTo,
		"message-id": e.MessageID, "in-reply-to": e.InReplyTo, "unsubscribe": e.UnsubscribeURL} {
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("email %s header %s contains a line break", e.DedupeKey, name)
		}
	}
	if e.To == "" || e.DedupeKey == "" {
		return errors.New("email needs a recipient and a dedupe key")
	}
	return nil
}
