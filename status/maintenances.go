package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// maxWindow is the longest maintenance window Herald accepts.
const maxWindow = 31 * 24 * time.Hour

// MaintenanceInput describes planned work.
type MaintenanceInput struct {
	Title          string
	Description    string // Markdown, shown as the first update
	ScheduledFor   time.Time
	ScheduledUntil time.Time
	ComponentIDs   []string
	Author         string
}

// MaintenanceUpdateInput moves a maintenance along with a message.
type MaintenanceUpdateInput struct {
	State  MaintenanceState // default: unchanged
	Body   string
	Author string
	Notify *bool // email the subscribers; default true
}

// Schedule plans work on some components of a page.
func (s *Maintenances) Schedule(ctx context.Context, pageID string, in MaintenanceInput) (*Maintenance, error) {
	now := s.Now()
	f := FieldErrors{}
	checkText(f, "title", in.Title, MaxNameLen, true, false)
	checkText(f, "description", in.Description, MaxBodyLen, true, true)
	checkText(f, "author", in.Author, MaxNameLen, false, false)
	checkWindow(f, in.ScheduledFor, in.ScheduledUntil, now)
	checkComponentIDs(f, in.ComponentIDs)
	if err := f.Err(); err != nil {
		return nil, err
	}
	m := &Maintenance{ID: NewID(), PageID: pageID, Title: strings.TrimSpace(in.Title), Description: in.Description,
		State: MaintenanceScheduled, ScheduledFor: in.ScheduledFor.UTC().Truncate(time.Microsecond),
		ScheduledUntil: in.ScheduledUntil.UTC().Truncate(time.Microsecond), CreatedAt: now, UpdatedAt: now,
		ComponentIDs: in.ComponentIDs}
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		if _, err := pageByID(ctx, tx, pageID); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
			return fmt.Errorf("insert maintenance: %w", err)
		}
		if err := setMaintenanceComponents(ctx, tx, m); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, Change{Action: "create", SubjectType: "maintenance", SubjectID: m.ID, PageID: pageID, After: m}); err != nil {
			return err
		}
		if err := s.scheduleWindow(ctx, tx, m); err != nil {
			return err
		}
		_, err := s.applyMaintenanceUpdate(ctx, tx, m, MaintenanceUpdateInput{State: MaintenanceScheduled, Body: in.Description, Author: in.Author}, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, pageID, m.ID)
}

// scheduleWindow asks, inside tx, for the due work to run when m's window
// starts and when it ends (those still ahead of its state), so that the
// page switches on time; AdvanceMaintenances on the clock job is the
// safety net. A job for a time since moved finds nothing to do.
func (s *core) scheduleWindow(ctx context.Context, tx bun.Tx, m *Maintenance) error {
	if m.State == MaintenanceScheduled {
		if err := s.scheduleDue(ctx, tx, m.ScheduledFor); err != nil {
			return fmt.Errorf("queue the start of maintenance %s: %w", m.ID, err)
		}
	}
	if m.State != MaintenanceCompleted {
		if err := s.scheduleDue(ctx, tx, m.ScheduledUntil); err != nil {
			return fmt.Errorf("queue the end of maintenance %s: %w", m.ID, err)
		}
	}
	return nil
}

func checkWindow(f FieldErrors, from, until, now time.Time) {
	switch {
	case from.IsZero():
		f.Add("scheduled_for", "is required")
	case until.IsZero():
		f.Add("scheduled_until", "is required")
	case !until.After(from):
		f.Add("scheduled_until", "must be after scheduled_for")
	case until.Sub(from) > maxWindow:
		f.Add("scheduled_until", "the window may last at most 31 days")
	case !until.After(now):
		f.Add("scheduled_until", "must be in the future")
	case from.After(now.AddDate(2, 0, 0)):
		f.Add("scheduled_for", "must be within two years")
	}
}

func checkComponentIDs(f FieldErrors, ids []string) {
	if len(ids) > 500 {
		f.Add("components", "at most 500 components")
	}
	seen := map[string]bool{}
	for i, id := range ids {
		if !ValidID(id) {
			f.Add(fmt.Sprintf("components[%d]", i), "is not a valid id")
		} else if seen[id] {
			f.Add(fmt.Sprintf("components[%d]", i), "is listed twice")
		}
		seen[id] = true
	}
}

func setMaintenanceComponents(ctx context.Context, tx bun.IDB, m *Maintenance) error {
	if _, err := tx.NewDelete().Model((*maintenanceComponent)(nil)).Where("maintenance_id = ?", m.ID).Exec(ctx); err != nil {
		return fmt.Errorf("clear maintenance components: %w", err)
	}
	for i, id := range m.ComponentIDs {
		if _, err := componentOnPage(ctx, tx, m.PageID, id); err != nil {
			if KindOf(err) == KindNotFound {
				return FieldError(fmt.Sprintf("components[%d]", i), "no such component on this page")
			}
			return err
		}
		if _, err := tx.NewInsert().Model(&maintenanceComponent{MaintenanceID: m.ID, ComponentID: id}).Exec(ctx); err != nil {
			return fmt.Errorf("insert maintenance component: %w", err)
		}
	}
	return nil
}

// PostUpdate adds an update to a maintenance. Moving to
// in_progress puts its components under maintenance; completing it brings
// them back to operational (or to what an open incident gives them).
func (s *Maintenances) PostUpdate(ctx context.Context, pageID, id string, in MaintenanceUpdateInput) (*MaintenanceUpdate, error) {
	f := FieldErrors{}
	if in.State != "" && !in.State.Valid() {
		f.Add("state", OneOf(MaintenanceStates))
	}
	checkText(f, "body", in.Body, MaxBodyLen, true, true)
	checkText(f, "author", in.Author, MaxNameLen, false, false)
	if err := f.Err(); err != nil {
		return nil, err
	}
	var upd *MaintenanceUpdate
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		m, err := maintenanceOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		upd, err = s.applyMaintenanceUpdate(ctx, tx, m, in, s.Now())
		return err
	})
	return upd, err
}

func (s *core) applyMaintenanceUpdate(ctx context.Context, tx bun.Tx, m *Maintenance, in MaintenanceUpdateInput, now time.Time) (*MaintenanceUpdate, error) {
	if in.State == "" {
		in.State = m.State
	}
	if m.State == MaintenanceCompleted && in.State != MaintenanceCompleted {
		return nil, Errorf(KindConflict, "This maintenance is completed; schedule a new one instead.")
	}
	if m.State == MaintenanceInProgress && in.State == MaintenanceScheduled {
		return nil, Errorf(KindConflict, "A maintenance in progress cannot go back to scheduled.")
	}
	if err := loadMaintenanceComponents(ctx, tx, []*Maintenance{m}); err != nil {
		return nil, err
	}
	before := *m
	if in.State != m.State {
		switch in.State {
		case MaintenanceInProgress:
			m.StartedAt = &now
			if err := s.setComponentsStatus(ctx, tx, m.PageID, m.ComponentIDs, UnderMaintenance, now); err != nil {
				return nil, err
			}
		case MaintenanceCompleted:
			m.CompletedAt = &now
			if m.StartedAt != nil {
				if err := restoreAfterMaintenance(ctx, tx, m, now); err != nil {
					return nil, err
				}
			}
		}
		m.State = in.State
	}
	m.UpdatedAt = now
	if _, err := tx.NewUpdate().Model(m).Column("state", "started_at", "completed_at", "updated_at").WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("update maintenance %s: %w", m.ID, err)
	}
	upd := &MaintenanceUpdate{ID: NewID(), MaintenanceID: m.ID, State: in.State, Body: in.Body, Author: strings.TrimSpace(in.Author),
		Notify: boolOr(in.Notify, true), CreatedAt: now}
	if _, err := tx.NewInsert().Model(upd).Exec(ctx); err != nil {
		return nil, fmt.Errorf("insert maintenance update: %w", err)
	}
	if err := audit(ctx, tx, now, Change{Action: "post_update", SubjectType: "maintenance", SubjectID: m.ID, PageID: m.PageID,
		Before: before, After: struct {
			*Maintenance
			Update *MaintenanceUpdate
		}{m, upd}}); err != nil {
		return nil, err
	}
	if err := bumpPage(ctx, tx, m.PageID, now); err != nil {
		return nil, err
	}
	if err := s.notify.MaintenanceUpdated(ctx, &Tx{Tx: tx, s: s.svc}, m, upd); err != nil {
		return nil, fmt.Errorf("notify maintenance %s: %w", m.ID, err)
	}
	return upd, nil
}

func (s *core) setComponentsStatus(ctx context.Context, tx bun.IDB, pageID string, ids []string, st ComponentStatus, now time.Time) error {
	for _, id := range ids {
		c, err := componentOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		if c.Status == st {
			continue
		}
		if err := saveStatus(ctx, tx, c, st, now); err != nil {
			return err
		}
	}
	return nil
}

// restoreAfterMaintenance settles the maintenance's components that are
// still under maintenance (see settledStatus).
func restoreAfterMaintenance(ctx context.Context, tx bun.IDB, m *Maintenance, now time.Time) error {
	return settleMaintained(ctx, tx, m, m.ComponentIDs, now)
}

// settleMaintained settles those of ids that are still under maintenance,
// leaving out m itself.
func settleMaintained(ctx context.Context, tx bun.IDB, m *Maintenance, ids []string, now time.Time) error {
	for _, id := range ids {
		c, err := componentOnPage(ctx, tx, m.PageID, id)
		if err != nil {
			return err
		}
		if c.Status != UnderMaintenance {
			continue
		}
		target, err := settledStatus(ctx, tx, c.ID, "", m.ID)
		if err != nil {
			return err
		}
		if err := saveStatus(ctx, tx, c, target, now); err != nil {
			return err
		}
	}
	return nil
}

// moveMaintenanceComponents follows a change of a running maintenance's
// components: added ones go under maintenance, removed ones are settled.
func (s *core) moveMaintenanceComponents(ctx context.Context, tx bun.IDB, m *Maintenance, old []string, now time.Time) error {
	was, is := map[string]bool{}, map[string]bool{}
	for _, id := range old {
		was[id] = true
	}
	var added, removed []string
	for _, id := range m.ComponentIDs {
		is[id] = true
		if !was[id] {
			added = append(added, id)
		}
	}
	for _, id := range old {
		if !is[id] {
			removed = append(removed, id)
		}
	}
	if err := s.setComponentsStatus(ctx, tx, m.PageID, added, UnderMaintenance, now); err != nil {
		return err
	}
	return settleMaintained(ctx, tx, m, removed, now)
}

// Advance starts every scheduled maintenance whose window has
// begun and completes every one whose window has ended, with an automatic
// update each. It returns how many it moved.
func (s *Maintenances) Advance(ctx context.Context) (int, error) {
	now := s.Now()
	var due []*Maintenance
	if err := s.db.NewSelect().Model(&due).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("state = ? AND scheduled_for <= ?", MaintenanceScheduled, now).
				WhereOr("state = ? AND scheduled_until <= ?", MaintenanceInProgress, now)
		}).Order("scheduled_for").Limit(500).Scan(ctx); err != nil {
		return 0, fmt.Errorf("find due maintenance: %w", err)
	}
	moved := 0
	for _, m := range due {
		ok, err := s.advanceMaintenance(ctx, m.PageID, m.ID)
		if err != nil {
			return moved, err
		}
		if ok {
			moved++
		}
	}
	return moved, nil
}

// advanceMaintenance moves one maintenance if it is still due, holding its
// row so that two replicas never both post the automatic update.
func (s *core) advanceMaintenance(ctx context.Context, pageID, id string) (bool, error) {
	moved := false
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		m := new(Maintenance)
		q := tx.NewSelect().Model(m).Where("id = ?", id)
		if db.DialectOf(s.db) == db.Postgres {
			q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return notFoundOr(err, "Maintenance", id)
		}
		var in MaintenanceUpdateInput
		switch {
		case m.State == MaintenanceScheduled && !m.ScheduledUntil.After(now):
			in = MaintenanceUpdateInput{State: MaintenanceCompleted, Body: "The scheduled maintenance has been completed."}
		case m.State == MaintenanceScheduled && !m.ScheduledFor.After(now):
			in = MaintenanceUpdateInput{State: MaintenanceInProgress, Body: "Scheduled maintenance is in progress. We will update when it is complete."}
		case m.State == MaintenanceInProgress && !m.ScheduledUntil.After(now):
			in = MaintenanceUpdateInput{State: MaintenanceCompleted, Body: "The scheduled maintenance has been completed."}
		default:
			return nil // moved by someone else meanwhile
		}
		moved = true
		_, err := s.applyMaintenanceUpdate(ctx, tx, m, in, now)
		return err
	})
	return moved, err
}

// MaintenancePatch changes a maintenance's descriptive fields and window.
type MaintenancePatch struct {
	Title          *string
	ScheduledFor   *time.Time
	ScheduledUntil *time.Time
	ComponentIDs   *[]string
}

// Update applies patch.
func (s *Maintenances) Update(ctx context.Context, pageID, id string, p MaintenancePatch) (*Maintenance, error) {
	now := s.Now()
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		m, err := maintenanceOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		if err := loadMaintenanceComponents(ctx, tx, []*Maintenance{m}); err != nil {
			return err
		}
		before := *m
		f := FieldErrors{}
		if p.Title != nil {
			checkText(f, "title", *p.Title, MaxNameLen, true, false)
			m.Title = strings.TrimSpace(*p.Title)
		}
		if p.ScheduledFor != nil || p.ScheduledUntil != nil {
			setIf(&m.ScheduledFor, p.ScheduledFor)
			setIf(&m.ScheduledUntil, p.ScheduledUntil)
			m.ScheduledFor, m.ScheduledUntil = m.ScheduledFor.UTC().Truncate(time.Microsecond), m.ScheduledUntil.UTC().Truncate(time.Microsecond)
			checkWindow(f, m.ScheduledFor, m.ScheduledUntil, now)
		}
		if p.ComponentIDs != nil {
			checkComponentIDs(f, *p.ComponentIDs)
		}
		if err := f.Err(); err != nil {
			return err
		}
		m.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(m).Column("title", "scheduled_for", "scheduled_until", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update maintenance: %w", err)
		}
		if p.ScheduledFor != nil || p.ScheduledUntil != nil {
			if err := s.scheduleWindow(ctx, tx, m); err != nil {
				return err
			}
		}
		if p.ComponentIDs != nil {
			old := m.ComponentIDs
			m.ComponentIDs = *p.ComponentIDs
			if err := setMaintenanceComponents(ctx, tx, m); err != nil {
				return err
			}
			if m.State == MaintenanceInProgress {
				if err := s.moveMaintenanceComponents(ctx, tx, m, old, now); err != nil {
					return err
				}
			}
		}
		if err := audit(ctx, tx, now, Change{Action: "update", SubjectType: "maintenance", SubjectID: id, PageID: pageID, Before: before, After: m}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, pageID, id)
}

// Delete removes a maintenance.
func (s *Maintenances) Delete(ctx context.Context, pageID, id string) error {
	if !ValidID(id) {
		return notFound("Maintenance", id)
	}
	return s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		m, err := maintenanceOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		if err := loadMaintenanceComponents(ctx, tx, []*Maintenance{m}); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Maintenance)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("delete maintenance: %w", err)
		}
		now := s.Now()
		if err := audit(ctx, tx, now, Change{Action: "delete", SubjectType: "maintenance", SubjectID: id, PageID: pageID, Before: m}); err != nil {
			return err
		}
		if m.State == MaintenanceInProgress {
			old := m.ComponentIDs
			m.ComponentIDs = nil
			if err := s.moveMaintenanceComponents(ctx, tx, m, old, now); err != nil {
				return err
			}
		}
		return bumpPage(ctx, tx, pageID, now)
	})
}

// ByID returns a maintenance with its components and updates.
func (s *Maintenances) ByID(ctx context.Context, pageID, id string) (*Maintenance, error) {
	m, err := maintenanceOnPage(ctx, s.db, pageID, id)
	if err != nil {
		return nil, err
	}
	if err := loadMaintenanceDetails(ctx, s.db, []*Maintenance{m}); err != nil {
		return nil, err
	}
	return m, nil
}

func maintenanceOnPage(ctx context.Context, db bun.IDB, pageID, id string) (*Maintenance, error) {
	m := new(Maintenance)
	if !ValidID(id) {
		return nil, notFound("Maintenance", id)
	}
	if err := db.NewSelect().Model(m).Where("id = ? AND page_id = ?", id, pageID).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Maintenance", id)
	}
	return m, nil
}

// MaintenanceFilter selects maintenances.
type MaintenanceFilter struct {
	PageID string
	States []MaintenanceState
	Limit  int // default 50
}

// List returns maintenances matching f, latest window first.
func (s *Maintenances) List(ctx context.Context, f MaintenanceFilter) ([]*Maintenance, error) {
	return maintenances(ctx, s.db, f)
}

func maintenances(ctx context.Context, db bun.IDB, f MaintenanceFilter) ([]*Maintenance, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var out []*Maintenance
	q := db.NewSelect().Model(&out).Where("page_id = ?", f.PageID)
	if len(f.States) > 0 {
		q.Where("state IN (?)", bun.List(f.States))
	}
	if err := q.Order("scheduled_for DESC", "id").Limit(int64(min(f.Limit, 1000))).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	if err := loadMaintenanceDetails(ctx, db, out); err != nil {
		return nil, err
	}
	return out, nil
}

func loadMaintenanceComponents(ctx context.Context, db bun.IDB, ms []*Maintenance) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	byID := map[string]*Maintenance{}
	for i, m := range ms {
		ids[i] = m.ID
		byID[m.ID] = m
		m.ComponentIDs = nil
	}
	var mcs []maintenanceComponent
	if err := db.NewSelect().Model(&mcs).Where("maintenance_id IN (?)", bun.List(ids)).Order("component_id").Scan(ctx); err != nil {
		return fmt.Errorf("load maintenance components: %w", err)
	}
	for _, mc := range mcs {
		byID[mc.MaintenanceID].ComponentIDs = append(byID[mc.MaintenanceID].ComponentIDs, mc.ComponentID)
	}
	return nil
}

func loadMaintenanceDetails(ctx context.Context, db bun.IDB, ms []*Maintenance) error {
	if err := loadMaintenanceComponents(ctx, db, ms); err != nil || len(ms) == 0 {
		return err
	}
	ids := make([]string, len(ms))
	byID := map[string]*Maintenance{}
	for i, m := range ms {
		ids[i] = m.ID
		byID[m.ID] = m
		m.Updates = nil
	}
	var ups []*MaintenanceUpdate
	if err := db.NewSelect().Model(&ups).Where("maintenance_id IN (?)", bun.List(ids)).Order("created_at DESC", "id").Scan(ctx); err != nil {
		return fmt.Errorf("load maintenance updates: %w", err)
	}
	for _, u := range ups {
		byID[u.MaintenanceID].Updates = append(byID[u.MaintenanceID].Updates, u)
	}
	return nil
}
