package comms

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/herald-status/herald/status"
)

// auditSubscriber is what the audit log keeps of a subscriber.
type auditSubscriber struct {
	Email        string          `json:"email"`
	State        SubscriberState `json:"state"`
	Scope        Scope           `json:"scope"`
	AddedBy      AddedBy         `json:"added_by"`
	GroupIDs     []string        `json:"group_ids,omitempty"`
	ComponentIDs []string        `json:"component_ids,omitempty"`
}

func auditOf(s *Subscriber) auditSubscriber {
	return auditSubscriber{Email: s.Email, State: s.State, Scope: s.Scope, AddedBy: s.AddedBy, GroupIDs: s.GroupIDs, ComponentIDs: s.ComponentIDs}
}

// Add subscribes addr to pageID without double opt-in, on an admin's word
// (by is AddedByAdmin or AddedByImport, recorded on the subscriber), and
// writes the audit log. A pending or bounced address is confirmed. An
// address that is already confirmed is a KindConflict; one that
// unsubscribed itself is a KindConflict too: only its owner may subscribe
// it again, through the form.
func (s *Subscribers) Add(ctx context.Context, pageID, addr string, sub Subscription, by AddedBy) (*Subscriber, error) {
	email, err := NormaliseEmail(addr)
	if err != nil {
		return nil, err
	}
	if by != AddedByImport {
		by = AddedByAdmin
	}
	if _, err := s.svc.Pages.ByID(ctx, pageID); err != nil {
		return nil, err
	}
	if err := s.checkScope(ctx, pageID, &sub, false); err != nil {
		return nil, err
	}
	now := s.svc.Now()
	var out *Subscriber
	err = s.svc.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		cur, created, err := s.upsert(ctx, tx.Tx, pageID, email, sub, by, SubscriberConfirmed, now)
		if err != nil {
			return err
		}
		var before any
		if !created {
			switch cur.State {
			case SubscriberConfirmed:
				return status.Errorf(status.KindConflict, "%s is already subscribed.", email)
			case SubscriberUnsubscribed:
				return status.Errorf(status.KindConflict, "%s unsubscribed; only its owner may subscribe again, through the form.", email)
			}
			if err := loadScope(ctx, tx, cur); err != nil {
				return err
			}
			before = auditOf(cur)
			cur.State, cur.Scope, cur.AddedBy, cur.Failures, cur.ConfirmedAt, cur.UpdatedAt = SubscriberConfirmed, sub.Scope, by, 0, &now, now
			if _, err := tx.NewUpdate().Model(cur).Column("state", "scope", "added_by", "failures", "confirmed_at", "updated_at").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("confirm subscriber %s: %w", cur.ID, err)
			}
			if err := setScope(ctx, tx, cur.ID, sub); err != nil {
				return err
			}
		}
		cur.GroupIDs, cur.ComponentIDs = sub.GroupIDs, sub.ComponentIDs
		out = cur
		return tx.Audit(ctx, status.Change{Action: "create", SubjectType: "subscriber", SubjectID: cur.ID, PageID: pageID,
			Before: before, After: auditOf(cur)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Remove deletes a page's subscriber, writing the audit log. KindNotFound
// if there is no such subscriber on the page.
func (s *Subscribers) Remove(ctx context.Context, pageID, id string) error {
	return s.svc.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		cur := new(Subscriber)
		if err := tx.NewSelect().Model(cur).Where("id = ? AND page_id = ?", id, pageID).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return status.Errorf(status.KindNotFound, "There is no such subscriber on this page.")
			}
			return fmt.Errorf("load subscriber %s: %w", id, err)
		}
		if err := loadScope(ctx, tx, cur); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Subscriber)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("remove subscriber %s: %w", id, err)
		}
		return tx.Audit(ctx, status.Change{Action: "delete", SubjectType: "subscriber", SubjectID: id, PageID: pageID,
			Before: auditOf(cur)})
	})
}

// SubscriberRow is a subscriber as the console lists it, with its send
// history in short.
type SubscriberRow struct {
	Subscriber
	Emails          int        `bun:"emails"`
	LastEmailAt     *time.Time `bun:"last_email_at"`
	LastEmailStatus string     `bun:"last_email_status"`
}

// ListLike reports whether the address looks like a distribution list.
func (r *SubscriberRow) ListLike() bool { return LooksLikeList(r.Email) }

// List returns up to limit subscribers of pageID in address order, after
// the address after (for the next screen), with how many emails each was
// sent and the last one's time and status.
func (s *Subscribers) List(ctx context.Context, pageID, after string, limit int) ([]*SubscriberRow, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []*SubscriberRow
	err := s.db.NewSelect().Model((*Subscriber)(nil)).ColumnExpr("sub.*").
		ColumnExpr("(SELECT count(*) FROM emails AS e WHERE e.subscriber_id = sub.id) AS emails").
		ColumnExpr("(SELECT max(e.created_at) FROM emails AS e WHERE e.subscriber_id = sub.id) AS last_email_at").
		ColumnExpr("(SELECT e.status FROM emails AS e WHERE e.subscriber_id = sub.id ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS last_email_status").
		Where("sub.page_id = ? AND sub.email > ?", pageID, after).Order("sub.email").Limit(int64(limit)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("list subscribers of page %s: %w", pageID, err)
	}
	for _, r := range out {
		if err := loadScope(ctx, s.db, &r.Subscriber); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Counts returns how many subscribers pageID has in each state.
func (s *Subscribers) Counts(ctx context.Context, pageID string) (map[SubscriberState]int, error) {
	var rows []struct {
		State SubscriberState `bun:"state"`
		N     int             `bun:"n"`
	}
	err := s.db.NewSelect().Model((*Subscriber)(nil)).Column("state").ColumnExpr("count(*) AS n").
		Where("page_id = ?", pageID).Group("state").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("count subscribers of page %s: %w", pageID, err)
	}
	out := map[SubscriberState]int{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}

// Export writes pageID's subscribers as CSV: a header, then one row per
// subscriber in address order. components lists the chosen component (or
// group) names, separated by semicolons, so the file can be imported
// again.
func (s *Subscribers) Export(ctx context.Context, pageID string, w io.Writer) error {
	names, err := s.scopeNames(ctx, pageID)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"email", "components", "groups", "state", "added_by", "confirmed_at", "created_at"})
	after := ""
	for {
		rows, err := s.List(ctx, pageID, after, 500)
		if err != nil {
			return err
		}
		for _, r := range rows {
			var comps, groups []string
			for _, id := range r.ComponentIDs {
				comps = append(comps, names[id])
			}
			for _, id := range r.GroupIDs {
				groups = append(groups, names[id])
			}
			sort.Strings(comps)
			sort.Strings(groups)
			confirmed := ""
			if r.ConfirmedAt != nil {
				confirmed = r.ConfirmedAt.UTC().Format(time.RFC3339)
			}
			if err := cw.Write([]string{csvSafe(r.Email), csvSafe(strings.Join(comps, ";")), csvSafe(strings.Join(groups, ";")),
				string(r.State), string(r.AddedBy), confirmed, r.CreatedAt.UTC().Format(time.RFC3339)}); err != nil {
				return fmt.Errorf("export subscribers: %w", err)
			}
		}
		if len(rows) < 500 {
			break
		}
		after = rows[len(rows)-1].Email
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export subscribers: %w", err)
	}
	return nil
}

// csvSafe keeps spreadsheet programs from running a cell as a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// scopeNames maps the page's component and group ids to their names.
func (s *Subscribers) scopeNames(ctx context.Context, pageID string) (map[string]string, error) {
	names := map[string]string{}
	comps, err := s.svc.Pages.Components(ctx, pageID)
	if err != nil {
		return nil, err
	}
	for _, c := range comps {
		names[c.ID] = c.Name
	}
	groups, err := s.svc.Pages.Groups(ctx, pageID)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	return names, nil
}

// ImportRow is the outcome of one line of an import.
type ImportRow struct {
	Line     int
	Email    string
	Added    bool
	Problem  string // why the row was not added
	ListLike bool   // the address looks like a distribution list
}

// ImportReport is the outcome of an import, row by row.
type ImportReport struct {
	Rows  []ImportRow
	Added int
}

// MaxImportRows bounds one import.
const MaxImportRows = 10000

// Import adds subscribers from CSV rows "email[,components]" without
// double opt-in (AddedByImport, each audited). components names
// components of the page by name or id, separated by semicolons; empty
// means all. A first row whose first cell is "email" is a header. Every
// row is added or reported with its problem; a bad row never stops the
// others. Only an unreadable file is an error.
func (s *Subscribers) Import(ctx context.Context, pageID string, r io.Reader) (*ImportReport, error) {
	comps, err := s.svc.Pages.Components(ctx, pageID)
	if err != nil {
		return nil, err
	}
	byName := map[string]string{}
	for _, c := range comps {
		byName[strings.ToLower(c.Name)] = c.ID
		byName[c.ID] = c.ID
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rep := &ImportReport{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.Rows = append(rep.Rows, ImportRow{Line: pe.Line, Problem: "not readable as CSV: " + pe.Err.Error()})
				continue
			}
			return rep, fmt.Errorf("read import: %w", err)
		}
		if line == 1 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "email") {
			continue
		}
		if len(rep.Rows) >= MaxImportRows {
			rep.Rows = append(rep.Rows, ImportRow{Line: line, Problem: fmt.Sprintf("the import stops after %d rows", MaxImportRows)})
			break
		}
		rep.Rows = append(rep.Rows, s.importRow(ctx, pageID, line, rec, byName))
		if rep.Rows[len(rep.Rows)-1].Added {
			rep.Added++
		}
	}
	return rep, nil
}

func (s *Subscribers) importRow(ctx context.Context, pageID string, line int, rec []string, byName map[string]string) ImportRow {
	row := ImportRow{Line: line}
	if len(rec) == 0 || strings.TrimSpace(rec[0]) == "" {
		row.Problem = "no email address"
		return row
	}
	row.Email = rec[0]
	if len(row.Email) > 300 {
		row.Email = row.Email[:300] + "…"
	}
	sub := Subscription{Scope: ScopeAll}
	if len(rec) > 1 && strings.TrimSpace(rec[1]) != "" {
		sub.Scope = ScopeComponents
		for _, n := range strings.Split(rec[1], ";") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			id, ok := byName[strings.ToLower(n)]
			if !ok {
				id, ok = byName[n]
			}
			if !ok {
				row.Problem = fmt.Sprintf("no component named %q on this page", status.Cut(n, 80, "…"))
				return row
			}
			sub.ComponentIDs = append(sub.ComponentIDs, id)
		}
	}
	added, err := s.Add(ctx, pageID, rec[0], sub, AddedByImport)
	if err != nil {
		row.Problem = problemOf(err)
		return row
	}
	row.Email, row.Added, row.ListLike = added.Email, true, LooksLikeList(added.Email)
	return row
}

// problemOf is a row's problem in words: the error's safe message and
// field messages, or a generic one.
func problemOf(err error) string {
	var se *status.Error
	if errors.As(err, &se) && se.Kind != status.KindInternal {
		var parts []string
		for _, v := range se.Fields {
			parts = append(parts, v)
		}
		if len(parts) > 0 {
			return strings.Join(parts, " ")
		}
		return se.Message
	}
	return "could not be added (internal error)"
}

// Allow counts one use of the public form by key (the client's address)
// and reports whether it stays within max uses per window. The count is in
// the database, so every replica sees the same limit.
func (s *Subscribers) Allow(ctx context.Context, key string, max int, window time.Duration) (bool, error) {
	now := s.svc.Now()
	start := now.Add(-window)
	if _, err := s.db.NewDelete().TableExpr("subscribe_limits").Where("window_start <= ?", start).Exec(ctx); err != nil {
		return false, fmt.Errorf("prune form limits: %w", err)
	}
	var hits int
	err := s.db.NewRaw(`INSERT INTO subscribe_limits (key, hits, window_start) VALUES (?, 1, ?)
ON CONFLICT (key) DO UPDATE SET hits = subscribe_limits.hits + 1 RETURNING hits`, key, now).Scan(ctx, &hits)
	if err != nil {
		return false, fmt.Errorf("count form use: %w", err)
	}
	return hits <= max, nil
}
