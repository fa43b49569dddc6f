package status_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestPublicView_ShowsOnlyPublicData(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		other := statustest.Page(t, b.svc, nil)
		g := statustest.Group(t, b.svc, p.ID, nil)
		api := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{GroupID: &g.ID, Position: 1})
		web := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Position: 2})
		secret := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Customer X backend", Hidden: true})
		statustest.Component(t, b.svc, other.ID, nil)

		b.clock.Advance(time.Minute)
		public := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMinor,
			Components: affect(api.ID, status.DegradedPerformance, secret.ID, status.MajorOutage)})
		b.clock.Advance(time.Minute)
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, public.ID, status.UpdateInput{Kind: status.KindProgress, Body: "Still on it.",
			Components: affect(secret.ID, status.PartialOutage)})
		require.NoError(t, err)
		b.clock.Advance(time.Minute)
		internal := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityBusinessContinuity,
			Visibility: status.VisibilityInternal, Components: affect(secret.ID, status.MajorOutage)})
		customers := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers})
		statustest.Incident(t, b.svc, other.ID, nil)
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ComponentIDs: []string{web.ID, secret.ID}})

		v, err := b.svc.Pages.View(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		require.Equal(t, p.ID, v.Page.ID)
		requireTime(t, b.clock.Now(), v.BuiltAt)
		require.Len(t, v.Groups, 1)

		require.Len(t, v.Components, 2, "hidden components are left out")
		require.Equal(t, api.ID, v.Components[0].ID)
		require.Equal(t, web.ID, v.Components[1].ID)

		require.Len(t, v.Incidents, 1, "only public incidents")
		inc := v.Incidents[0]
		require.Equal(t, public.ID, inc.ID)
		require.NotEqual(t, internal.ID, inc.ID)
		require.NotEqual(t, customers.ID, inc.ID)
		require.Len(t, inc.Components, 1, "hidden components are left out of an incident's components")
		require.Equal(t, api.ID, inc.Components[0].ComponentID)
		require.Len(t, inc.Updates, 2)
		require.Empty(t, inc.Updates[0].Components, "an update that changed only hidden components lists none")
		require.Equal(t, []status.ComponentChange{{ComponentID: api.ID, Name: api.Name, OldStatus: status.Operational, NewStatus: status.DegradedPerformance}},
			inc.Updates[1].Components)
		for _, u := range inc.Updates {
			for _, c := range u.Components {
				require.NotEqual(t, secret.ID, c.ComponentID)
				require.NotEqual(t, secret.Name, c.Name)
			}
		}

		require.Len(t, v.Maintenances, 1)
		require.Equal(t, m.ID, v.Maintenances[0].ID)
		require.Equal(t, []string{web.ID}, v.Maintenances[0].ComponentIDs, "hidden components are left out of maintenance")

		require.Len(t, v.Uptime, 2)
		require.NotContains(t, v.Uptime, secret.ID)
		days := v.Uptime[api.ID]
		require.Len(t, days, status.UptimeDays)
		today := days[len(days)-1]
		require.Len(t, today.Incidents, 1, "today's bar lists the public incident")
		require.Equal(t, public.ID, today.Incidents[0].ID)
		require.Empty(t, v.Uptime[web.ID][len(days)-1].Incidents)

		require.Equal(t, status.Overall{Indicator: status.ImpactMinor, Description: "Minor Service Outage"}, v.Overall,
			"neither the hidden outage nor the internal incident counts")

		// The console still sees everything.
		full, err := b.svc.Incidents.ByID(b.ctx, p.ID, public.ID)
		require.NoError(t, err)
		require.Len(t, full.Components, 2)
	})
}

func TestPublicView_Uptime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		// Noon UTC is 21:00 in Tokyo: the page's days start at 15:00 UTC.
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Asia/Tokyo"})
		tokyo := p.Location()

		// A component that has been down since long before the window,
		// and one created three days ago that had a six-hour outage.
		b.clock.Set(epoch.AddDate(0, 0, -200))
		old := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Status: status.MajorOutage})
		b.clock.Set(time.Date(2026, time.March, 7, 15, 0, 0, 0, time.UTC)) // midnight 8 March in Tokyo
		young := statustest.Component(t, b.svc, p.ID, nil)
		b.clock.Set(time.Date(2026, time.March, 8, 15, 0, 0, 0, time.UTC)) // midnight 9 March in Tokyo
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Components: affect(young.ID, status.MajorOutage)})
		b.clock.Advance(6 * time.Hour)
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Casey"}))
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		b.clock.Set(epoch)

		v, err := b.svc.Pages.View(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)

		days := v.Uptime[old.ID]
		require.Len(t, days, status.UptimeDays)
		for _, d := range days {
			require.True(t, d.HasData(), "the status before the window carries into it")
			require.Zero(t, d.Uptime)
			require.Equal(t, status.MajorOutage, d.Worst)
		}
		require.Equal(t, float64(0), status.UptimePercent(days))

		days = v.Uptime[young.ID]
		require.Len(t, days, status.UptimeDays)
		n := len(days)
		require.Equal(t, tokyo, days[n-1].Date.Location())
		require.True(t, time.Date(2026, time.March, 10, 0, 0, 0, 0, tokyo).Equal(days[n-1].Date), "today is 10 March in Tokyo")
		for _, d := range days[:n-3] {
			require.False(t, d.HasData(), "no data before the component existed: %s", d.Date)
		}
		require.InDelta(t, 1.0, days[n-3].Uptime, 1e-9, "8 March")
		require.InDelta(t, 0.75, days[n-2].Uptime, 1e-9, "9 March: down 00:00–06:00")
		require.Equal(t, status.MajorOutage, days[n-2].Worst)
		require.Len(t, days[n-2].Incidents, 1)
		require.Equal(t, inc.ID, days[n-2].Incidents[0].ID)
		require.Empty(t, days[n-3].Incidents)
		require.Empty(t, days[n-1].Incidents)
		require.InDelta(t, 1.0, days[n-1].Uptime, 1e-9, "10 March")
		require.InDelta(t, 100*(1+0.75+1)/3, status.UptimePercent(days), 1e-9)
	})
}

func TestPublicView_Overall(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)

		overall := func() status.Overall {
			t.Helper()
			v, err := b.svc.Pages.View(b.ctx, status.Public(), p.ID)
			require.NoError(t, err)
			return v.Overall
		}
		require.Equal(t, status.ImpactNone, overall().Indicator)
		require.Equal(t, "All Systems Operational", overall().Description)

		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{ComponentIDs: []string{c.ID}})
		b.clock.Set(m.ScheduledFor)
		_, err := b.svc.Maintenances.Advance(b.ctx)
		require.NoError(t, err)
		require.Equal(t, status.ImpactMaintenance, overall().Indicator)

		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMajor})
		require.Equal(t, status.ImpactMajor, overall().Indicator, "an open public incident outranks maintenance")
		b.clock.Advance(time.Minute)
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Casey"}))
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		require.Equal(t, status.ImpactMaintenance, overall().Indicator, "a resolved incident no longer counts")
	})
}

func TestPublicView_NotFound(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for _, id := range []string{status.NewID(), "", "Robert'); DROP TABLE pages;--"} {
			_, err := b.svc.Pages.View(b.ctx, status.Public(), id)
			requireKind(t, err, status.KindNotFound)
		}
	})
}

// Each audience's view of an incident carries what every update must say
// (DESIGN.md §1): the affected components it may see, by name in the
// page's order; whom to contact (the record's contact, else the page's
// support address); and the next update, marked late once its time has
// passed, none once resolved.
func TestIncidentViewCarriesWhatEveryUpdateSays(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin", SupportEmail: "support@acme.example",
			SupportURL: "https://acme.example/help"})
		second := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Website", Position: 2})
		first := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "API", Position: 1})
		hidden := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Backend", Position: 3, Hidden: true})
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Errors", Severity: status.SeverityMinor,
			Visibility: status.VisibilityCustomers, Body: "Looking.", Contact: "  Erin, +49 30 5550100 ", Customers: []string{acme.ID},
			Components: affect(second.ID, status.PartialOutage, hidden.ID, status.MajorOutage, first.ID, status.DegradedPerformance)})
		require.NoError(t, err)
		require.NotNil(t, inc.NextUpdateAt)

		views := func() (customer, team *status.IncidentView) {
			t.Helper()
			vs, err := b.svc.Incidents.Views(b.ctx, p.ID, inc.ID, status.CustomerAudience(acme.ID), status.Internal(), status.Public())
			require.NoError(t, err)
			require.Nil(t, vs[2], "the public does not see a customers-only incident")
			return vs[0], vs[1]
		}
		cv, tv := views()
		require.Equal(t, []string{"API", "Website"}, cv.Affected, "by the page's order, hidden ones left out")
		require.Equal(t, []string{"API", "Website", "Backend"}, tv.Affected, "the team sees every one")
		require.Equal(t, "Erin, +49 30 5550100", cv.Contact)
		requireTimePtr(t, *inc.NextUpdateAt, cv.NextUpdateAt)
		require.False(t, cv.NextUpdateLate)

		b.clock.Set(*inc.NextUpdateAt)
		cv, _ = views()
		require.True(t, cv.NextUpdateLate, "late from the promised time on")
		requireTimePtr(t, *inc.NextUpdateAt, cv.NextUpdateAt)

		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Contact: statustest.Ptr("")})
		require.NoError(t, err)
		cv, _ = views()
		require.Equal(t, "support@acme.example", cv.Contact, "no contact in the record: the page's support address")

		_, err = b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{SupportEmail: statustest.Ptr("")})
		require.NoError(t, err)
		cv, _ = views()
		require.Equal(t, "https://acme.example/help", cv.Contact, "nor a support address: its support URL")

		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		cv, _ = views()
		require.Nil(t, cv.NextUpdateAt, "resolved: no next update")
		require.False(t, cv.NextUpdateLate)

		pv, err := b.svc.Pages.View(b.ctx, status.CustomerAudience(acme.ID), p.ID)
		require.NoError(t, err)
		require.Len(t, pv.Incidents, 1)
		require.Equal(t, []string{"API", "Website"}, pv.Incidents[0].Affected, "the page's view says the same")
		require.Equal(t, "https://acme.example/help", pv.Incidents[0].Contact)
	})
}

// The public sees a public incident's contact, so changing it is a public
// change: the page is rebuilt and its public time moves.
func TestPublicIncidentContactIsPublic(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		pub := statustest.Incident(t, b.svc, p.ID, nil)
		version := func() int64 {
			vs, err := b.svc.Pages.Versions(b.ctx)
			require.NoError(t, err)
			return vs[p.ID]
		}
		v0 := version()
		b.clock.Advance(time.Hour)
		_, err := b.svc.Incidents.Update(b.ctx, p.ID, pub.ID, status.IncidentPatch{Contact: statustest.Ptr("ops@acme.example")})
		require.NoError(t, err)
		require.Greater(t, version(), v0)
		v, err := b.svc.Pages.View(b.ctx, status.Public(), p.ID)
		require.NoError(t, err)
		requireTime(t, b.clock.Now(), v.UpdatedAt)
		require.Equal(t, "ops@acme.example", v.Incidents[0].Contact)
	})
}

// Every customer-facing update names whom to contact: the record's
// contact, else the page's support address, else its support URL.
func TestContactOf(t *testing.T) {
	t.Parallel()
	both := &status.Page{SupportEmail: "support@acme.example", SupportURL: "https://acme.example/help"}
	for _, tc := range []struct {
		name    string
		contact string
		page    *status.Page
		want    string
	}{
		{"the record's contact wins", "Erin, +49 30 5550100", both, "Erin, +49 30 5550100"},
		{"spaces only are no contact", "  \t ", both, "support@acme.example"},
		{"the page's support address", "", both, "support@acme.example"},
		{"the page's support URL", "", &status.Page{SupportURL: "https://acme.example/help"}, "https://acme.example/help"},
		{"a page without either", "", &status.Page{}, ""},
		{"no page", "", nil, ""},
		{"no page, the record's contact", "ops@acme.example", nil, "ops@acme.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, status.ContactOf(&status.Incident{Contact: tc.contact}, tc.page))
		})
	}
}
