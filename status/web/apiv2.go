package web

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/herald-status/herald/status"
)

// The Statuspage public API v2 shapes (shared/reference/statuspage-api-v2.md).
// Field names, nesting and enum values match Atlassian's so existing
// widgets and scripts work unchanged. Only public data is ever put in them.

type spPage struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

type spStatus struct {
	Indicator   string `json:"indicator"`
	Description string `json:"description"`
}

type spComponent struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Status             string   `json:"status"`
	CreatedAt          string   `json:"created_at"`
	UpdatedAt          string   `json:"updated_at"`
	Position           int      `json:"position"`
	Description        *string  `json:"description"`
	Showcase           bool     `json:"showcase"`
	StartDate          *string  `json:"start_date"`
	GroupID            *string  `json:"group_id"`
	PageID             string   `json:"page_id"`
	Group              bool     `json:"group"`
	OnlyShowIfDegraded bool     `json:"only_show_if_degraded"`
	Components         []string `json:"components,omitempty"`
}

type spAffected struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

type spUpdate struct {
	ID                   string        `json:"id"`
	Status               string        `json:"status"`
	Body                 string        `json:"body"`
	IncidentID           string        `json:"incident_id"`
	CreatedAt            string        `json:"created_at"`
	UpdatedAt            string        `json:"updated_at"`
	DisplayAt            string        `json:"display_at"`
	AffectedComponents   []spAffected  `json:"affected_components"`
	DeliverNotifications bool          `json:"deliver_notifications"`
	CustomTweet          *string       `json:"custom_tweet"`
	TweetID              *string       `json:"tweet_id"`
	Herald               *heraldUpdate `json:"herald,omitempty"`
}

// heraldUpdate is Herald's extension of an update (unknown keys are
// ignored by Statuspage clients): the kind and ETA have no standard field.
type heraldUpdate struct {
	Kind       string  `json:"kind"`
	ETA        *string `json:"eta,omitempty"`
	Resolution string  `json:"resolution,omitempty"`
}

type spIncident struct {
	ID              string        `json:"id"`
	Name            string        `json:"name"`
	Status          string        `json:"status"`
	CreatedAt       string        `json:"created_at"`
	UpdatedAt       string        `json:"updated_at"`
	MonitoringAt    *string       `json:"monitoring_at"`
	ResolvedAt      *string       `json:"resolved_at"`
	Impact          string        `json:"impact"`
	Shortlink       string        `json:"shortlink"`
	StartedAt       string        `json:"started_at"`
	PageID          string        `json:"page_id"`
	IncidentUpdates []spUpdate    `json:"incident_updates"`
	Components      []spComponent `json:"components"`
	ScheduledFor    *string       `json:"scheduled_for,omitempty"`
	ScheduledUntil  *string       `json:"scheduled_until,omitempty"`
	// NextUpdateAt is Herald's extension: the promised time of the next
	// update while the incident is open.
	NextUpdateAt *string `json:"next_update_at,omitempty"`
}

type spSummary struct {
	Page                  spPage        `json:"page"`
	Components            []spComponent `json:"components"`
	Incidents             []spIncident  `json:"incidents"`
	ScheduledMaintenances []spIncident  `json:"scheduled_maintenances"`
	Status                spStatus      `json:"status"`
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func tsp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ts(*t)
	return &s
}

// apiView converts a public view into Statuspage shapes. pageURL is the
// page's absolute URL.
type apiView struct {
	v       *status.PageView
	pageURL string
	comps   map[string]spComponent
}

func newAPIView(v *status.PageView, pageURL string) *apiView {
	a := &apiView{v: v, pageURL: pageURL, comps: map[string]spComponent{}}
	for _, c := range v.Components {
		a.comps[c.ID] = a.component(c)
	}
	return a
}

func (a *apiView) page() spPage {
	p := a.v.Page
	return spPage{ID: p.ID, Name: p.Name, URL: a.pageURL, TimeZone: p.TimeZone, UpdatedAt: ts(a.v.UpdatedAt)}
}

func (a *apiView) status() spStatus {
	return spStatus{Indicator: string(a.v.Overall.Indicator), Description: a.v.Overall.Description}
}

func (a *apiView) component(c *status.Component) spComponent {
	var desc *string
	if c.Description != "" {
		desc = &c.Description
	}
	start := c.StartDate.UTC().Format("2006-01-02")
	return spComponent{ID: c.ID, Name: c.Name, Status: string(c.Status), CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt),
		Position: c.Position, Description: desc, Showcase: true, StartDate: &start, GroupID: c.GroupID,
		PageID: c.PageID}
}

// components lists group containers and components the way Statuspage
// does: one flat array, groups flagged with group: true and listing their
// children's ids.
func (a *apiView) components() []spComponent {
	out := []spComponent{}
	children := map[string][]string{}
	worst := map[string]status.ComponentStatus{}
	for _, c := range a.v.Components {
		if c.GroupID != nil {
			children[*c.GroupID] = append(children[*c.GroupID], c.ID)
			if w, ok := worst[*c.GroupID]; !ok || c.Status.Rank() > w.Rank() {
				worst[*c.GroupID] = c.Status
			}
		}
	}
	// Page order: ungrouped components, then each group followed by its
	// components, with page-wide positions as Statuspage numbers them.
	add := func(c spComponent) {
		c.Position = len(out) + 1
		out = append(out, c)
	}
	for _, c := range a.v.Components {
		if c.GroupID == nil {
			add(a.comps[c.ID])
		}
	}
	for _, g := range a.v.Groups {
		if len(children[g.ID]) == 0 {
			continue
		}
		var desc *string
		if g.Description != "" {
			desc = &g.Description
		}
		add(spComponent{ID: g.ID, Name: g.Name, Status: string(worst[g.ID]), CreatedAt: ts(g.CreatedAt),
			UpdatedAt: ts(g.UpdatedAt), Description: desc, Showcase: false, PageID: g.PageID,
			Group: true, Components: children[g.ID]})
		for _, id := range children[g.ID] {
			add(a.comps[id])
		}
	}
	return out
}

func (a *apiView) incident(inc *status.IncidentView) spIncident {
	out := spIncident{ID: inc.ID, Name: inc.Title, Status: inc.StatuspageStatus(), CreatedAt: ts(inc.CreatedAt),
		UpdatedAt: ts(inc.UpdatedAt), MonitoringAt: tsp(inc.MonitoringAt), ResolvedAt: tsp(inc.ResolvedAt),
		Impact: string(inc.Severity.Impact()), Shortlink: a.pageURL + "/incidents/" + inc.ID, StartedAt: ts(inc.StartedAt),
		PageID: inc.PageID, IncidentUpdates: []spUpdate{}, Components: []spComponent{}}
	if inc.State.Open() && inc.NextUpdateAt != nil {
		out.NextUpdateAt = tsp(inc.NextUpdateAt)
	}
	for i, u := range inc.Updates {
		body := u.Body
		if i == 0 && out.NextUpdateAt != nil {
			// The promise travels with the newest update, so widgets that
			// show only update bodies show it too.
			if inc.NextUpdateLate {
				body += "\n\nAn update is on its way."
			} else {
				body += "\n\nNext update by " + inc.NextUpdateAt.In(a.v.Page.Location()).Format("15:04 MST") + "."
			}
		}
		su := spUpdate{ID: u.ID, Status: u.State.Statuspage(), Body: body, IncidentID: inc.ID, CreatedAt: ts(u.CreatedAt),
			UpdatedAt: ts(u.CreatedAt), DisplayAt: ts(u.DisplayAt), DeliverNotifications: u.Notify,
			Herald: &heraldUpdate{Kind: string(u.Kind), ETA: tsp(u.ETA), Resolution: string(u.Resolution)}}
		if len(u.Components) > 0 {
			su.AffectedComponents = []spAffected{}
			for _, c := range u.Components {
				su.AffectedComponents = append(su.AffectedComponents, spAffected{Code: c.ComponentID, Name: c.Name,
					OldStatus: string(c.OldStatus), NewStatus: string(c.NewStatus)})
			}
		}
		out.IncidentUpdates = append(out.IncidentUpdates, su)
	}
	for _, ic := range inc.Components {
		if c, ok := a.comps[ic.ComponentID]; ok {
			out.Components = append(out.Components, c)
		}
	}
	return out
}

func (a *apiView) maintenance(m *status.Maintenance) spIncident {
	st := string(m.State)
	out := spIncident{ID: m.ID, Name: m.Title, Status: st, CreatedAt: ts(m.CreatedAt), UpdatedAt: ts(m.UpdatedAt),
		ResolvedAt: tsp(m.CompletedAt), Impact: "maintenance", Shortlink: a.pageURL + "/maintenance/" + m.ID,
		StartedAt: ts(m.ScheduledFor), PageID: m.PageID, IncidentUpdates: []spUpdate{}, Components: []spComponent{},
		ScheduledFor: tsp(&m.ScheduledFor), ScheduledUntil: tsp(&m.ScheduledUntil)}
	if m.StartedAt != nil {
		out.StartedAt = ts(*m.StartedAt)
	}
	for _, u := range m.Updates {
		out.IncidentUpdates = append(out.IncidentUpdates, spUpdate{ID: u.ID, Status: string(u.State), Body: u.Body,
			IncidentID: m.ID, CreatedAt: ts(u.CreatedAt), UpdatedAt: ts(u.CreatedAt), DisplayAt: ts(u.CreatedAt),
			DeliverNotifications: true})
	}
	for _, id := range m.ComponentIDs {
		if c, ok := a.comps[id]; ok {
			out.Components = append(out.Components, c)
		}
	}
	return out
}

// incidents returns up to limit incidents; open only when unresolved.
func (a *apiView) incidents(unresolved bool, limit int) []spIncident {
	out := []spIncident{}
	for _, inc := range a.v.Incidents {
		if limit > 0 && len(out) == limit {
			break
		}
		if unresolved && !inc.State.Open() {
			continue
		}
		out = append(out, a.incident(inc))
	}
	return out
}

func (a *apiView) maintenances(states []status.MaintenanceState, limit int) []spIncident {
	out := []spIncident{}
	for _, m := range a.v.Maintenances {
		if limit > 0 && len(out) == limit {
			break
		}
		if len(states) > 0 && !hasState(states, m.State) {
			continue
		}
		out = append(out, a.maintenance(m))
	}
	return out
}

func hasState(states []status.MaintenanceState, s status.MaintenanceState) bool {
	for _, x := range states {
		if x == s {
			return true
		}
	}
	return false
}

// apiLimit is how many incidents or maintenances the list endpoints return,
// like Statuspage.
const apiLimit = 50

// document builds the JSON document of one /api/v2 endpoint; ok is false
// for an unknown endpoint.
func (a *apiView) document(name string) (any, bool) {
	upcoming := []status.MaintenanceState{status.MaintenanceScheduled}
	active := []status.MaintenanceState{status.MaintenanceInProgress}
	switch name {
	case "summary.json":
		return spSummary{Page: a.page(), Components: a.components(), Incidents: a.incidents(true, 0),
			ScheduledMaintenances: a.maintenances(append(upcoming, active...), 0), Status: a.status()}, true
	case "status.json":
		return struct {
			Page   spPage   `json:"page"`
			Status spStatus `json:"status"`
		}{a.page(), a.status()}, true
	case "components.json":
		return struct {
			Page       spPage        `json:"page"`
			Components []spComponent `json:"components"`
		}{a.page(), a.components()}, true
	case "incidents.json", "incidents/unresolved.json":
		limit := apiLimit
		if name != "incidents.json" {
			limit = 0
		}
		return struct {
			Page      spPage       `json:"page"`
			Incidents []spIncident `json:"incidents"`
		}{a.page(), a.incidents(name != "incidents.json", limit)}, true
	case "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json":
		var states []status.MaintenanceState
		limit := apiLimit
		switch name {
		case "scheduled-maintenances/upcoming.json":
			states, limit = upcoming, 0
			return struct {
				Page                  spPage       `json:"page"`
				ScheduledMaintenances []spIncident `json:"scheduled_maintenances"`
			}{a.page(), soonestFirst(a.maintenances(states, limit))}, true
		case "scheduled-maintenances/active.json":
			states, limit = active, 0
		}
		return struct {
			Page                  spPage       `json:"page"`
			ScheduledMaintenances []spIncident `json:"scheduled_maintenances"`
		}{a.page(), a.maintenances(states, limit)}, true
	}
	return nil, false
}

func marshalAPI(doc any) ([]byte, error) { return json.Marshal(doc) }

// soonestFirst orders maintenances by their window's start.
func soonestFirst(ms []spIncident) []spIncident {
	sort.SliceStable(ms, func(i, j int) bool { return *ms[i].ScheduledFor < *ms[j].ScheduledFor })
	return ms
}
