package web

import (
	"fmt"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

type dashboardPage struct {
	consoleBase
	Open        []dashboardIncident
	Maintenance []dashboardMaintenance
	Pages       []*status.Page
	now         time.Time
}

// Passed reports whether t is past at the time the dashboard was read.
func (d dashboardPage) Passed(t *time.Time) bool { return t != nil && d.now.After(*t) }

type dashboardIncident struct {
	Incident   *status.Incident
	Page       *status.Page
	Duration   string
	LastUpdate *time.Time
	Loc        *time.Location
	Cadence    status.CadenceStatus // "" when there is no next update due
	Due        time.Time
	DueIn      string
	// Flags are the escalation steps that still need someone.
	Flags []status.Flag
}

type dashboardMaintenance struct {
	M    *status.Maintenance
	Page *status.Page
}

// Ago formats how long ago t was.
func (d dashboardPage) Ago(t time.Time) string { return humanDuration(d.now.Sub(t)) }

func humanDuration(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Hour {
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %02d min", int(d.Hours()), int(d.Minutes())%60)
}

// severityRank orders incidents by urgency on the dashboard.
var severityRank = map[status.Severity]int{status.SeverityBusinessContinuity: 0, status.SeverityMajor: 1, status.SeverityMinor: 2, status.SeverityTrivial: 3}

// cadenceRank puts overdue updates first, then those due soon.
var cadenceRank = map[status.CadenceStatus]int{status.CadenceOverdue: 0, status.CadenceDueSoon: 1, status.CadenceOnTime: 2, "": 3}

// showDashboard serves GET /console/.
func (s *Server) showDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pages, err := s.deps.Service.Pages.List(ctx)
	if err != nil {
		return err
	}
	now := s.deps.Service.Now()
	d := dashboardPage{consoleBase: s.consoleBase(c), Pages: pages, now: now}
	open := true
	for _, p := range pages {
		incs, err := s.deps.Service.Incidents.List(ctx, status.IncidentFilter{PageID: p.ID, Open: &open, Limit: 200})
		if err != nil {
			return err
		}
		for _, inc := range incs {
			di := dashboardIncident{Incident: inc, Page: p, Duration: humanDuration(inc.Duration(now)), Loc: p.Location()}
			if len(inc.Updates) > 0 {
				di.LastUpdate = &inc.Updates[0].DisplayAt
			}
			if cad, ok := status.CadenceOf(inc); ok {
				di.Cadence, di.Due, di.DueIn = cad.State(now), cad.Due, dueText(cad.Due.Sub(now))
			}
			flags, err := s.deps.Service.Incidents.EscalationsOf(ctx, inc)
			if err != nil {
				return err
			}
			for _, f := range flags {
				if !f.Done {
					di.Flags = append(di.Flags, f)
				}
			}
			d.Open = append(d.Open, di)
		}
		ms, err := s.deps.Service.Maintenances.List(ctx, status.MaintenanceFilter{PageID: p.ID,
			States: []status.MaintenanceState{status.MaintenanceScheduled, status.MaintenanceInProgress}, Limit: 100})
		if err != nil {
			return err
		}
		for _, m := range ms {
			d.Maintenance = append(d.Maintenance, dashboardMaintenance{M: m, Page: p})
		}
	}
	sort.SliceStable(d.Open, func(i, j int) bool {
		if ci, cj := cadenceRank[d.Open[i].Cadence], cadenceRank[d.Open[j].Cadence]; ci != cj {
			return ci < cj
		}
		a, b := d.Open[i].Incident, d.Open[j].Incident
		if severityRank[a.Severity] != severityRank[b.Severity] {
			return severityRank[a.Severity] < severityRank[b.Severity]
		}
		return a.StartedAt.Before(b.StartedAt)
	})
	sort.SliceStable(d.Maintenance, func(i, j int) bool { return d.Maintenance[i].M.ScheduledFor.Before(d.Maintenance[j].M.ScheduledFor) })
	return s.renderConsole(c, fiber.StatusOK, "console/dashboard.html", d)
}
