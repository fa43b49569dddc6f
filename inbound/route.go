package inbound

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/mime"
	"github.com/herald-status/herald/status"
)

// Router decides where a stored message goes: a delivery report to the
// email it reports on, a reply to one of Herald's emails onto that
// incident's timeline, anything else into the triage inbox. Nothing is
// dropped: a message Herald cannot place becomes an intake item.
type Router struct {
	Service *status.Service
	Store   *Store

	// Thread finds the incident of one of Herald's Message-IDs among ids
	// (without brackets); ok false when none is Herald's. It is called
	// outside any transaction.
	Thread func(ctx context.Context, ids []string) (pageID, incidentID string, ok bool, err error)
	// Report records, inside tx and using only tx, a delivery report on
	// the email with Message-ID messageID to recipient; found false when
	// Herald sent no such email.
	Report func(ctx context.Context, tx bun.Tx, messageID, recipient string, permanent bool, diagnostic string) (found bool, err error)
	// Acknowledger answers people who write in; nil answers nobody.
	Acknowledger Acknowledger
}

// Acknowledger answers a person who wrote in, inside tx: their message
// (messageID, subject, received at sentAt) joined the incident of the page
// (incidentID set) or waits in triage. It is never called for automatic
// mail (RFC 3834) or mail without a sender. comms.Acknowledger is one.
type Acknowledger interface {
	Acknowledge(ctx context.Context, tx *status.Tx, to, subject, messageID string, sentAt time.Time, pageID, incidentID string) error
}

// Route places the stored message id. A message routed before is left
// alone, so a retried job does nothing twice.
func (r *Router) Route(ctx context.Context, id string) error {
	stored, err := r.Store.Message(ctx, id)
	if err != nil {
		return fmt.Errorf("route message %s: %w", id, err)
	}
	if stored.Status != MessageNew {
		return nil
	}
	msg, err := mime.Parse(r.Store.OpenRaw(ctx, id), mime.Options{Limits: mime.Limits{MaxBytes: r.Store.o.MaxBytes}, Own: r.Store.o.Own})
	if err != nil {
		return fmt.Errorf("route message %s: %w", id, err)
	}
	// The thread is looked up before the transaction: on SQLite, with its
	// one connection, nothing may use the database beside an open one.
	var th thread
	if r.Thread != nil && msg.Report == nil {
		th.pageID, th.incidentID, th.ok, err = r.Thread(ctx, slices.Concat(msg.InReplyTo, msg.References))
		if err != nil {
			return fmt.Errorf("route message %s: %w", id, err)
		}
	}
	if !th.ok && msg.Report == nil {
		// A subject naming the incident ("INC-…", as acknowledgements do).
		th.pageID, th.incidentID, th.ok, err = r.Service.Incidents.ByReference(ctx, msg.Subject)
		if err != nil {
			return fmt.Errorf("route message %s: %w", id, err)
		}
	}
	err = r.Service.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		st, err := r.place(ctx, tx, stored, msg, th)
		if err != nil {
			return err
		}
		stored.Status = st
		res, err := tx.NewUpdate().Model(stored).Column("status", "incident_id", "intake_id").
			WherePK().Where("status = ?", MessageNew).Exec(ctx)
		if err != nil {
			return fmt.Errorf("route message %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errRoutedMeanwhile
		}
		return nil
	})
	if errors.Is(err, errRoutedMeanwhile) {
		return nil // another worker placed it; this attempt's work is undone
	}
	return err
}

var errRoutedMeanwhile = errors.New("the message was routed meanwhile")

// thread is the incident a reply belongs to, if any.
type thread struct {
	pageID, incidentID string
	ok                 bool
}

// place puts the message where it belongs and returns its new status,
// setting stored.IncidentID or stored.IntakeID.
func (r *Router) place(ctx context.Context, tx *status.Tx, stored *StoredMessage, msg *mime.Message, th thread) (MessageStatus, error) {
	if msg.Report != nil && r.Report != nil {
		found := false
		for _, rc := range msg.Report.Recipients {
			ok, err := r.Report(ctx, tx.Tx, msg.Report.OriginalMessageID, rc.Address, rc.Permanent(), rc.Status+" "+rc.Diagnostic)
			if err != nil {
				return "", err
			}
			found = found || ok
		}
		if found {
			return MessageReport, nil
		}
	}
	unverified := false
	if th.ok {
		same, err := r.senderMayJoin(ctx, tx, th.incidentID, msg.FromAddress)
		if err != nil {
			return "", err
		}
		if !same {
			unverified = true
		} else {
			fresh, _ := SplitQuoted(msg.Text)
			if err := tx.AddCustomerMessage(ctx, th.pageID, th.incidentID, status.CustomerMessage{
				From: sender(msg), Title: subjectOr(msg), Text: fresh, Ref: stored.ID, At: stored.ReceivedAt}); err != nil {
				return "", err
			}
			if err := r.acknowledge(ctx, tx, stored, msg, th.pageID, th.incidentID); err != nil {
				return "", err
			}
			stored.IncidentID = th.incidentID
			return MessageTimeline, nil
		}
	}
	item, _, err := tx.CreateIntake(ctx, intakeFor(stored, msg, unverified))
	if err != nil {
		return "", err
	}
	if msg.Report == nil {
		if err := r.acknowledge(ctx, tx, stored, msg, "", ""); err != nil {
			return "", err
		}
	}
	stored.IntakeID = item.ID
	return MessageIntake, nil
}

// acknowledge answers the sender when Herald may: never automatic mail,
// never without an address to answer.
func (r *Router) acknowledge(ctx context.Context, tx *status.Tx, stored *StoredMessage, msg *mime.Message, pageID, incidentID string) error {
	if r.Acknowledger == nil || msg.Automatic != "" || msg.FromAddress == "" {
		return nil
	}
	return r.Acknowledger.Acknowledge(ctx, tx, stored.FromAddress, stored.Subject, stored.MessageID, stored.ReceivedAt, pageID, incidentID)
}

// senderMayJoin reports whether a reply from addr may go on the incident's
// timeline: the incident affects no customers in particular (a public
// incident's subscriber replied), or the sender belongs to one of those it
// affects. A reply that cannot be verified goes to triage instead: it is
// never attached to another customer's incident by itself.
func (r *Router) senderMayJoin(ctx context.Context, tx *status.Tx, incidentID, addr string) (bool, error) {
	ids, err := tx.IncidentCustomerIDs(ctx, incidentID)
	if err != nil || len(ids) == 0 {
		return err == nil, err
	}
	c, _, err := tx.MatchCustomer(ctx, addr)
	switch {
	case err == nil:
		return slices.Contains(ids, c.ID), nil
	case status.KindOf(err) == status.KindNotFound || status.KindOf(err) == status.KindInvalid:
		return false, nil
	}
	return false, err
}

// intakeFor makes the intake item of a message: title from the subject,
// the readable text (within the item's limit; the message keeps all),
// and what could not be understood.
func intakeFor(stored *StoredMessage, msg *mime.Message, unverified bool) status.IntakeInput {
	body := msg.Text
	if len(msg.Problems) > 0 {
		body = strings.TrimSpace(body + "\n\n[Herald: " + strings.Join(msg.Problems, "; ") + "]")
	}
	body = status.Cut(body, status.MaxBodyLen, "\n[…]")
	title := status.Cut(subjectOr(msg), status.MaxNameLen, "…")
	name := status.Cut(msg.FromName, status.MaxNameLen, "")
	from := msg.FromAddress
	if len(from) > 254 {
		from = ""
	}
	return status.IntakeInput{Source: status.IntakeEmail, Title: title, Body: mime.CleanBody(body), SenderName: mime.CleanLine(name),
		SenderEmail: mime.CleanLine(from), InboundID: stored.ID, UnverifiedThread: unverified}
}

func subjectOr(msg *mime.Message) string {
	if s := strings.TrimSpace(msg.Subject); s != "" {
		return mime.CleanLine(s)
	}
	return "(no subject)"
}

func sender(msg *mime.Message) string {
	switch {
	case msg.FromName != "" && msg.FromAddress != "":
		return mime.CleanLine(msg.FromName) + " <" + msg.FromAddress + ">"
	case msg.FromAddress != "":
		return msg.FromAddress
	case msg.FromName != "":
		return mime.CleanLine(msg.FromName)
	}
	return "unknown sender"
}
