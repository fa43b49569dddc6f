package status

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// ordering is what the audit log keeps of a move: where the subject stood
// and the order of its siblings, by id.
type ordering struct {
	GroupID  *string  `json:"group_id,omitempty"`
	Position int      `json:"position"`
	Order    []string `json:"order"`
}

// MoveGroup moves a group delta places among its page's groups: negative
// moves it up (shown earlier), positive down. Moving past either end stops
// there; a move that changes nothing writes nothing. The page's groups are
// renumbered 1…n in their shown order, in one transaction with the audit
// entry. An unknown group is a KindNotFound error.
func (s *Pages) MoveGroup(ctx context.Context, pageID, id string, delta int) (*ComponentGroup, error) {
	if !ValidID(id) {
		return nil, notFound("Group", id)
	}
	var moved *ComponentGroup
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		if err := lockPage(ctx, tx, pageID); err != nil {
			return err
		}
		var gs []*ComponentGroup
		if err := tx.NewSelect().Model(&gs).Where("page_id = ?", pageID).Order("position", "name", "id").Scan(ctx); err != nil {
			return fmt.Errorf("list groups of page %s: %w", pageID, err)
		}
		ids := make([]string, len(gs))
		byID := make(map[string]*ComponentGroup, len(gs))
		for i, g := range gs {
			ids[i], byID[g.ID] = g.ID, g
		}
		if moved = byID[id]; moved == nil {
			return notFound("Group", id)
		}
		order, ok := reorder(ids, id, delta)
		if !ok {
			return nil
		}
		before := ordering{Position: moved.Position, Order: ids}
		now := s.Now()
		positions := make(map[string]*int, len(gs))
		for _, g := range gs {
			positions[g.ID] = &g.Position
		}
		if err := renumber(ctx, tx, (*ComponentGroup)(nil), order, positions, now); err != nil {
			return err
		}
		after := ordering{Position: moved.Position, Order: order}
		if err := audit(ctx, tx, now, Change{Action: "move", SubjectType: "group", SubjectID: id, PageID: pageID,
			Before: before, After: after}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// MoveComponent moves a component delta places among the components of its
// group (or among the ungrouped ones): negative moves it up, positive down.
// Moving past either end stops there; a move that changes nothing writes
// nothing. The group's components are renumbered 1…n in their shown order,
// in one transaction with the audit entry. An unknown component is a
// KindNotFound error.
func (s *Pages) MoveComponent(ctx context.Context, pageID, id string, delta int) (*Component, error) {
	if !ValidID(id) {
		return nil, notFound("Component", id)
	}
	var moved *Component
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		if err := lockPage(ctx, tx, pageID); err != nil {
			return err
		}
		c, err := componentOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		var cs []*Component
		q := tx.NewSelect().Model(&cs).Where("page_id = ?", pageID)
		if c.GroupID == nil {
			q.Where("group_id IS NULL")
		} else {
			q.Where("group_id = ?", *c.GroupID)
		}
		if err := q.Order("position", "name", "id").Scan(ctx); err != nil {
			return fmt.Errorf("list components beside %s: %w", id, err)
		}
		ids := make([]string, len(cs))
		byID := make(map[string]*Component, len(cs))
		for i, sib := range cs {
			ids[i], byID[sib.ID] = sib.ID, sib
		}
		moved = byID[id]
		order, ok := reorder(ids, id, delta)
		if !ok {
			return nil
		}
		before := ordering{GroupID: c.GroupID, Position: moved.Position, Order: ids}
		now := s.Now()
		positions := make(map[string]*int, len(cs))
		for _, sib := range cs {
			positions[sib.ID] = &sib.Position
		}
		if err := renumber(ctx, tx, (*Component)(nil), order, positions, now); err != nil {
			return err
		}
		after := ordering{GroupID: c.GroupID, Position: moved.Position, Order: order}
		if err := audit(ctx, tx, now, Change{Action: "move", SubjectType: "component", SubjectID: id, PageID: pageID,
			Before: before, After: after}); err != nil {
			return err
		}
		return bumpPage(ctx, tx, pageID, now)
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// renumber gives the rows of model's table positions 1…n in order,
// writing only those that change; positions holds each row's position and
// is updated to match.
func renumber(ctx context.Context, tx bun.Tx, model any, order []string, positions map[string]*int, now time.Time) error {
	for i, id := range order {
		if *positions[id] == i+1 {
			continue
		}
		*positions[id] = i + 1
		if _, err := tx.NewUpdate().Model(model).Set("position = ?", i+1).Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("renumber %s: %w", id, err)
		}
	}
	return nil
}

// reorder returns ids with id moved delta places, clamped to the ends, and
// whether the order changed.
func reorder(ids []string, id string, delta int) ([]string, bool) {
	from := -1
	for i, v := range ids {
		if v == id {
			from = i
		}
	}
	if from < 0 {
		return ids, false
	}
	to := from + max(-len(ids), min(len(ids), delta))
	to = max(0, min(len(ids)-1, to))
	if to == from {
		return ids, false
	}
	out := make([]string, 0, len(ids))
	out = append(out, ids[:from]...)
	out = append(out, ids[from+1:]...)
	out = append(out[:to], append([]string{id}, out[to:]...)...)
	return out, true
}

// lockPage holds the page's row until the transaction ends, so that two
// reorderings of one page run one after the other (SQLite has one writer
// anyway). An unknown page is a KindNotFound error.
func lockPage(ctx context.Context, tx bun.Tx, pageID string) error {
	if !ValidID(pageID) {
		return notFound("Page", pageID)
	}
	q := tx.NewSelect().Model((*Page)(nil)).Column("id").Where("id = ?", pageID)
	if db.DialectOf(tx) == db.Postgres {
		q.For("UPDATE")
	}
	var got string
	if err := q.Scan(ctx, &got); err != nil {
		return notFoundOr(err, "Page", pageID)
	}
	return nil
}
