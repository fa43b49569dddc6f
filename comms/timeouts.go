package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// Timeouts of the comms jobs (River's per-worker Timeout). River cancels
// an attempt's context when its timeout has passed; the jobs of a process
// that died are rescued (cmd/herald sets RescueStuckJobsAfter) once the
// kind's timeout has passed too, so these also bound how long work waits
// after a crash.
const (
	// SendEmailTimeout bounds one delivery: waiting for a free SMTP
	// connection, the dialogue (the mailer's own deadline per dial and
	// per message) and recording the outcome.
	SendEmailTimeout = 30 * time.Second
	// FanOutTimeout bounds queueing the emails of an update or a
	// maintenance notice, some 7,000 a second; a fan-out cut short is
	// run again and skips what it queued before (dedupe keys).
	FanOutTimeout = 45 * time.Second
	// ReplyNoticeTimeout bounds queueing one reply notice.
	ReplyNoticeTimeout = 30 * time.Second
)

// smtpDeadline is the mailer's deadline for a dial and for sending one
// message (MailerOptions.Timeout's default).
const smtpDeadline = 15 * time.Second

// claimHeld is the longest an attempt still alive can keep its email
// "sending": its timeout, then the SMTP step under way when the timeout
// struck (the mailer does not stop mid-message), then recording the
// outcome (batchTimeout), and a margin.
const claimHeld = SendEmailTimeout + smtpDeadline + batchTimeout + 5*time.Second

// Timeout is how long one delivery may take.
func (*SendEmailWorker) Timeout(*river.Job[SendEmailArgs]) time.Duration { return SendEmailTimeout }

// Timeout is how long queueing an update's emails may take.
func (*FanOutWorker) Timeout(*river.Job[FanOutArgs]) time.Duration { return FanOutTimeout }

// Timeout is how long queueing a maintenance notice's emails may take.
func (*MaintenanceFanOutWorker) Timeout(*river.Job[MaintenanceFanOutArgs]) time.Duration {
	return FanOutTimeout
}

// Timeout is how long queueing a reply notice may take.
func (*ReplyNoticeWorker) Timeout(*river.Job[ReplyNoticeArgs]) time.Duration {
	return ReplyNoticeTimeout
}

// releaseAbandoned readies email id for delivery again when an earlier
// attempt of its job claimed it ("sending") and can no longer be at work:
// the process died mid-delivery and River rescued the job, or the attempt
// could not record its outcome. That is so once the claim is older than
// claimHeld; until then it returns how long to wait. Deliver alone would
// leave such an email until its own, longer stale-claim limit, and a
// rescued job that found it still claimed would end with it unsent.
// Each email has one job, so no other attempt can hold the claim.
func (o *Outbox) releaseAbandoned(ctx context.Context, id string) (time.Duration, error) {
	if o.mailer == nil {
		return 0, nil
	}
	e := new(Email)
	err := o.db.NewSelect().Model(e).Column("status", "updated_at").Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("check the claim on email %s: %w", id, err)
	}
	if e.Status != EmailSending {
		return 0, nil
	}
	now := o.now().UTC().Truncate(time.Microsecond)
	if wait := e.UpdatedAt.Add(claimHeld).Sub(now); wait > 0 {
		return wait, nil
	}
	if _, err := o.db.NewUpdate().Model((*Email)(nil)).Set("status = ?", EmailRetrying).
		Set("last_error = ?", "the attempt sending it was cut off; sending again").
		Where("id = ? AND status = ? AND updated_at <= ?", id, EmailSending, now.Add(-claimHeld)).Exec(ctx); err != nil {
		return 0, fmt.Errorf("release the claim on email %s: %w", id, err)
	}
	return 0, nil
}
