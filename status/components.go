package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// GroupInput describes a component group.
type GroupInput struct {
	Name        string
	Description string
	Position    int
}

func (in *GroupInput) validate() error {
	f := FieldErrors{}
	checkText(f, "name", in.Name, MaxNameLen, true, false)
	checkText(f, "description", in.Description, MaxShortLen, false, true)
	checkPosition(f, in.Position)
	return f.Err()
}

func checkPosition(f FieldErrors, pos int) {
	if pos < 0 || pos > 100000 {
		f.Add("position", "must be between 0 and 100000")
	}
}

// CreateGroup adds a component group to a page.
func (s *Pages) CreateGroup(ctx context.Context, pageID string, in GroupInput) (*ComponentGroup, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	g := &ComponentGroup{ID: NewID(), PageID: pageID, Name: strings.TrimSpace(in.Name), Description: in.Description,
		Position: in.Position, CreatedAt: now, UpdatedAt: now}
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		if _, err := pageByID(ctx, tx, pageID); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return fmt.Errorf("insert group: %w", err)
		}
		if err := audit(ctx, tx, now, Change{Action: "create", SubjectType: "group", SubjectID: g.ID, PageID: pageID, After: g}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// UpdateGroup replaces a group's fields.
func (s *Pages) UpdateGroup(ctx context.Context, pageID, id string, in GroupInput) (*ComponentGroup, error) {
	if !ValidID(id) {
		return nil, notFound("Group", id)
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	g := new(ComponentGroup)
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(g).Where("id = ? AND page_id = ?", id, pageID).Scan(ctx); err != nil {
			return notFoundOr(err, "Group", id)
		}
		before := *g
		g.Name, g.Description, g.Position, g.UpdatedAt = strings.TrimSpace(in.Name), in.Description, in.Position, s.Now()
		if _, err := tx.NewUpdate().Model(g).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update group: %w", err)
		}
		if err := audit(ctx, tx, g.UpdatedAt, Change{Action: "update", SubjectType: "group", SubjectID: id, PageID: pageID, Before: before, After: g}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, g.UpdatedAt)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// DeleteGroup removes a group; its components stay, ungrouped.
func (s *Pages) DeleteGroup(ctx context.Context, pageID, id string) error {
	if !ValidID(id) {
		return notFound("Group", id)
	}
	return s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		g := new(ComponentGroup)
		if err := tx.NewSelect().Model(g).Where("id = ? AND page_id = ?", id, pageID).Scan(ctx); err != nil {
			return notFoundOr(err, "Group", id)
		}
		if _, err := tx.NewUpdate().Model((*Component)(nil)).Set("group_id = NULL").Where("group_id = ? AND page_id = ?", id, pageID).Exec(ctx); err != nil {
			return fmt.Errorf("ungroup components: %w", err)
		}
		if _, err := tx.NewDelete().Model(g).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete group: %w", err)
		}
		now := s.Now()
		if err := audit(ctx, tx, now, Change{Action: "delete", SubjectType: "group", SubjectID: id, PageID: pageID, Before: g}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
}

// Groups returns a page's groups by position.
func (s *Pages) Groups(ctx context.Context, pageID string) ([]*ComponentGroup, error) {
	return groups(ctx, s.db, pageID)
}

func groups(ctx context.Context, db bun.IDB, pageID string) ([]*ComponentGroup, error) {
	var gs []*ComponentGroup
	if err := db.NewSelect().Model(&gs).Where("page_id = ?", pageID).Order("position", "name", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return gs, nil
}

// ComponentInput describes a component. Status defaults to operational.
type ComponentInput struct {
	Name        string
	Description string
	GroupID     *string
	Status      ComponentStatus
	Position    int
	Hidden      bool
}

// ComponentPatch changes some fields of a component.
type ComponentPatch struct {
	Name        *string
	Description *string
	GroupID     **string // set to a nil *string to ungroup
	Status      *ComponentStatus
	Position    *int
	Hidden      *bool
}

func (p *ComponentPatch) validate() error {
	f := FieldErrors{}
	if p.Name != nil {
		checkText(f, "name", *p.Name, MaxNameLen, true, false)
	}
	if p.Description != nil {
		checkText(f, "description", *p.Description, MaxShortLen, false, true)
	}
	if p.Status != nil && !p.Status.Valid() {
		f.Add("status", OneOf(ComponentStatuses))
	}
	if p.Position != nil {
		checkPosition(f, *p.Position)
	}
	if p.GroupID != nil && *p.GroupID != nil {
		checkID(f, "group_id", **p.GroupID)
	}
	return f.Err()
}

func checkGroup(ctx context.Context, tx bun.IDB, pageID string, groupID *string) error {
	if groupID == nil {
		return nil
	}
	n, err := tx.NewSelect().Model((*ComponentGroup)(nil)).Where("id = ? AND page_id = ?", *groupID, pageID).Count(ctx)
	if err != nil {
		return fmt.Errorf("check group: %w", err)
	}
	if n == 0 {
		return FieldError("group_id", "no such group on this page")
	}
	return nil
}

// CreateComponent adds a component to a page and starts its history.
func (s *Pages) CreateComponent(ctx context.Context, pageID string, in ComponentInput) (*Component, error) {
	if in.Status == "" {
		in.Status = Operational
	}
	patch := ComponentPatch{Name: &in.Name, Description: &in.Description, GroupID: &in.GroupID, Status: &in.Status, Position: &in.Position}
	if err := patch.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	c := &Component{ID: NewID(), PageID: pageID, GroupID: in.GroupID, Name: strings.TrimSpace(in.Name),
		Description: in.Description, Status: in.Status, Position: in.Position, Hidden: in.Hidden,
		StartDate: now, CreatedAt: now, UpdatedAt: now}
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		if _, err := pageByID(ctx, tx, pageID); err != nil {
			return err
		}
		if err := checkGroup(ctx, tx, pageID, in.GroupID); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("insert component: %w", err)
		}
		if err := recordStatus(ctx, tx, c.ID, c.Status, now); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, Change{Action: "create", SubjectType: "component", SubjectID: c.ID, PageID: pageID, After: c}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateComponent applies patch; a status change is added to the history.
func (s *Pages) UpdateComponent(ctx context.Context, pageID, id string, patch ComponentPatch) (*Component, error) {
	if err := patch.validate(); err != nil {
		return nil, err
	}
	c := new(Component)
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if c, err = componentOnPage(ctx, tx, pageID, id); err != nil {
			return err
		}
		now := s.Now()
		before := *c
		if patch.GroupID != nil {
			if err := checkGroup(ctx, tx, pageID, *patch.GroupID); err != nil {
				return err
			}
			c.GroupID = *patch.GroupID
		}
		if patch.Name != nil {
			c.Name = strings.TrimSpace(*patch.Name)
		}
		setIf(&c.Description, patch.Description)
		setIf(&c.Position, patch.Position)
		setIf(&c.Hidden, patch.Hidden)
		if patch.Status != nil && *patch.Status != c.Status {
			if err := setComponentStatus(ctx, tx, c, *patch.Status, now); err != nil {
				return err
			}
		}
		c.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(c).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update component: %w", err)
		}
		if err := audit(ctx, tx, now, Change{Action: "update", SubjectType: "component", SubjectID: id, PageID: pageID, Before: before, After: c}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteComponent removes a component and its history.
func (s *Pages) DeleteComponent(ctx context.Context, pageID, id string) error {
	if !ValidID(id) {
		return notFound("Component", id)
	}
	return s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		c, err := componentOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(c).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete component: %w", err)
		}
		now := s.Now()
		if err := audit(ctx, tx, now, Change{Action: "delete", SubjectType: "component", SubjectID: id, PageID: pageID, Before: c}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
}

// Components returns a page's components (hidden ones included) by
// position.
func (s *Pages) Components(ctx context.Context, pageID string) ([]*Component, error) {
	return components(ctx, s.db, pageID)
}

func components(ctx context.Context, db bun.IDB, pageID string) ([]*Component, error) {
	var cs []*Component
	if err := db.NewSelect().Model(&cs).Where("page_id = ?", pageID).Order("position", "name", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list components: %w", err)
	}
	return cs, nil
}

// ComponentByID returns a component of the page or KindNotFound.
func (s *Pages) ComponentByID(ctx context.Context, pageID, id string) (*Component, error) {
	return componentOnPage(ctx, s.db, pageID, id)
}

// componentWithID returns a component of any page, read through db (the
// service's database, or a transaction the caller holds), or KindNotFound.
func (s *core) componentWithID(ctx context.Context, db bun.IDB, id string) (*Component, error) {
	if db == nil {
		db = s.db
	}
	if !ValidID(id) {
		return nil, notFound("Component", id)
	}
	c := new(Component)
	if err := db.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Component", id)
	}
	return c, nil
}

// componentGroupIDs returns, sorted and each once, the ids of the groups
// that the components with the given ids are in now; components in no
// group, and unknown ids, add nothing. It reads through db (a transaction
// or database the caller holds; nil for the service's), so that who
// follows a group is resolved without joining status's tables.
func (s *core) componentGroupIDs(ctx context.Context, db bun.IDB, componentIDs []string) ([]string, error) {
	if db == nil {
		db = s.db
	}
	if len(componentIDs) == 0 {
		return nil, nil
	}
	var ids []string
	if err := db.NewSelect().Model((*Component)(nil)).Distinct().Column("group_id").
		Where("id IN (?) AND group_id IS NOT NULL", bun.List(componentIDs)).Order("group_id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("find the groups of %d components: %w", len(componentIDs), err)
	}
	return ids, nil
}

func componentOnPage(ctx context.Context, db bun.IDB, pageID, id string) (*Component, error) {
	if !ValidID(id) {
		return nil, notFound("Component", id)
	}
	c := new(Component)
	if err := db.NewSelect().Model(c).Where("id = ? AND page_id = ?", id, pageID).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Component", id)
	}
	return c, nil
}

// setComponentStatus changes c's status in memory and records the change;
// the caller saves c.
func setComponentStatus(ctx context.Context, tx bun.IDB, c *Component, st ComponentStatus, now time.Time) error {
	c.Status = st
	c.UpdatedAt = now
	return recordStatus(ctx, tx, c.ID, st, now)
}

func recordStatus(ctx context.Context, tx bun.IDB, componentID string, st ComponentStatus, at time.Time) error {
	ch := &StatusChange{ID: NewID(), ComponentID: componentID, Status: st, ChangedAt: at}
	if _, err := tx.NewInsert().Model(ch).Exec(ctx); err != nil {
		return fmt.Errorf("record status of component %s: %w", componentID, err)
	}
	return nil
}

func notFoundOr(err error, what, id string) error {
	if KindOf(normalise(err)) == KindNotFound {
		return notFound(what, id)
	}
	return fmt.Errorf("load %s %s: %w", strings.ToLower(what), id, err)
}

// saveStatus changes a component's status, records the change and saves it.
func saveStatus(ctx context.Context, tx bun.IDB, c *Component, st ComponentStatus, now time.Time) error {
	if err := setComponentStatus(ctx, tx, c, st, now); err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model(c).Column("status", "updated_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update component %s: %w", c.ID, err)
	}
	return nil
}

// settledStatus is the public status a component falls back to when a
// public incident resolves or a maintenance ends: the worst status any
// other open public incident gives it, else under_maintenance while another maintenance is in
// progress on it, else operational. exceptIncident and exceptMaintenance
// name the incident or maintenance that is ending ("" for none).
func settledStatus(ctx context.Context, tx bun.IDB, componentID, exceptIncident, exceptMaintenance string) (ComponentStatus, error) {
	var held []ComponentStatus
	if err := tx.NewSelect().Model((*IncidentComponent)(nil)).Column("ic.status").
		Join("JOIN incidents AS i ON i.id = ic.incident_id").
		Where("ic.component_id = ? AND i.id <> ? AND i.state <> ? AND i.visibility = ?", componentID, exceptIncident, StateResolved, VisibilityPublic).
		Scan(ctx, &held); err != nil {
		return "", fmt.Errorf("load open incidents of component %s: %w", componentID, err)
	}
	target := Operational
	for _, h := range held {
		if h.Rank() > target.Rank() {
			target = h
		}
	}
	if target != Operational {
		return target, nil
	}
	n, err := tx.NewSelect().Model((*maintenanceComponent)(nil)).
		Join("JOIN maintenances AS m ON m.id = maintenance_component.maintenance_id").
		Where("maintenance_component.component_id = ? AND m.id <> ? AND m.state = ?", componentID, exceptMaintenance, MaintenanceInProgress).
		Count(ctx)
	if err != nil {
		return "", fmt.Errorf("load maintenance of component %s: %w", componentID, err)
	}
	if n > 0 {
		return UnderMaintenance, nil
	}
	return Operational, nil
}

// Component returns a component of any page, or KindNotFound.
func (s *Pages) Component(ctx context.Context, id string) (*Component, error) {
	return s.componentWithID(ctx, nil, id)
}

// ComponentGroupIDs returns the ids of the groups that the components with
// the given ids are in now; components in no group, and unknown ids, add
// nothing. Tx.ComponentGroupIDs reads the same inside a transaction.
func (s *Pages) ComponentGroupIDs(ctx context.Context, componentIDs []string) ([]string, error) {
	return s.componentGroupIDs(ctx, nil, componentIDs)
}
