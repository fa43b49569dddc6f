package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
	"github.com/wneessen/go-mail"
)

// staleSending is how long an email may stay "sending" before another
// attempt takes it over: the worker that claimed it crashed or hung. It is
// well above the SMTP timeout, so a live attempt is never doubled.
const staleSending = 5 * time.Minute

// Deliver sends one queued email. It claims the email first (queued or
// retrying, or sending but abandoned), so a retried or rescued job never
// resends an email the server accepted. A temporary failure is returned
// for River to retry with backoff until RetryFor has passed since the
// email was queued (or since a configuration problem was last met); a
// permanent one is recorded with the server's reply and not retried. A
// configuration problem holds the email: see the comment in the code.
func (o *Outbox) Deliver(ctx context.Context, id string) error {
	if o.mailer == nil {
		return nil // the dev outbox keeps emails
	}
	e, err := o.claims.do(ctx, id)
	if err != nil {
		return fmt.Errorf("claim email %s: %w", id, err)
	}
	if e == nil {
		return nil // sent, failed, or being sent by another worker
	}
	msg, err := o.compose(e)
	if err != nil {
		return o.finish(ctx, e, EmailFailed, err.Error(), river.JobCancel(err))
	}
	if err := o.attach(ctx, msg, e); err != nil {
		return o.finish(ctx, e, EmailRetrying, err.Error(), err)
	}
	sendErr := o.mailer.Send(ctx, msg)
	if sendErr == nil {
		// Recording the outcome must not be cut short by the job's own
		// deadline: a sent email left "sending" would be sent again. The
		// batcher runs it on a context of its own.
		if _, err := o.sents.do(ctx, e); err != nil {
			return fmt.Errorf("record email %s as sent: %w", e.ID, err)
		}
		return nil
	}
	var f *SendFailure
	if !errors.As(sendErr, &f) {
		f = &SendFailure{Temporary: true, Reply: sendErr.Error(), Err: sendErr}
	}
	switch {
	case f.Problem != "":
		// An untrusted certificate or a refused login is the
		// configuration's fault, not the email's, and no retry mends it
		// until the configuration (a restart) or the server changes. The
		// email goes back to "retrying" and its job is snoozed for a few
		// minutes: River does not count a snooze as an attempt, and the
		// RetryFor window is not applied, so no amount of waiting fails it.
		// The job stays the one owner of the email: nothing is lost, and
		// the claim above keeps a later run from sending it twice, as for
		// any retry. (Cancelling the job instead would need something to
		// queue the email again after the fix; an email it missed would
		// be lost.) The mailer logs the cause once; the problem is kept
		// for Console → Email.
		o.recordProblem(ctx, f)
		return o.finish(ctx, e, EmailRetrying, f.Reply, river.JobSnooze(problemSnooze()))
	case !f.Temporary:
		o.log.Warn("email refused", "email", e.ID, "to", e.To, "reply", f.Reply)
		err := o.finish(ctx, e, EmailFailed, f.Reply, river.JobCancel(f))
		o.report(ctx, []*Email{e}, false)
		return err
	case o.pastRetryWindow(ctx, e):
		o.log.Warn("email given up after retrying", "email", e.ID, "to", e.To, "reply", f.Reply)
		return o.finish(ctx, e, EmailFailed, "gave up after retrying: "+f.Reply, river.JobCancel(f))
	}
	return o.finish(ctx, e, EmailRetrying, f.Reply, f)
}

// problemSnooze is how long an email waits after a configuration
// problem: 4 to 6 minutes, spread so that held emails do not all come
// back at once.
func problemSnooze() time.Duration {
	return 4*time.Minute + rand.N(2*time.Minute)
}

// DeliveryProblem is a configuration problem that stops all outbound
// email, as the sender last met it.
type DeliveryProblem struct {
	bun.BaseModel `bun:"table:delivery_problems,alias:dp"`

	Transport string    `bun:"transport,pk"` // "smtp"
	Kind      string    `bun:"kind"`         // ProblemTLS or ProblemAuth
	Reply     string    `bun:"reply"`        // the server's words, or the TLS error
	Since     time.Time `bun:"since"`        // first met, this cause
	LastAt    time.Time `bun:"last_at"`      // last met
	// Waiting counts the emails not sent yet (queued or retrying).
	Waiting int `bun:"-"`
}

// Text says what the problem means and what fixes it.
func (p *DeliveryProblem) Text() string { return problemText(p.Kind) }

// Problem returns the configuration problem that stops outbound email
// now: the last one met, unless an email was sent since. It returns nil
// when there is none, and always for the dev outbox.
func (o *Outbox) Problem(ctx context.Context) (*DeliveryProblem, error) {
	if o.mailer == nil {
		return nil, nil
	}
	p := new(DeliveryProblem)
	err := o.db.NewSelect().Model(p).Where("transport = ?", "smtp").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load delivery problem: %w", err)
	}
	sent, err := o.db.NewSelect().Model((*Email)(nil)).Where("status = ?", EmailSent).Where("updated_at > ?", p.LastAt).Exists(ctx)
	if err != nil {
		return nil, fmt.Errorf("load delivery problem: %w", err)
	}
	if sent {
		return nil, nil
	}
	n, err := o.db.NewSelect().Model((*Email)(nil)).Where("status IN (?)", bun.List([]EmailStatus{EmailQueued, EmailRetrying})).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count waiting emails: %w", err)
	}
	p.Waiting = int(n)
	return p, nil
}

// recordProblem keeps f for the console (and the retry window); since
// starts again with a new cause, or when an email went out meanwhile.
func (o *Outbox) recordProblem(ctx context.Context, f *SendFailure) {
	now := o.now().UTC().Truncate(time.Microsecond)
	p := &DeliveryProblem{Transport: "smtp", Kind: f.Problem, Reply: f.Reply, Since: now, LastAt: now}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := o.db.NewInsert().Model(p).
		On("CONFLICT (transport) DO UPDATE").
		Set("since = CASE WHEN dp.kind = EXCLUDED.kind AND dp.reply = EXCLUDED.reply AND NOT EXISTS "+
			"(SELECT 1 FROM emails WHERE status = ? AND updated_at > dp.last_at) THEN dp.since ELSE EXCLUDED.since END", EmailSent).
		Set("kind = EXCLUDED.kind").Set("reply = EXCLUDED.reply").Set("last_at = EXCLUDED.last_at").
		Exec(wctx)
	if err != nil {
		o.log.Warn("recording the delivery problem", "problem", f.Problem, "err", err)
	}
}

// pastRetryWindow reports whether e's temporary failures have been
// retried for RetryFor: since it was queued, or since a configuration
// problem was last met, whichever is later, so that emails held by one
// get a full window once it is fixed.
func (o *Outbox) pastRetryWindow(ctx context.Context, e *Email) bool {
	now := o.now()
	if now.Sub(e.CreatedAt) <= o.retryFor {
		return false
	}
	var lastAt time.Time
	err := o.db.NewSelect().Model((*DeliveryProblem)(nil)).Column("last_at").Where("transport = ?", "smtp").Scan(ctx, &lastAt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		o.log.Warn("reading the delivery problem", "err", err)
	}
	return now.Sub(lastAt) > o.retryFor
}

// claim marks the emails of ids that are queued or retrying (or sending
// but abandoned) as sending and returns them, nil for the others.
func (o *Outbox) claim(ctx context.Context, ids []string) ([]*Email, error) {
	now := o.now().UTC().Truncate(time.Microsecond)
	var claimed []*Email
	err := o.db.NewUpdate().Model((*Email)(nil)).
		Set("status = ?", EmailSending).Set("attempts = attempts + 1").Set("updated_at = ?", now).
		Where("id IN (?)", bun.List(ids)).
		Where("(status IN (?, ?) OR (status = ? AND updated_at < ?))", EmailQueued, EmailRetrying, EmailSending, now.Add(-staleSending)).
		Returning("*").Scan(ctx, &claimed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	byID := make(map[string]*Email, len(claimed))
	for _, e := range claimed {
		byID[e.ID] = e
	}
	out := make([]*Email, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

// recordSent marks emails as sent and tells the OnDelivered hook.
func (o *Outbox) recordSent(ctx context.Context, es []*Email) ([]struct{}, error) {
	now := o.now().UTC().Truncate(time.Microsecond)
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	if _, err := o.db.NewUpdate().Model((*Email)(nil)).Set("status = ?", EmailSent).Set("last_error = ''").
		Set("updated_at = ?", now).Set("sent_at = ?", now).Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
		return nil, err
	}
	o.report(ctx, es, true)
	return make([]struct{}, len(es)), nil
}

// finish records the outcome of an attempt that did not send and returns
// jobErr for River.
func (o *Outbox) finish(ctx context.Context, e *Email, st EmailStatus, reply string, jobErr error) error {
	now := o.now().UTC().Truncate(time.Microsecond)
	q := o.db.NewUpdate().Model((*Email)(nil)).Set("status = ?", st).Set("last_error = ?", reply).Set("updated_at = ?", now).
		Where("id = ?", e.ID)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := q.Exec(wctx); err != nil {
		return fmt.Errorf("record email %s as %s: %w", e.ID, st, err)
	}
	return jobErr
}

// report tells the OnDelivered hook that es were sent or refused for good.
func (o *Outbox) report(ctx context.Context, es []*Email, sent bool) {
	if o.delivered == nil {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := o.delivered(wctx, o.db, es, sent); err != nil {
		o.log.Warn("recording deliveries", "emails", len(es), "first", es[0].ID, "err", err)
	}
}

// attach adds the attachment e names, if any.
func (o *Outbox) attach(ctx context.Context, msg *mail.Msg, e *Email) error {
	if e.AttachmentRef == "" || o.attachments == nil {
		return nil
	}
	name, ct, r, err := o.attachments(ctx, e.AttachmentRef)
	if err != nil {
		return fmt.Errorf("attachment of %s: %w", e.ID, err)
	}
	if err := msg.AttachReader(name, r, mail.WithFileContentType(mail.ContentType(ct))); err != nil {
		return fmt.Errorf("attachment of %s: %w", e.ID, err)
	}
	return nil
}

// compose builds the MIME message of e: plain text with an HTML
// alternative, threading headers, one-click unsubscribe, and the stable
// Message-ID it was queued with.
func (o *Outbox) compose(e *Email) (*mail.Msg, error) {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.From(o.from); err != nil {
		return nil, fmt.Errorf("sender %q: %w", o.from, err)
	}
	if err := m.To(e.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", e.To, err)
	}
	if e.ReplyTo != "" {
		if err := m.ReplyTo(e.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to %q: %w", e.ReplyTo, err)
		}
	}
	m.Subject(e.Subject)
	m.SetMessageIDWithValue(e.MessageID)
	m.SetDateWithValue(e.CreatedAt)
	if e.InReplyTo != "" {
		m.SetGenHeader(mail.HeaderInReplyTo, "<"+e.InReplyTo+">")
		m.SetGenHeader(mail.HeaderReferences, "<"+e.InReplyTo+">")
	}
	// Herald's emails are all automatic (RFC 3834); answers to a person
	// are auto-replied. Exchange's out-of-office replies stay away.
	if e.Kind == KindAcknowledgement {
		m.SetGenHeader("Auto-Submitted", "auto-replied")
	} else {
		m.SetGenHeader("Auto-Submitted", "auto-generated")
	}
	m.SetGenHeader("X-Auto-Response-Suppress", "All")
	if e.UnsubscribeURL != "" {
		m.SetGenHeader("List-Unsubscribe", "<"+e.UnsubscribeURL+">")
		m.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	m.SetBodyString(mail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		m.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	}
	return m, nil
}
