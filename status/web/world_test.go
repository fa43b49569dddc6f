package web_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/statustest"
)

// acmeHost is the host name of the world's main page.
const acmeHost = "status.acme.test"

// world is one page with public and non-public data of every kind, and a
// second page beside it. Every name that must never reach the public is
// in secrets.
type world struct {
	page, other *status.Page

	core, vault          *status.ComponentGroup // vault holds hidden components only
	api, site, cdn       *status.Component      // public
	hidden               *status.Component
	active, past, old    *status.Incident // public: open, resolved 2 days ago, resolved 120 days ago
	internal, customers  *status.Incident // not public
	upcoming, inProgress *status.Maintenance
	otherIncident        *status.Incident // on the other page

	secrets []string
}

func affect(pairs ...any) []status.ComponentStatusInput {
	var out []status.ComponentStatusInput
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, status.ComponentStatusInput{ComponentID: pairs[i].(string), Status: pairs[i+1].(status.ComponentStatus)})
	}
	return out
}

// buildWorld writes the world through b's service, leaves the clock at
// epoch and refreshes the snapshots.
func buildWorld(t *testing.T, b *testBundle) *world {
	t.Helper()
	w := &world{}
	svc, ctx := b.svc, b.ctx
	b.clock.Set(epoch.AddDate(0, 0, -130))
	w.page = statustest.Page(t, svc, &statustest.PageOpts{Slug: "acme", Name: "Acme Cloud", Hosts: []string{acmeHost},
		SupportURL: "https://acme.test/support"})
	w.other = statustest.Page(t, svc, &statustest.PageOpts{Slug: "other", Name: "Other Corp", Hosts: []string{"status.other.test"}})
	w.core = statustest.Group(t, svc, w.page.ID, &statustest.GroupOpts{Name: "Core Platform", Position: 1})
	w.vault = statustest.Group(t, svc, w.page.ID, &statustest.GroupOpts{Name: "Omega Vault Group", Position: 2})
	w.api = statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Public API", GroupID: &w.core.ID, Position: 1,
		Description: "The REST API"})
	w.hidden = statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Zeta Secret Backend", GroupID: &w.core.ID,
		Position: 2, Hidden: true})
	statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Vault Hidden Store", GroupID: &w.vault.ID, Hidden: true})
	w.site = statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Website", Position: 3})
	w.cdn = statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Edge CDN", Position: 4})
	statustest.Component(t, svc, w.other.ID, &statustest.ComponentOpts{Name: "Other Component"})

	// An old incident, for the second history page.
	b.clock.Set(epoch.AddDate(0, 0, -120))
	w.old = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Old storage incident",
		Severity: status.SeverityMinor, Components: affect(w.api.ID, status.DegradedPerformance)})
	b.clock.Advance(time.Hour)
	_, err := svc.Incidents.PostUpdate(ctx, w.page.ID, w.old.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
		Resolution: status.ResolutionPermanent, Body: "Storage is healthy again."})
	require.NoError(t, err)

	// A resolved incident two days ago, through observing.
	b.clock.Set(epoch.AddDate(0, 0, -2))
	w.past = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Login outage",
		Severity: status.SeverityMajor, Components: affect(w.site.ID, status.PartialOutage), Body: "Logins fail for some users."})
	b.clock.Advance(30 * time.Minute)
	_, err = svc.Incidents.PostUpdate(ctx, w.page.ID, w.past.ID, status.UpdateInput{State: status.StateObserving, Kind: status.KindProgress,
		Body: "A fix is deployed; we are watching."})
	require.NoError(t, err)
	b.clock.Advance(30 * time.Minute)
	require.NoError(t, svc.Incidents.RecordEscalation(ctx, w.page.ID, w.past.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Casey"}))
	_, err = svc.Incidents.PostUpdate(ctx, w.page.ID, w.past.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
		Resolution: status.ResolutionPermanent, Body: "Logins work again."})
	require.NoError(t, err)

	// The open incident, touching a hidden component as well.
	b.clock.Set(epoch.Add(-time.Hour))
	w.active = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Elevated API errors",
		Severity: status.SeverityMajor, State: status.StateMitigating, Body: "We identified a faulty deploy.",
		Components: affect(w.api.ID, status.PartialOutage, w.hidden.ID, status.MajorOutage)})
	b.clock.Advance(10 * time.Minute)
	_, err = svc.Incidents.PostUpdate(ctx, w.page.ID, w.active.ID, status.UpdateInput{Kind: status.KindProgress,
		Body: "Rolling back.", Components: affect(w.hidden.ID, status.PartialOutage)})
	require.NoError(t, err)

	// Non-public incidents; the customers one holds a public component, for
	// its customers only.
	b.clock.Advance(5 * time.Minute)
	w.internal = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Kappa internal failover",
		Severity: status.SeverityBusinessContinuity, Visibility: status.VisibilityInternal, Body: "Quokka replica lag.",
		Components: affect(w.hidden.ID, status.MajorOutage)})
	w.customers = statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Sigma billing delay",
		Severity: status.SeverityBusinessContinuity, Visibility: status.VisibilityCustomers, Body: "Wombat invoices are late.",
		Components: affect(w.cdn.ID, status.DegradedPerformance)})

	// Maintenance: one in progress, one upcoming.
	b.clock.Advance(5 * time.Minute)
	w.inProgress = statustest.Maintenance(t, svc, w.page.ID, &statustest.MaintenanceOpts{Title: "Network maintenance",
		ScheduledFor: epoch.Add(-20 * time.Minute), ScheduledUntil: epoch.Add(time.Hour), ComponentIDs: []string{w.site.ID}})
	b.clock.Advance(time.Minute)
	_, err = svc.Maintenances.PostUpdate(ctx, w.page.ID, w.inProgress.ID, status.MaintenanceUpdateInput{State: status.MaintenanceInProgress,
		Body: "Work has started."})
	require.NoError(t, err)
	w.upcoming = statustest.Maintenance(t, svc, w.page.ID, &statustest.MaintenanceOpts{Title: "Database upgrade",
		ScheduledFor: epoch.AddDate(0, 0, 1), ScheduledUntil: epoch.AddDate(0, 0, 1).Add(2 * time.Hour),
		ComponentIDs: []string{w.site.ID, w.hidden.ID}})

	w.otherIncident = statustest.Incident(t, svc, w.other.ID, &statustest.IncidentOpts{Title: "Other page trouble"})

	b.clock.Set(epoch)
	b.refresh(t)
	w.secrets = []string{w.hidden.Name, w.hidden.ID, "Vault Hidden Store", "Omega Vault Group", w.vault.ID,
		w.internal.Title, w.internal.ID, "Quokka", w.customers.Title, w.customers.ID, "Wombat"}
	return w
}

// publicPaths are every public URL of the world's main page, relative to
// its root.
func (w *world) publicPaths() []string {
	return []string{"/", "/incidents/" + w.active.ID, "/incidents/" + w.past.ID, "/incidents/" + w.old.ID,
		"/maintenance/" + w.upcoming.ID, "/maintenance/" + w.inProgress.ID, "/history", "/history?page=2",
		"/history.atom", "/history.rss", "/badge.svg",
		"/api/v2/summary.json", "/api/v2/status.json", "/api/v2/components.json", "/api/v2/incidents.json",
		"/api/v2/incidents/unresolved.json", "/api/v2/scheduled-maintenances.json",
		"/api/v2/scheduled-maintenances/upcoming.json", "/api/v2/scheduled-maintenances/active.json"}
}

// roots are the two ways to address the world's main page: by host name
// and under /p/{slug}.
var roots = []struct{ name, host, prefix string }{
	{"by host", acmeHost, ""},
	{"by slug", "herald.example.org", "/p/acme"},
}
