package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/herald-status/herald/status"
)

// EmailFilter selects emails, newest first.
type EmailFilter struct {
	IncidentID string
	Status     EmailStatus
	To         string // the recipient's address, in any case
	Before     string // continue after the email with this id
	Limit      int    // default 50, at most 500
}

// Emails lists emails matching f, newest first.
func (o *Outbox) Emails(ctx context.Context, f EmailFilter) ([]*Email, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	for _, v := range []string{f.IncidentID, string(f.Status), f.To} {
		if len(v) > 500 || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return nil, nil // no stored email matches
		}
	}
	var out []*Email
	q := o.db.NewSelect().Model(&out).OrderExpr("created_at DESC, id DESC").Limit(int64(f.Limit))
	if f.IncidentID != "" {
		q = q.Where("incident_id = ?", f.IncidentID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if to := strings.TrimSpace(f.To); to != "" {
		// Subscribers' addresses are stored lower-case, contacts' as typed.
		q = q.Where("to_addr IN (?, ?)", to, strings.ToLower(to))
	}
	if f.Before != "" {
		before, err := o.Email(ctx, f.Before)
		if err != nil {
			return nil, err
		}
		q = q.Where("(created_at < ? OR (created_at = ? AND id < ?))", before.CreatedAt, before.CreatedAt, before.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list emails: %w", err)
	}
	return out, nil
}

// Email returns one email or a KindNotFound error.
func (o *Outbox) Email(ctx context.Context, id string) (*Email, error) {
	if !status.ValidID(id) {
		return nil, status.Errorf(status.KindNotFound, "Email not found.")
	}
	e := new(Email)
	if err := o.db.NewSelect().Model(e).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, status.Errorf(status.KindNotFound, "Email not found.")
		}
		return nil, fmt.Errorf("load email %s: %w", id, err)
	}
	return e, nil
}

// EmailCounts counts an incident's emails by status.
func (o *Outbox) EmailCounts(ctx context.Context, incidentID string) (map[EmailStatus]int, error) {
	var rows []struct {
		Status EmailStatus `bun:"status"`
		N      int         `bun:"n"`
	}
	err := o.db.NewSelect().Model((*Email)(nil)).Column("status").ColumnExpr("count(*) AS n").
		Where("incident_id = ?", incidentID).Group("status").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count emails of %s: %w", incidentID, err)
	}
	out := map[EmailStatus]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
