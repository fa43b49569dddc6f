package web

import (
	"fmt"
	"html/template"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/herald-status/herald/static"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// renderer turns public views into HTML with the embedded templates.
type renderer struct {
	set    *templates.Set
	assets *static.Assets
}

func newRenderer(assets *static.Assets) (*renderer, error) {
	set, err := templates.Parse(templateFuncs())
	if err != nil {
		return nil, err
	}
	return &renderer{set: set, assets: assets}, nil
}

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"iso": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.UTC().Format(time.RFC3339)
			case *time.Time:
				if v != nil {
					return v.UTC().Format(time.RFC3339)
				}
			}
			return ""
		},
		"fmtTime": func(loc *time.Location, t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.In(loc).Format("Jan 2, 2006 15:04 MST")
			case *time.Time:
				if v != nil {
					return v.In(loc).Format("Jan 2, 2006 15:04 MST")
				}
			}
			return ""
		},
		"fmtDate": func(t time.Time) string { return t.Format("Jan 2, 2006") },
		"fmtClock": func(loc *time.Location, t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.In(loc).Format("15:04 MST")
		},
		"day": func(t time.Time) string { return t.Format("2006-01-02") },
		"pct": func(f float64) string {
			p := math.Floor(f*10000) / 100 // never round 99.999 up to 100
			return fmt.Sprintf("%.2f%%", p)
		},
		"barClass": func(d status.UptimeDay) string {
			if !d.HasData() {
				return "nodata"
			}
			switch {
			case d.Worst == status.MajorOutage:
				return "critical"
			case d.Worst == status.PartialOutage:
				return "major"
			case d.Worst == status.DegradedPerformance || len(d.Incidents) > 0:
				return "minor"
			}
			return "ok"
		},
		"join": strings.Join,
		"names": func(ids []string, names map[string]string) string {
			var out []string
			for _, id := range ids {
				if n, ok := names[id]; ok {
					out = append(out, n)
				}
			}
			return strings.Join(out, ", ")
		},
		"list":  func(items ...string) []string { return items },
		"lower": strings.ToLower,
		// isolate keeps text with direction controls from turning the
		// text around it, where no <bdi> can go (<title>, <option>).
		"isolate": status.IsolateDirection,
		"updatesOf": func(ups []*status.UpdateView, loc *time.Location) updatesData {
			return updatesData{Updates: ups, Loc: loc}
		},
	}
}

type updatesData struct {
	Updates []*status.UpdateView
	Loc     *time.Location
}

// publicBase is what every public page's layout needs.
type publicBase struct {
	Page    *status.Page
	Root    string // prefix of links within the page: "" or "/p/{slug}"
	Loc     *time.Location
	Overall status.Overall
	BuiltAt time.Time // when the snapshot was built: shown only when stale
	// UpdatedAt is the last change the public can see: internal activity
	// does not move it, so it tells nobody when the team is at work.
	UpdatedAt time.Time
	Stale     bool
	CSS       string
	Icon      string
	Names     map[string]string // public component id → name
}

type cardData struct {
	*publicBase
	Incident *status.IncidentView
	// Updates are the updates the card shows, newest first.
	Updates []*status.UpdateView
	// Latest is set when the card shows only the latest update, with the
	// incident's contact and a link to the incident's page, which has the
	// Earlier updates the card leaves out.
	Latest  bool
	Earlier int
}

type mcardData struct {
	*publicBase
	M *status.Maintenance
}

// Card pairs an incident with the page data for the "incident-card"
// partial, with every update.
func (b *publicBase) Card(inc *status.IncidentView) cardData {
	return cardData{publicBase: b, Incident: inc, Updates: inc.Updates}
}

// LatestCard is Card with the latest update only and a link to the rest,
// as Statuspage shows active incidents: several long-running incidents
// must not push the components out of sight.
func (b *publicBase) LatestCard(inc *status.IncidentView) cardData {
	d := cardData{publicBase: b, Incident: inc, Latest: true}
	if len(inc.Updates) > 0 {
		d.Updates, d.Earlier = inc.Updates[:1], len(inc.Updates)-1
	}
	return d
}

// MCard pairs a maintenance with the page data for "maintenance-card".
func (b *publicBase) MCard(m *status.Maintenance) mcardData { return mcardData{b, m} }

type statusPageData struct {
	*publicBase
	Active     []*status.IncidentView
	InProgress []*status.Maintenance
	Upcoming   []*status.Maintenance
	Groups     []groupView
	Recent     []dayView
	Days       int
}

type groupView struct {
	Group      *status.ComponentGroup // nil for ungrouped components
	Worst      status.ComponentStatus
	Components []componentView
}

type componentView struct {
	*status.Component
	Days      []status.UptimeDay
	UptimePct float64
}

type dayView struct {
	Date      time.Time
	Incidents []*status.IncidentView
}

type incidentPageData struct {
	*publicBase
	Incident *status.IncidentView
}

type maintenancePageData struct {
	*publicBase
	Maintenance *status.Maintenance
}

type historyPageData struct {
	*publicBase
	Months       []monthView
	Newer, Older int
}

type monthView struct {
	ID           string
	Label        string
	Incidents    []*status.IncidentView
	Maintenances []*status.Maintenance
}

type errorPageData struct {
	*publicBase
	Heading, Message string
}

func (r *renderer) base(v *status.PageView, root string, stale bool) *publicBase {
	names := make(map[string]string, len(v.Components))
	for _, c := range v.Components {
		names[c.ID] = c.Name
	}
	return &publicBase{Page: v.Page, Root: root, Loc: v.Page.Location(), Overall: v.Overall, BuiltAt: v.BuiltAt,
		UpdatedAt: v.UpdatedAt, Stale: stale, CSS: r.assets.URL("css/herald.css"), Icon: r.assets.URL("img/icon.svg"), Names: names}
}

// recentDays is how many days of past incidents the status page lists.
const recentDays = 7

func (r *renderer) statusPage(v *status.PageView, root string, stale bool) ([]byte, error) {
	d := statusPageData{publicBase: r.base(v, root, stale), Days: status.UptimeDays}
	for _, inc := range v.Incidents {
		if inc.State.Open() {
			d.Active = append(d.Active, inc)
		}
	}
	for _, m := range v.Maintenances {
		switch m.State {
		case status.MaintenanceInProgress:
			d.InProgress = append(d.InProgress, m)
		case status.MaintenanceScheduled:
			d.Upcoming = append(d.Upcoming, m)
		}
	}
	sort.Slice(d.Upcoming, func(i, j int) bool { return d.Upcoming[i].ScheduledFor.Before(d.Upcoming[j].ScheduledFor) })
	d.Groups = groupComponents(v)
	d.Recent = recentIncidents(v, d.Loc)
	return r.set.Render("public/status.html", d)
}

func groupComponents(v *status.PageView) []groupView {
	byGroup := map[string][]componentView{}
	var ungrouped []componentView
	for _, c := range v.Components {
		cv := componentView{Component: c, Days: v.Uptime[c.ID], UptimePct: status.UptimePercent(v.Uptime[c.ID])}
		if c.GroupID == nil {
			ungrouped = append(ungrouped, cv)
			continue
		}
		byGroup[*c.GroupID] = append(byGroup[*c.GroupID], cv)
	}
	var out []groupView
	if len(ungrouped) > 0 {
		out = append(out, groupView{Components: ungrouped})
	}
	for _, g := range v.Groups {
		cs := byGroup[g.ID]
		if len(cs) == 0 {
			continue
		}
		worst := status.Operational
		for _, c := range cs {
			if c.Status.Rank() > worst.Rank() || (worst == status.Operational && c.Status == status.UnderMaintenance) {
				worst = c.Status
			}
		}
		out = append(out, groupView{Group: g, Components: cs, Worst: worst})
	}
	return out
}

func recentIncidents(v *status.PageView, loc *time.Location) []dayView {
	now := v.BuiltAt.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	days := make([]dayView, recentDays)
	for i := range days {
		days[i].Date = today.AddDate(0, 0, -i)
	}
	for _, inc := range v.Incidents {
		if inc.State.Open() {
			continue
		}
		s := inc.StartedAt.In(loc)
		day := time.Date(s.Year(), s.Month(), s.Day(), 0, 0, 0, 0, loc)
		for i := range days {
			if days[i].Date.Equal(day) {
				days[i].Incidents = append(days[i].Incidents, inc)
			}
		}
	}
	return days
}

func (r *renderer) incidentPage(v *status.PageView, root string, stale bool, inc *status.IncidentView) ([]byte, error) {
	return r.set.Render("public/incident.html", incidentPageData{publicBase: r.base(v, root, stale), Incident: inc})
}

func (r *renderer) maintenancePage(v *status.PageView, root string, stale bool, m *status.Maintenance) ([]byte, error) {
	return r.set.Render("public/maintenance.html", maintenancePageData{publicBase: r.base(v, root, stale), Maintenance: m})
}

// monthsPerHistoryPage is how many months one history page shows.
const monthsPerHistoryPage = 3

func (r *renderer) historyPage(v *status.PageView, root string, stale bool, page int) ([]byte, error) {
	d := historyPageData{publicBase: r.base(v, root, stale)}
	loc := d.Loc
	now := v.BuiltAt.In(loc)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -monthsPerHistoryPage*(page-1), 0)
	for i := range monthsPerHistoryPage {
		start := first.AddDate(0, -i, 0)
		end := start.AddDate(0, 1, 0)
		m := monthView{ID: start.Format("2006-01"), Label: start.Format("January 2006")}
		for _, inc := range v.Incidents {
			if !inc.StartedAt.Before(start) && inc.StartedAt.Before(end) {
				m.Incidents = append(m.Incidents, inc)
			}
		}
		for _, mt := range v.Maintenances {
			if !mt.ScheduledFor.Before(start) && mt.ScheduledFor.Before(end) {
				m.Maintenances = append(m.Maintenances, mt)
			}
		}
		d.Months = append(d.Months, m)
	}
	if page > 1 {
		d.Newer = page - 1
	}
	oldest := first.AddDate(0, -monthsPerHistoryPage+1, 0)
	if hasBefore(v, oldest) {
		d.Older = page + 1
	}
	return r.set.Render("public/history.html", d)
}

func hasBefore(v *status.PageView, t time.Time) bool {
	for _, inc := range v.Incidents {
		if inc.StartedAt.Before(t) {
			return true
		}
	}
	for _, m := range v.Maintenances {
		if m.ScheduledFor.Before(t) {
			return true
		}
	}
	return false
}

func (r *renderer) errorPage(v *status.PageView, root string, stale bool, heading, msg string) ([]byte, error) {
	return r.set.Render("public/error.html", errorPageData{publicBase: r.base(v, root, stale), Heading: heading, Message: msg})
}
