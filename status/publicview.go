package status

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"
)

// UptimeDays is the length of the uptime bars.
const UptimeDays = 90

// publicLimit caps how many incidents and maintenances one page's public
// view holds; older ones drop out of the public history.
const publicLimit = 1000

// PublicView is everything a page shows the public, loaded in one read
// transaction so it is consistent. It never holds hidden components,
// non-public incidents or anything internal.
type PublicView struct {
	Page         *Page
	Groups       []*ComponentGroup
	Components   []*Component // public only, by position
	Uptime       map[string][]UptimeDay
	Incidents    []*Incident // public only, latest start first
	Maintenances []*Maintenance
	Overall      Overall
	BuiltAt      time.Time
	// UpdatedAt is the newest change to public data only, so internal
	// activity on a page does not show through timestamps.
	UpdatedAt time.Time
}

// PublicView loads the public view of a page.
func (s *Service) PublicView(ctx context.Context, pageID string) (*PublicView, error) {
	now := s.Now()
	v := &PublicView{BuiltAt: now, Uptime: map[string][]UptimeDay{}}
	err := s.db.RunInTx(ctx, snapshotTx(s.db), func(ctx context.Context, tx bun.Tx) error {
		var err error
		if v.Page, err = pageByID(ctx, tx, pageID); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&v.Groups).Where("page_id = ?", pageID).Order("position", "name", "id").Scan(ctx); err != nil {
			return fmt.Errorf("load groups: %w", err)
		}
		all, err := components(ctx, tx, pageID)
		if err != nil {
			return err
		}
		public := map[string]bool{}
		for _, c := range all {
			if !c.Hidden {
				v.Components = append(v.Components, c)
				public[c.ID] = true
			}
		}
		vis := VisibilityPublic
		if v.Incidents, err = incidents(ctx, tx, IncidentFilter{PageID: pageID, Visibility: &vis, Limit: publicLimit}); err != nil {
			return err
		}
		for _, inc := range v.Incidents {
			hideComponents(inc, public)
		}
		if v.Maintenances, err = maintenances(ctx, tx, MaintenanceFilter{PageID: pageID, Limit: publicLimit}); err != nil {
			return err
		}
		for _, m := range v.Maintenances {
			ids := m.ComponentIDs[:0]
			for _, id := range m.ComponentIDs {
				if public[id] {
					ids = append(ids, id)
				}
			}
			m.ComponentIDs = ids
		}
		return s.loadUptime(ctx, tx, v, now)
	})
	if err != nil {
		return nil, normalise(err)
	}
	var open []*Incident
	for _, inc := range v.Incidents {
		if inc.State.Open() {
			open = append(open, inc)
		}
	}
	active := false
	for _, m := range v.Maintenances {
		active = active || m.State == MaintenanceInProgress
	}
	v.Overall = RollUp(v.Components, open, active)
	v.UpdatedAt = v.publicUpdatedAt()
	return v, nil
}

func (v *PublicView) publicUpdatedAt() time.Time {
	t := v.Page.CreatedAt
	later := func(u time.Time) {
		if u.After(t) {
			t = u
		}
	}
	for _, g := range v.Groups {
		later(g.UpdatedAt)
	}
	for _, c := range v.Components {
		later(c.UpdatedAt)
	}
	for _, inc := range v.Incidents {
		later(inc.UpdatedAt)
	}
	for _, m := range v.Maintenances {
		later(m.UpdatedAt)
	}
	return t
}

// hideComponents removes hidden components from an incident's public data.
func hideComponents(inc *Incident, public map[string]bool) {
	ics := inc.Components[:0]
	for _, ic := range inc.Components {
		if public[ic.ComponentID] {
			ics = append(ics, ic)
		}
	}
	inc.Components = ics
	for _, u := range inc.Updates {
		cs := u.Components[:0]
		for _, c := range u.Components {
			if public[c.ComponentID] {
				cs = append(cs, c)
			}
		}
		u.Components = cs
	}
}

// loadUptime reads the status history of the view's components for the
// uptime window (plus the change in force at its start) and attaches each
// day's public incidents.
func (s *Service) loadUptime(ctx context.Context, tx bun.IDB, v *PublicView, now time.Time) error {
	if len(v.Components) == 0 {
		return nil
	}
	loc := v.Page.Location()
	local := now.In(loc)
	from := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, -UptimeDays+1).UTC()
	ids := make([]string, len(v.Components))
	for i, c := range v.Components {
		ids[i] = c.ID
	}
	var changes []StatusChange
	if err := tx.NewSelect().Model(&changes).Where("component_id IN (?)", bun.In(ids)).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("changed_at >= ?", from).
				// …and the last change before the window: the status in force at its start.
				WhereOr("?TableAlias.id = (SELECT x.id FROM component_status_changes AS x"+
					" WHERE x.component_id = ?TableAlias.component_id AND x.changed_at < ?"+
					" ORDER BY x.changed_at DESC, x.id DESC LIMIT 1)", from)
		}).Order("component_id", "changed_at", "id").Scan(ctx); err != nil {
		return fmt.Errorf("load status history: %w", err)
	}
	byComp := map[string][]StatusChange{}
	for _, ch := range changes {
		byComp[ch.ComponentID] = append(byComp[ch.ComponentID], ch)
	}
	for _, c := range v.Components {
		h := byComp[c.ID]
		sort.SliceStable(h, func(i, j int) bool { return h[i].ChangedAt.Before(h[j].ChangedAt) })
		days := Uptime(h, now, loc, UptimeDays)
		for i := range days {
			start, end := days[i].Date, days[i].Date.AddDate(0, 0, 1)
			for _, inc := range v.Incidents {
				if affects(inc, c.ID) && overlaps(inc, start, end) {
					days[i].Incidents = append(days[i].Incidents, inc)
				}
			}
		}
		v.Uptime[c.ID] = days
	}
	return nil
}

func affects(inc *Incident, componentID string) bool {
	for _, ic := range inc.Components {
		if ic.ComponentID == componentID {
			return true
		}
	}
	return false
}

func overlaps(inc *Incident, start, end time.Time) bool {
	if !inc.StartedAt.Before(end) {
		return false
	}
	return inc.ResolvedAt == nil || inc.ResolvedAt.After(start)
}
