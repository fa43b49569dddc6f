// Package demo fills a database with Herald's demo: two status pages of a
// made-up hosting company with 90 days of incidents and maintenance, and
// an incident in progress.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/herald-status/herald/status"
)

// Clock lets the demo write history through the normal domain rules, as
// if it had happened over the past 90 days: the demo's service runs on it.
type Clock struct{ t time.Time }

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.t }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.t = t }

type demoPage struct {
	in     status.PageInput
	groups []demoGroup
	// incidents in the history; the first page also gets an active one.
	incidents int
}

type demoGroup struct {
	name       string
	components []string
}

var demoPages = []demoPage{
	{in: status.PageInput{Slug: "northwind", Name: "Northwind Cloud", TimeZone: "Europe/Berlin",
		Description:  "Hosting, databases and networking for Northwind customers.",
		SupportEmail: "support@northwind.example", SupportURL: "https://northwind.example/support",
		Office:         status.OfficeHours{Days: "mon,tue,wed,thu,fri", Opens: "08:00", Closes: "18:00", Holidays: "2026-12-24\n2026-12-25\n2026-12-31"},
		OncallGuideURL: "https://wiki.northwind.example/on-call", VideoRoomURL: "https://meet.northwind.example/operations",
		VulnerabilityURL: "https://wiki.northwind.example/security/vulnerabilities"},
		groups: []demoGroup{
			{"Platform", []string{"Public API", "Customer dashboard", "Authentication"}},
			{"Data", []string{"PostgreSQL clusters", "Object storage", "Backups"}},
			{"Networking", []string{"Load balancers", "DNS", "CDN"}},
		}, incidents: 22},
	{in: status.PageInput{Slug: "payments", Name: "Northwind Payments", TimeZone: "America/New_York",
		Description: "Card processing and payouts.", SupportEmail: "payments@northwind.example"},
		groups: []demoGroup{
			{"Payments", []string{"Card processing", "Payouts"}},
			{"Integrations", []string{"Webhooks", "Partner API"}},
		}, incidents: 8},
}

var demoProblems = []struct{ title, analysis, mitigation, fix string }{
	{"Elevated error rates on %s", "We are seeing elevated 5xx error rates on %s and are investigating.",
		"The errors were traced to an overloaded node; traffic has been moved to healthy nodes.", "A faulty node was replaced. Error rates are back to normal."},
	{"Increased latency for %s", "Requests to %s are slower than usual. We are looking into it.",
		"A slow storage volume was identified and is being drained.", "Latency is back to normal after the storage volume was replaced."},
	{"%s unavailable for some customers", "Some customers cannot reach %s. We are investigating.",
		"A misconfigured network route was found and rolled back.", "The route has been corrected and all customers can connect again."},
	{"Delayed processing in %s", "Jobs in %s are processed with a delay of several minutes.",
		"A stuck queue consumer was restarted; the backlog is being worked off.", "The backlog has been processed. Processing times are normal."},
	{"Certificate problem affecting %s", "Some clients report TLS errors when connecting to %s.",
		"An expired intermediate certificate was found; a renewed chain is being deployed.", "The renewed certificate chain is deployed everywhere."},
}

var demoMaintenance = []string{"Kernel security updates on %s", "Network switch firmware upgrade for %s", "Storage expansion for %s"}

// Slugs are the demo pages' slugs, the first one Herald's home page's.
func Slugs() []string {
	out := make([]string, len(demoPages))
	for i, dp := range demoPages {
		out[i] = dp.in.Slug
	}
	return out
}

// ErrExists means the demo pages exist already and were left alone.
var ErrExists = errors.New("the demo pages exist already")

// Seed fills svc's database with the demo pages: components, 90 days of
// history, maintenance and an active incident, written through the
// domain's own rules as clock moves. Pages of the demo that exist already
// are replaced when reset is set; otherwise Seed returns ErrExists and
// changes nothing.
func Seed(ctx context.Context, svc *status.Service, clock *Clock, reset bool) error {
	now := clock.Now()
	for _, dp := range demoPages {
		if p, err := svc.Pages.BySlug(ctx, dp.in.Slug); err == nil {
			if !reset {
				return ErrExists
			}
			if err := svc.Pages.Delete(ctx, p.ID); err != nil {
				return err
			}
		}
	}
	rng := rand.New(rand.NewPCG(42, 7))
	for i, dp := range demoPages {
		if err := buildDemoPage(ctx, svc, clock, rng, dp, now, i); err != nil {
			return fmt.Errorf("demo page %s: %w", dp.in.Slug, err)
		}
	}
	return nil
}

func buildDemoPage(ctx context.Context, svc *status.Service, clock *Clock, rng *rand.Rand, dp demoPage, now time.Time, index int) error {
	// Pages are created a minute apart so the first is the default page.
	clock.Set(now.AddDate(0, 0, -status.UptimeDays-1).Add(time.Duration(index) * time.Minute))
	p, err := svc.Pages.Create(ctx, dp.in)
	if err != nil {
		return err
	}
	var comps []*status.Component
	for gi, g := range dp.groups {
		grp, err := svc.Pages.CreateGroup(ctx, p.ID, status.GroupInput{Name: g.name, Position: gi})
		if err != nil {
			return err
		}
		for ci, name := range g.components {
			c, err := svc.Pages.CreateComponent(ctx, p.ID, status.ComponentInput{Name: name, GroupID: &grp.ID, Position: ci})
			if err != nil {
				return err
			}
			comps = append(comps, c)
		}
	}
	// History: events one after another, never overlapping.
	span := now.Sub(clock.Now()) - 36*time.Hour
	gap := span / time.Duration(dp.incidents+4)
	for i := 0; i < dp.incidents+3; i++ {
		clock.Set(clock.Now().Add(gap/2 + time.Duration(rng.Int64N(int64(gap/2)))))
		clock.Set(clock.Now().Truncate(time.Minute))
		if i%8 == 5 {
			if err := demoPastMaintenance(ctx, svc, clock, rng, p, comps); err != nil {
				return err
			}
			continue
		}
		if err := demoPastIncident(ctx, svc, clock, rng, p, comps, i); err != nil {
			return err
		}
	}
	clock.Set(now)
	if index == 0 {
		if err := demoActiveIncident(ctx, svc, clock, p, comps); err != nil {
			return err
		}
	}
	clock.Set(now)
	c := comps[rng.IntN(len(comps))]
	start := now.AddDate(0, 0, 3).Truncate(time.Hour).Add(2 * time.Hour)
	_, err = svc.Maintenances.Schedule(ctx, p.ID, status.MaintenanceInput{
		Title:        fmt.Sprintf("Planned upgrade of %s", c.Name),
		Description:  fmt.Sprintf("We will upgrade **%s** to a new major version. Short interruptions of up to five minutes are expected during the window.", c.Name),
		ScheduledFor: start, ScheduledUntil: start.Add(2 * time.Hour), ComponentIDs: []string{c.ID}, Author: "Operations"})
	return err
}

func demoPastIncident(ctx context.Context, svc *status.Service, clock *Clock, rng *rand.Rand, p *status.Page, comps []*status.Component, i int) error {
	prob := demoProblems[rng.IntN(len(demoProblems))]
	c := comps[rng.IntN(len(comps))]
	sev := []status.Severity{status.SeverityTrivial, status.SeverityMinor, status.SeverityMinor, status.SeverityMajor}[rng.IntN(4)]
	st := map[status.Severity]status.ComponentStatus{status.SeverityTrivial: status.DegradedPerformance,
		status.SeverityMinor: status.PartialOutage, status.SeverityMajor: status.MajorOutage}[sev]
	vis := status.VisibilityPublic
	if i%7 == 3 {
		vis = status.VisibilityCustomers // one customer affected: not on the public page
	}
	inc, err := svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{Title: fmt.Sprintf(prob.title, c.Name), Severity: sev,
		Visibility: vis, Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: st}},
		Body: fmt.Sprintf(prob.analysis, c.Name), Author: "On-call engineer"})
	if err != nil {
		return err
	}
	step := time.Duration(10+rng.IntN(40)) * time.Minute
	if sev == status.SeverityMajor {
		step *= 3
	}
	clock.Set(clock.Now().Add(step))
	if _, err := svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Kind: status.KindProgress,
		Body: prob.mitigation, Author: "Communication manager"}); err != nil {
		return err
	}
	clock.Set(clock.Now().Add(step))
	if _, err := svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateObserving, Kind: status.KindProgress,
		Body: "A fix is in place. We are monitoring the results.", Author: "Communication manager"}); err != nil {
		return err
	}
	clock.Set(clock.Now().Add(step))
	// Closed by the process: major incidents get a published post-mortem.
	if sev == status.SeverityMajor {
		if err := svc.Incidents.RecordEscalation(ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemYes, DecidedBy: "Incident commander"}); err != nil {
			return err
		}
		pm := fmt.Sprintf("## Summary\n\n%s\n\n## Impact\n\n%s was unavailable for about %s.\n\n## Root cause\n\n%s\n\n## Action items\n\n- Add an alert for the early signs.\n",
			fmt.Sprintf(prob.analysis, c.Name), c.Name, (3 * step).Round(time.Minute), prob.mitigation)
		// The public post-mortem of a public incident; the team's own for
		// one the public never saw.
		in := status.PostmortemInput{Kind: status.PostmortemPublic, Action: status.PostmortemPublish, Text: pm}
		if vis != status.VisibilityPublic {
			in = status.PostmortemInput{Kind: status.PostmortemInternal, Action: status.PostmortemSave, Text: pm}
		}
		if _, err := svc.Incidents.SavePostmortem(ctx, p.ID, inc.ID, in); err != nil {
			return err
		}
	}
	_, err = svc.Incidents.Close(ctx, p.ID, inc.ID, status.CloseInput{ConfirmedBy: "On-call engineer", ConfirmationSource: "internal", ConfirmationMethod: "monitoring",
		Message: prob.fix, Resolution: status.ResolutionPermanent, Cause: fmt.Sprintf(prob.analysis, c.Name),
		Solution: prob.mitigation, Author: "Communication manager"})
	return err
}

func demoPastMaintenance(ctx context.Context, svc *status.Service, clock *Clock, rng *rand.Rand, p *status.Page, comps []*status.Component) error {
	c := comps[rng.IntN(len(comps))]
	start := clock.Now().Add(72 * time.Hour).Truncate(time.Hour)
	m, err := svc.Maintenances.Schedule(ctx, p.ID, status.MaintenanceInput{
		Title:        fmt.Sprintf(demoMaintenance[rng.IntN(len(demoMaintenance))], c.Name),
		Description:  "Planned work during a low-traffic window. No interruption is expected beyond brief reconnects.",
		ScheduledFor: start, ScheduledUntil: start.Add(90 * time.Minute), ComponentIDs: []string{c.ID}, Author: "Operations"})
	if err != nil {
		return err
	}
	clock.Set(start)
	if _, err := svc.Maintenances.Advance(ctx); err != nil {
		return err
	}
	clock.Set(start.Add(75 * time.Minute))
	if _, err := svc.Maintenances.PostUpdate(ctx, p.ID, m.ID, status.MaintenanceUpdateInput{State: status.MaintenanceCompleted,
		Body: "The maintenance has been completed ahead of schedule.", Author: "Operations"}); err != nil {
		return err
	}
	clock.Set(clock.Now().Add(time.Hour))
	return nil
}

func demoActiveIncident(ctx context.Context, svc *status.Service, clock *Clock, p *status.Page, comps []*status.Component) error {
	now := clock.Now()
	clock.Set(now.Add(-50 * time.Minute))
	api, auth := comps[0], comps[2]
	inc, err := svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{Title: "Elevated error rates on the Public API",
		Severity: status.SeverityMajor, Visibility: status.VisibilityPublic,
		Components: []status.ComponentStatusInput{{ComponentID: api.ID, Status: status.PartialOutage}, {ComponentID: auth.ID, Status: status.DegradedPerformance}},
		Body:       "We are investigating elevated error rates on the Public API. Logins may be slow.", Author: "On-call engineer"})
	if err != nil {
		return err
	}
	clock.Set(now.Add(-25 * time.Minute))
	if _, err := svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Kind: status.KindAnalysis,
		Body: "The errors come from one of three API gateway nodes after this morning's configuration change. We are rolling the change back.", Author: "Communication manager"}); err != nil {
		return err
	}
	clock.Set(now.Add(-5 * time.Minute))
	eta := now.Add(40 * time.Minute)
	_, err = svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Kind: status.KindETA, ETA: &eta,
		Body: "The rollback is running on the affected node. We expect error rates to be back to normal within 40 minutes.", Author: "Communication manager"})
	return err
}
