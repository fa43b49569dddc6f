package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

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
		Where("message_id IN (?) AND incident_id <> ''", bun.In(clean)).
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
	note := strings.TrimSpace(diagnostic)
	if len(note) > 1000 {
		note = strings.ToValidUTF8(note[:1000], "")
	}
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
