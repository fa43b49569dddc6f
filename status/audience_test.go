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

// viewStatus returns the status audience a sees of a component.
func viewStatus(t *testing.T, b *testBundle, a status.Audience, pageID, componentID string) status.ComponentStatus {
	t.Helper()
	v, err := b.svc.Pages.View(b.ctx, a, pageID)
	require.NoError(t, err)
	for _, c := range v.Components {
		if c.ID == componentID {
			return c.Status
		}
	}
	t.Fatalf("component %s not in %s view", componentID, a)
	return ""
}

// Internal and customers-only incidents never change what the public sees
// of a component; a customer's view adds the customers-only incidents that
// customer is affected by; closing settles each audience's view and never
// shows a component getting worse.
func TestComponentStatusPerAudience(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		lb := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Load balancers"})
		acme := statustest.Customer(t, b.svc, nil)
		other := statustest.Customer(t, b.svc, nil)

		internal := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
			Components: affect(lb.ID, status.DegradedPerformance)})
		b.clock.Advance(time.Minute)
		public := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{
			Components: affect(lb.ID, status.Operational)})
		b.clock.Advance(time.Minute)
		custOnly := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers,
			Customers: []string{acme.ID}, Components: affect(lb.ID, status.PartialOutage)})

		require.Equal(t, status.Operational, viewStatus(t, b, status.Public(), p.ID, lb.ID))
		require.Equal(t, status.PartialOutage, viewStatus(t, b, status.CustomerAudience(acme.ID), p.ID, lb.ID))
		require.Equal(t, status.Operational, viewStatus(t, b, status.CustomerAudience(other.ID), p.ID, lb.ID),
			"another customer does not see acme's incident")
		require.Equal(t, status.PartialOutage, viewStatus(t, b, status.Internal(), p.ID, lb.ID))

		// Closing the public incident: its resolution never shows the
		// component getting worse, whatever the internal incident holds.
		b.clock.Advance(time.Minute)
		u, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, public.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		require.Empty(t, u.Components, "no component got worse, none changed")
		require.Equal(t, status.Operational, viewStatus(t, b, status.Public(), p.ID, lb.ID))
		v, err := b.svc.Incidents.View(b.ctx, status.Public(), p.ID, public.ID)
		require.NoError(t, err)
		for _, u := range v.Updates {
			for _, ch := range u.Components {
				require.False(t, u.State == status.StateResolved && ch.NewStatus.Rank() > ch.OldStatus.Rank(), "%+v", ch)
			}
		}

		// Closing the customers-only incident settles acme's view.
		b.clock.Advance(time.Minute)
		u, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, custOnly.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		require.Equal(t, []status.ComponentChange{{ComponentID: lb.ID, Name: lb.Name, OldStatus: status.PartialOutage, NewStatus: status.Operational}},
			u.Components, "acme is told its component is back")
		require.Equal(t, status.Operational, viewStatus(t, b, status.CustomerAudience(acme.ID), p.ID, lb.ID))
		require.Equal(t, status.DegradedPerformance, viewStatus(t, b, status.Internal(), p.ID, lb.ID), "the internal incident still holds it, for the team")

		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, internal.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		require.Equal(t, []status.ComponentStatus{status.Operational}, statuses(history(t, bdb, lb.ID)),
			"the public history never saw the internal or customers-only incidents")
	})
}

// Widening an incident keeps each earlier update with its audience unless
// it is listed; making an open incident public sets the public status of
// its components; the public sees the public title.
func TestWidenVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		web := statustest.Component(t, b.svc, p.ID, nil)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"}})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "shop.acme.example is down",
			Visibility: status.VisibilityCustomers, Customers: []string{acme.ID}, Body: "Your shop is down.",
			Components: affect(web.ID, status.MajorOutage)})
		b.clock.Advance(time.Minute)
		second, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, Body: "Still on it, acme."})
		require.NoError(t, err)

		w, err := b.svc.Incidents.ReviewWidening(b.ctx, p.ID, inc.ID, status.VisibilityPublic)
		require.NoError(t, err)
		require.Len(t, w.Updates, 2)
		for _, u := range w.Updates {
			require.True(t, w.Keeps(u), "by default every earlier update keeps its audience")
		}
		require.Equal(t, []status.ComponentChange{{ComponentID: web.ID, Name: web.Name, OldStatus: status.Operational, NewStatus: status.MajorOutage}}, w.Components)
		require.Equal(t, []string{acme.Name}, w.Customers)
		require.Contains(t, w.Flags, status.PublicationFlag{What: "customer domain", Text: "acme.example"},
			"the title names the customer's domain")
		_, err = b.svc.Incidents.ReviewWidening(b.ctx, p.ID, inc.ID, status.VisibilityInternal)
		requireKind(t, err, status.KindInvalid)

		// Forged or foreign update ids change nothing.
		for _, ids := range [][]string{{"not an id"}, {status.NewID()}} {
			_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityPublic), PublishUpdates: ids})
			requireField(t, err, status.KindInvalid, "publish_updates")
		}
		_, err = b.svc.Incidents.View(b.ctx, status.Public(), p.ID, inc.ID)
		requireKind(t, err, status.KindNotFound)

		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityPublic),
			PublicTitle: statustest.Ptr("Web shop outage"), PublishUpdates: []string{second.ID}})
		require.NoError(t, err)
		v, err := b.svc.Incidents.View(b.ctx, status.Public(), p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "Web shop outage", v.Title)
		require.Len(t, v.Updates, 1)
		require.Equal(t, second.ID, v.Updates[0].ID, "only the listed update went public")
		require.Equal(t, status.MajorOutage, viewStatus(t, b, status.Public(), p.ID, web.ID))

		cv, err := b.svc.Incidents.View(b.ctx, status.CustomerAudience(acme.ID), p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "shop.acme.example is down", cv.Title, "the customer keeps the team's title")
		require.Len(t, cv.Updates, 2, "the customer still sees its own updates")

		// Narrowing gives the components back.
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityInternal)})
		require.NoError(t, err)
		require.Equal(t, status.Operational, viewStatus(t, b, status.Public(), p.ID, web.ID))
		_, err = b.svc.Incidents.View(b.ctx, status.CustomerAudience(acme.ID), p.ID, inc.ID)
		requireKind(t, err, status.KindNotFound)
	})
}

// A customer's view has no hidden components, neither in the incident's
// components nor in its updates' changes.
func TestCustomerViewHidesHiddenComponents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		shown := statustest.Component(t, b.svc, p.ID, nil)
		hidden := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Hidden: true})
		acme := statustest.Customer(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers,
			Customers:  []string{acme.ID},
			Components: affect(shown.ID, status.PartialOutage, hidden.ID, status.MajorOutage)})
		v, err := b.svc.Incidents.View(b.ctx, status.CustomerAudience(acme.ID), p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, v.Components, 1)
		require.Equal(t, shown.ID, v.Components[0].ComponentID)
		for _, u := range v.Updates {
			for _, ch := range u.Components {
				require.NotEqual(t, hidden.ID, ch.ComponentID)
			}
		}
		iv, err := b.svc.Incidents.View(b.ctx, status.Internal(), p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, iv.Components, 2, "the team sees everything")
	})
}

// Changes the public cannot see do not move the page's version (which
// rebuilds its snapshots) nor its public times.
func TestInternalChangesLeavePublicDataAlone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		c := statustest.Component(t, b.svc, p.ID, nil)
		pub := statustest.Incident(t, b.svc, p.ID, nil)
		version := func() int64 {
			vs, err := b.svc.Pages.Versions(b.ctx)
			require.NoError(t, err)
			return vs[p.ID]
		}
		before, v0 := mustView(t, b, p.ID), version()
		b.clock.Advance(time.Hour)
		internal := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
			Components: affect(c.ID, status.MajorOutage)})
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, internal.ID, status.UpdateInput{Body: "Still internal."})
		require.NoError(t, err)
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, pub.ID, "curl -v https://lb1.internal.example", "Sam", nil)
		require.NoError(t, err)
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, pub.ID, status.IncidentPatch{Summary: statustest.Ptr("Caller Jo Bloggs, +49 170 1234567")})
		require.NoError(t, err)
		_, err = b.svc.Incidents.SavePostmortem(b.ctx, p.ID, pub.ID, status.PostmortemInput{Kind: status.PostmortemInternal, Action: status.PostmortemSave, Text: "internal"})
		require.NoError(t, err)
		require.Equal(t, v0, version(), "no public change, no rebuild")
		after := mustView(t, b, p.ID)
		requireTime(t, before.UpdatedAt, after.UpdatedAt)

		b.clock.Advance(time.Hour)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, pub.ID, status.UpdateInput{Body: "Public news."})
		require.NoError(t, err)
		require.Greater(t, version(), v0)
		requireTime(t, b.clock.Now(), mustView(t, b, p.ID).UpdatedAt)
	})
}

func mustView(t *testing.T, b *testBundle, pageID string) *status.PageView {
	t.Helper()
	v, err := b.svc.Pages.View(b.ctx, status.Public(), pageID)
	require.NoError(t, err)
	return v
}

// The public post-mortem is published only after its own draft, only for
// a public incident, once however many publish at once; every step is in
// the audit log.
func TestPostmortems(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme Retail", Domains: []string{"acme-retail.example"}})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Customers: []string{acme.ID}})
		_, err := b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Summary: statustest.Ptr("db7.dc2.internal.example filled up"),
			Reproduce: statustest.Ptr("curl https://lb1.ops.example/health")})
		require.NoError(t, err)
		cur := mustIncident(t, b, p.ID, inc.ID)

		text := "## Summary\n\nAcme Retail lost db7.dc2.internal.example; call +49 170 1234567 or mail ops@acme-retail.example."
		flags, err := b.svc.Incidents.PublicationFlags(b.ctx, p.ID, inc.ID, text)
		require.NoError(t, err)
		var whats []string
		for _, f := range flags {
			whats = append(whats, f.What)
		}
		require.Subset(t, whats, []string{"email address", "phone number", "customer", "host name from the record"})
		clean, err := b.svc.Incidents.PublicationFlags(b.ctx, p.ID, inc.ID, "## Summary\n\nA database filled up on 2026-12-07 11:20.")
		require.NoError(t, err)
		require.Empty(t, clean)

		for _, bad := range []status.PostmortemInput{
			{Kind: "secret", Action: status.PostmortemSave},
			{Kind: status.PostmortemPublic, Action: "shout"},
			{Kind: status.PostmortemInternal, Action: status.PostmortemPublish, Text: "x"},
			{Kind: status.PostmortemPublic, Action: status.PostmortemPublish, Text: "  "},
		} {
			_, err := b.svc.Incidents.SavePostmortem(b.ctx, p.ID, inc.ID, bad)
			requireKind(t, err, status.KindInvalid)
		}
		// Two publish at once from the same form: one wins.
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, err := b.svc.Incidents.SavePostmortem(b.ctx, p.ID, inc.ID, status.PostmortemInput{Kind: status.PostmortemPublic,
					Action: status.PostmortemPublish, Text: "## Summary\n\nFixed.", Version: cur.Version})
				errs <- err
			}()
		}
		var failed int
		for range 2 {
			if err := <-errs; err != nil {
				requireKind(t, err, status.KindConflict)
				failed++
			}
		}
		require.Equal(t, 1, failed)
		v, err := b.svc.Incidents.View(b.ctx, status.Public(), p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "## Summary\n\nFixed.", v.Postmortem)

		got, err := b.svc.Incidents.SavePostmortem(b.ctx, p.ID, inc.ID, status.PostmortemInput{Kind: status.PostmortemPublic, Action: status.PostmortemUnpublish})
		require.NoError(t, err)
		require.Nil(t, got.PostmortemAt)
		_, err = b.svc.Incidents.SavePostmortem(b.ctx, p.ID, inc.ID, status.PostmortemInput{Kind: status.PostmortemPublic, Action: status.PostmortemUnpublish})
		requireKind(t, err, status.KindConflict)

		entries, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectID: inc.ID})
		require.NoError(t, err)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		require.Contains(t, actions, "postmortem_publish")
		require.Contains(t, actions, "postmortem_unpublish")

		internal := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal})
		_, err = b.svc.Incidents.SavePostmortem(b.ctx, p.ID, internal.ID, status.PostmortemInput{Kind: status.PostmortemPublic,
			Action: status.PostmortemPublish, Text: "x"})
		requireKind(t, err, status.KindConflict)
	})
}
