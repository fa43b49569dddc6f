package status

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The reads and writes of alert items (intake items with source alert)
// that inbound/alerts needs: it keeps the alerts, status keeps the items.
// Each takes db or tx, the transaction of the delivery it handles, so
// that its look-ups and writes hold or wait for the ingestion lock.

// AlertItemFilter selects live alert items: waiting in triage, or
// attached to or declared as an incident that is not resolved. The zero
// value selects all of them.
type AlertItemFilter struct {
	// IDs keeps only these items; nil means any, an empty list none.
	IDs []string
	// GroupKey keeps only the items of this group ("" any).
	GroupKey string
	// Component keeps only the items whose alerts map to the component
	// with this id ("" any).
	Component string
	// Since keeps only the items whose last alert came at or after it.
	Since *time.Time
	// Limit is the most items returned, those whose last alert came
	// latest first; 0 returns all, in no particular order.
	Limit int
}

// liveAlertItems returns the live alert items f selects, read through db
// (a transaction the caller holds; nil for the service's database). A new
// alert may join such an item; an alert of an item that is not live any
// more is retired.
func (s *core) liveAlertItems(ctx context.Context, db bun.IDB, f AlertItemFilter) ([]*IntakeItem, error) {
	if db == nil {
		db = s.db
	}
	if f.IDs != nil && len(f.IDs) == 0 {
		return nil, nil
	}
	var items []*IntakeItem
	q := db.NewSelect().Model(&items).Join("LEFT JOIN incidents AS i ON i.id = ii.incident_id").
		Where("ii.source = ?", IntakeAlert).
		Where("(ii.state = ? OR (ii.state IN (?) AND i.state <> ?))", IntakeOpen,
			bun.List([]IntakeState{IntakeAttached, IntakeDeclared}), StateResolved)
	if f.IDs != nil {
		q = q.Where("ii.id IN (?)", bun.List(f.IDs))
	}
	if f.GroupKey != "" {
		q = q.Where("ii.group_key = ?", f.GroupKey)
	}
	if f.Since != nil {
		q = q.Where("ii.alert_at >= ?", *f.Since)
	}
	if f.Component != "" {
		q = q.Where("',' || ii.components || ',' LIKE ?", "%,"+f.Component+",%")
	}
	if f.Limit > 0 {
		q = q.OrderExpr("ii.alert_at DESC").Limit(int64(f.Limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("find open alert items: %w", err)
	}
	return items, nil
}

// openAlertItemIDs returns the ids of the alert items waiting in triage,
// read through db (a transaction the caller holds; nil for the service's
// database).
func (s *core) openAlertItemIDs(ctx context.Context, db bun.IDB) ([]string, error) {
	if db == nil {
		db = s.db
	}
	var ids []string
	if err := db.NewSelect().Model((*IntakeItem)(nil)).Column("id").
		Where("source = ? AND state = ?", IntakeAlert, IntakeOpen).Order("id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("list open alert items: %w", err)
	}
	return ids, nil
}

// AlertItems returns the alert items attached to an incident or
// declaring it that have alerts.
func (s *Incidents) AlertItems(ctx context.Context, incidentID string) ([]*IntakeItem, error) {
	var items []*IntakeItem
	if err := s.db.NewSelect().Model(&items).
		Where("incident_id = ? AND source = ? AND alert_count > 0", incidentID, IntakeAlert).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list alert items of incident %s: %w", incidentID, err)
	}
	return items, nil
}

// intakeItemWith is IntakeItem read through db (a transaction the caller
// holds).
func (s *core) intakeItemWith(ctx context.Context, db bun.IDB, id string) (*IntakeItem, error) {
	return intakeItem(ctx, db, id)
}

// updateAlertItem writes, inside tx, what the alerts of an alert item
// make of it: its title, text, link and group, the components its alerts
// map to, the suggested severity, its alert counts, when its last alert
// came, and item.UpdatedAt. Its state and triage decision are left alone.
func (s *core) updateAlertItem(ctx context.Context, tx bun.Tx, item *IntakeItem) error {
	if _, err := tx.NewUpdate().Model(item).Column("title", "body", "components", "severity", "link", "group_key",
		"alert_count", "alert_firing", "alert_at", "updated_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update alert item %s: %w", item.ID, err)
	}
	return nil
}

// LiveAlertItems returns the live alert items f selects. A new alert may
// join such an item; an alert of an item that is not live any more is
// retired. Tx.LiveAlertItems reads the same inside a transaction.
func (s *Intake) LiveAlertItems(ctx context.Context, f AlertItemFilter) ([]*IntakeItem, error) {
	return s.liveAlertItems(ctx, nil, f)
}

// OpenAlertItemIDs returns the ids of the alert items waiting in triage.
func (s *Intake) OpenAlertItemIDs(ctx context.Context) ([]string, error) {
	return s.openAlertItemIDs(ctx, nil)
}
