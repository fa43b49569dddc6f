package status

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/uptrace/bun"
)

// UptimeDays is the length of the uptime bars.
const UptimeDays = 90

// publicLimit caps how many incidents and maintenances one page's public
// view holds; older ones drop out of the public history.
const publicLimit = 1000

// PageView is everything one audience sees of a page, loaded in one read
// transaction so it is consistent. It never holds what the audience may not
// see (see Audience): the public view has no hidden components, no
// non-public incidents and nothing internal.
type PageView struct {
	Audience     Audience
	Page         *Page
	Groups       []*ComponentGroup
	Components   []*Component // visible ones, by position, with the audience's status
	Uptime       map[string][]UptimeDay
	Incidents    []*IncidentView // latest start first
	Maintenances []*Maintenance
	Overall      Overall
	BuiltAt      time.Time
	// UpdatedAt is the newest change the audience can see, so activity it
	// cannot see does not show through timestamps.
	UpdatedAt time.Time
}

// View loads what audience a sees of a page. It returns KindNotFound
// when there is no such page.
func (s *Pages) View(ctx context.Context, a Audience, pageID string) (*PageView, error) {
	now := s.Now()
	v := &PageView{Audience: a, BuiltAt: now, Uptime: map[string][]UptimeDay{}}
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
		visible := componentsFor(a, all)
		incs, err := incidents(ctx, tx, IncidentFilter{PageID: pageID, audience: &a, Limit: publicLimit})
		if err != nil {
			return err
		}
		linked, err := linkedCustomers(ctx, tx, incs)
		if err != nil {
			return err
		}
		byID := map[string]*Component{}
		for _, c := range all {
			if visible(c.ID) {
				cp := *c
				v.Components = append(v.Components, &cp)
				byID[c.ID] = &cp
			}
		}
		at := sight{page: v.Page, components: all, visible: visible, now: now}
		for _, inc := range incs {
			if iv := see(a, inc, linked[inc.ID], at); iv != nil {
				v.Incidents = append(v.Incidents, iv)
			}
			if a.Kind != AudiencePublic && inc.State.Open() && !inc.Public() && a.sees(inc.Visibility, linked[inc.ID]) {
				// What a customer (or the team) sees adds the
				// non-public incidents it may see to the public status.
				for _, ic := range inc.Components {
					if c := byID[ic.ComponentID]; c != nil && ic.Status.Rank() > c.Status.Rank() {
						c.Status = ic.Status
					}
				}
			}
		}
		if v.Maintenances, err = maintenances(ctx, tx, MaintenanceFilter{PageID: pageID, Limit: publicLimit}); err != nil {
			return err
		}
		for _, m := range v.Maintenances {
			m.ComponentIDs = slices.DeleteFunc(m.ComponentIDs, func(id string) bool { return !visible(id) })
		}
		return s.loadUptime(ctx, tx, v, now)
	})
	if err != nil {
		return nil, normalise(err)
	}
	var open []*IncidentView
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
	v.UpdatedAt = v.updatedAt()
	return v, nil
}

// componentsFor says which of a page's components the audience sees:
// hidden ones are for the team only.
func componentsFor(a Audience, all []*Component) func(string) bool {
	shown := make(map[string]bool, len(all))
	for _, c := range all {
		shown[c.ID] = !c.Hidden || a.Kind == AudienceInternal
	}
	return func(id string) bool { return shown[id] }
}

// linkedCustomers returns the ids of the customers each incident affects.
func linkedCustomers(ctx context.Context, db bun.IDB, incs []*Incident) (map[string][]string, error) {
	out := map[string][]string{}
	if len(incs) == 0 {
		return out, nil
	}
	ids := make([]string, len(incs))
	for i, inc := range incs {
		ids[i] = inc.ID
	}
	var rows []struct {
		IncidentID string `bun:"incident_id"`
		CustomerID string `bun:"customer_id"`
	}
	if err := db.NewSelect().Table("incident_customers").Column("incident_id", "customer_id").
		Where("incident_id IN (?)", bun.List(ids)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("load incidents' customers: %w", err)
	}
	for _, r := range rows {
		out[r.IncidentID] = append(out[r.IncidentID], r.CustomerID)
	}
	return out, nil
}

// View returns what audience a sees of an incident of the page. It
// returns KindNotFound when there is no such incident or the audience may
// not see it, the same answer in both cases.
func (s *Incidents) View(ctx context.Context, a Audience, pageID, id string) (*IncidentView, error) {
	vs, err := s.Views(ctx, pageID, id, a)
	if err != nil {
		return nil, err
	}
	if vs[0] == nil {
		return nil, notFound("Incident", id)
	}
	return vs[0], nil
}

// Views returns what each audience sees of an incident, reading it
// once: nil for an audience that may not see it. KindNotFound when there is
// no such incident.
func (s *Incidents) Views(ctx context.Context, pageID, id string, as ...Audience) ([]*IncidentView, error) {
	var vs []*IncidentView
	err := s.db.RunInTx(ctx, snapshotTx(s.db), func(ctx context.Context, tx bun.Tx) error {
		var err error
		vs, err = incidentViews(ctx, tx, pageID, id, as, s.Now())
		return err
	})
	return vs, normalise(err)
}

// incidentViewWith is IncidentView read through db (a transaction the
// caller holds).
func (s *core) incidentViewWith(ctx context.Context, db bun.IDB, a Audience, pageID, id string) (*IncidentView, error) {
	vs, err := incidentViews(ctx, db, pageID, id, []Audience{a}, s.Now())
	if err != nil {
		return nil, normalise(err)
	}
	if vs[0] == nil {
		return nil, notFound("Incident", id)
	}
	return vs[0], nil
}

// incidentViews reads an incident of the page once and returns what each
// audience sees of it at now (nil for one that may not see it).
func incidentViews(ctx context.Context, tx bun.IDB, pageID, id string, as []Audience, now time.Time) ([]*IncidentView, error) {
	inc, err := incidentOnPage(ctx, tx, pageID, id)
	if err != nil {
		return nil, err
	}
	page, err := pageByID(ctx, tx, pageID)
	if err != nil {
		return nil, err
	}
	if err := loadIncidentDetails(ctx, tx, []*Incident{inc}); err != nil {
		return nil, err
	}
	all, err := components(ctx, tx, pageID)
	if err != nil {
		return nil, err
	}
	linked, err := linkedCustomers(ctx, tx, []*Incident{inc})
	if err != nil {
		return nil, err
	}
	vs := make([]*IncidentView, len(as))
	for i, a := range as {
		vs[i] = see(a, inc, linked[inc.ID], sight{page: page, components: all, visible: componentsFor(a, all), now: now})
	}
	return vs, nil
}

// InternalView is the team's view of an incident already loaded with its
// updates and components: every update with the audience it was posted
// for. Read without the page, it names no affected components, its
// contact is the record's only, and its next update is never late.
func (inc *Incident) InternalView() *IncidentView {
	return see(Internal(), inc, nil, sight{visible: func(string) bool { return true }})
}

func (v *PageView) updatedAt() time.Time {
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

// loadUptime reads the status history of the view's components for the
// uptime window (plus the change in force at its start) and attaches each
// day's public incidents.
func (s *core) loadUptime(ctx context.Context, tx bun.IDB, v *PageView, now time.Time) error {
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
	if err := tx.NewSelect().Model(&changes).Where("component_id IN (?)", bun.List(ids)).
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

func affects(inc *IncidentView, componentID string) bool {
	for _, ic := range inc.Components {
		if ic.ComponentID == componentID {
			return true
		}
	}
	return false
}

func overlaps(inc *IncidentView, start, end time.Time) bool {
	if !inc.StartedAt.Before(end) {
		return false
	}
	return inc.ResolvedAt == nil || inc.ResolvedAt.After(start)
}
