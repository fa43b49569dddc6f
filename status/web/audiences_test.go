package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// Internal activity changes nothing the public can poll: not the ETag,
// not the footer's time, not Last-Modified; a periodic rebuild that
// changes nothing keeps the same ETag.
func TestPublicValidatorsFollowPublicContentOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "quiet"})
		c := statustest.Component(t, b.svc, p.ID, nil)
		pub := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Slow checkout"})
		b.refresh(t)
		paths := []string{"/p/quiet/", "/p/quiet/incidents/" + pub.ID, "/p/quiet/history", "/p/quiet/api/v2/summary.json",
			"/p/quiet/history.atom", "/p/quiet/badge.svg"}
		type seen struct{ etag, modified, body string }
		look := func() map[string]seen {
			out := map[string]seen{}
			for _, path := range paths {
				r := b.get(t, "", path)
				require.Equal(t, http.StatusOK, r.Code, path)
				out[path] = seen{r.Header.Get("ETag"), r.Header.Get("Last-Modified"), r.String()}
			}
			return out
		}
		// An hour on, the snapshot rebuilt (uptime moves with time): what
		// the public sees now is the reference.
		b.clock.Advance(time.Hour)
		b.srv.Snapshots().Age(2 * time.Minute)
		b.refresh(t)
		before := look()
		requireContains(t, before["/p/quiet/"].body, `Last updated <time datetime="2026-03-10T12:00:00Z">`)

		internal := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
			Components: affect(c.ID, status.MajorOutage)})
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, internal.ID, status.UpdateInput{Body: "Team only."})
		require.NoError(t, err)
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, pub.ID, "Paged the database team.", "Sam", nil)
		require.NoError(t, err)
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, pub.ID, status.IncidentPatch{Summary: statustest.Ptr("Disk on db7 is full.")})
		require.NoError(t, err)
		b.refresh(t)
		b.srv.Snapshots().Age(2 * time.Minute)
		b.refresh(t) // the periodic rebuild
		after := look()
		for _, path := range paths {
			require.Equal(t, before[path], after[path], "%s changed with internal activity", path)
		}

		b.clock.Advance(time.Hour)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, pub.ID, status.UpdateInput{Body: "Checkout is fast again."})
		require.NoError(t, err)
		b.refresh(t)
		changed := look()
		require.NotEqual(t, before["/p/quiet/"].etag, changed["/p/quiet/"].etag, "public content moves the ETag")
		require.NotEqual(t, before["/p/quiet/"].modified, changed["/p/quiet/"].modified)
	})
}

// An internal incident does not change what the public sees of a component,
// and a public incident's resolution never shows it getting worse: not on
// the page, not in components.json, not in the resolution's update.
func TestInternalIncidentsLeavePublicComponentsAlone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "lb"})
		lb := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Load balancers"})
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
			Components: affect(lb.ID, status.DegradedPerformance)})
		b.clock.Advance(time.Minute)
		pub := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Packet loss",
			Components: affect(lb.ID, status.PartialOutage)})
		b.clock.Advance(time.Minute)
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, pub.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		b.refresh(t)
		comps := b.get(t, "", "/p/lb/api/v2/components.json").String()
		requireContains(t, comps, `"status":"operational"`)
		requireNotContains(t, comps, "degraded_performance")
		page := b.get(t, "", "/p/lb/incidents/"+pub.ID).String()
		requireContains(t, page, "Partial outage</span>")
		requireNotContains(t, page, "Degraded performance")
		inc := b.get(t, "", "/p/lb/api/v2/incidents.json").String()
		requireContains(t, inc, `"old_status":"partial_outage","new_status":"operational"`)
		requireNotContains(t, inc, `"new_status":"degraded_performance"`)
	})
}

// A customer's private link shows neither hidden components nor what
// another, internal incident did to them.
func TestPrivateLinkShowsTheCustomersView(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		secret := []byte("a secret of enough bytes for links")
		b := setup(t, bdb, func(d *web.Deps) { d.Secret = secret })
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "acme"})
		shown := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Shop frontend"})
		hidden := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Zeta payment relay", Hidden: true})
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
			Components: affect(hidden.ID, status.MajorOutage)})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers,
			Customers: []string{acme.ID}, Body: "Your shop is slow.",
			Components: affect(shown.ID, status.DegradedPerformance, hidden.ID, status.PartialOutage)})
		b.refresh(t)
		link := comms.PrivateIncidentURL(comms.NewTokens(secret), nil, p, inc.ID, acme.ID, b.clock.Now())
		r := b.get(t, "", strings.TrimPrefix(link, "http://localhost:8080"))
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "Your shop is slow.")
		requireContains(t, r.String(), "Shop frontend")
		requireNotContains(t, r.String(), "Zeta payment relay")
		requireNotContains(t, r.String(), "Major outage")

		// Unlinked: the link stops working.
		require.NoError(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, nil))
		require.Equal(t, http.StatusNotFound, b.get(t, "", strings.TrimPrefix(link, "http://localhost:8080")).Code)
	})
}

// Widening an incident in the console shows what becomes visible first,
// saves nothing until confirmed, and publishes only the ticked updates.
func TestConsoleWideningReview(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "widen"})
		web := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Web shop"})
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme-shop.example"}})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "acme-shop.example checkout down",
			Visibility: status.VisibilityCustomers, Customers: []string{acme.ID}, Body: "Acme, your checkout is down.",
			Components: affect(web.ID, status.MajorOutage)})
		b.clock.Advance(time.Minute)
		second, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, Body: "A fix is being deployed."})
		require.NoError(t, err)

		br := customerBrowser(t, b, status.RoleManager)
		loc := "/console/pages/" + p.ID + "/incidents/" + inc.ID
		page := br.send(http.MethodGet, loc, nil)
		tok := csrfOf(t, page)
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]
		form := url.Values{"version": {version}, "title": {"acme-shop.example checkout down"}, "severity": {"minor"},
			"visibility": {"public"}, "started_at": {b.clock.Now().Add(-time.Minute).Format("2006-01-02T15:04")}}
		r := br.postWith(loc+"/edit", tok, form)
		require.Equal(t, http.StatusOK, r.Code)
		review := r.String()
		requireContains(t, review, "Review: make this incident visible to public?")
		requireContains(t, review, "Acme, your checkout is down.")
		requireContains(t, review, "stays affected customers only")
		requireContains(t, review, "Web shop: Operational → <span class=\"cs cs-major_outage\">Major outage</span>")
		requireContains(t, review, "The title names a customer domain")
		b.refresh(t)
		require.Equal(t, http.StatusNotFound, b.get(t, "", "/p/widen/incidents/"+inc.ID).Code, "nothing saved before the confirmation")

		// A forged update id is refused, and nothing changes.
		confirm := url.Values{"review": {"confirmed"}, "public_title": {"Checkout outage"}, "publish_update": {second.ID}}
		for k, v := range form {
			confirm[k] = v
		}
		forged := url.Values{"publish_update": {status.NewID()}}
		for k, v := range confirm {
			if k != "publish_update" {
				forged[k] = v
			}
		}
		r = br.postWith(loc+"/edit", tok, forged)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.VisibilityCustomers, got.Visibility)

		r = br.postWith(loc+"/edit", tok, confirm)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		b.refresh(t)
		pub := b.get(t, "", "/p/widen/incidents/"+inc.ID).String()
		requireContains(t, pub, "Checkout outage")
		requireContains(t, pub, "A fix is being deployed.")
		requireNotContains(t, pub, "Acme, your checkout is down.")
		requireNotContains(t, pub, "acme-shop.example")
		requireContains(t, b.get(t, "", "/p/widen/api/v2/components.json").String(), `"status":"major_outage"`)

		// Once resolved it cannot be widened again.
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityCustomers)})
		require.NoError(t, err)
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		page = br.send(http.MethodGet, loc, nil)
		form["version"] = []string{regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]}
		r = br.postWith(loc+"/edit", tok, form)
		require.Equal(t, http.StatusConflict, r.Code)
		requireContains(t, r.String(), "cannot be made more public")
	})
}

// Forged audience values in the console's forms are refused with a clear
// message, what was typed kept, and nothing published.
func TestConsoleAudienceFormsRefuseForgedValues(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "forged"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers})
		br := customerBrowser(t, b, status.RoleEngineer)
		loc := "/console/pages/" + p.ID + "/incidents/" + inc.ID
		page := br.send(http.MethodGet, loc, nil)
		tok := csrfOf(t, page)
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]

		for name, form := range map[string]url.Values{
			"unknown kind":             {"kind": {"secret"}, "action": {"draft"}, "postmortem": {"Typed text 1"}},
			"publish the internal":     {"kind": {"internal"}, "action": {"publish"}, "postmortem_internal": {"Typed text 2"}, "confirm": {"yes"}},
			"unknown action":           {"kind": {"public"}, "action": {"shout"}, "postmortem": {"Typed text 3"}},
			"publish a non-public":     {"kind": {"public"}, "action": {"publish"}, "postmortem": {"Typed text 4"}, "confirm": {"yes"}, "version": {version}},
			"publish from a stale tab": {"kind": {"public"}, "action": {"publish"}, "postmortem": {"Typed text 5"}, "confirm": {"yes"}, "version": {"1"}},
		} {
			r := br.postWith(loc+"/postmortem", tok, form)
			require.True(t, r.Code == http.StatusUnprocessableEntity || r.Code == http.StatusConflict, "%s: %d", name, r.Code)
			requireContains(t, r.String(), `role="alert"`, name)
			for _, v := range form {
				if strings.HasPrefix(v[0], "Typed text") {
					requireContains(t, r.String(), v[0], name+": what was typed is kept")
				}
			}
		}
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Nil(t, got.PostmortemAt)

		r := br.postWith(loc+"/edit", tok, url.Values{"version": {version}, "title": {"T"}, "severity": {"minor"}, "visibility": {"everyone"},
			"started_at": {b.clock.Now().Format("2006-01-02T15:04")}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		requireContains(t, r.String(), "must be one of public, customers, internal")

		entries, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		r = br.postWith(loc+"/timeline/"+entries[0].ID+"/confirm", tok, url.Values{"confirm": {"yes"}, "confirmed_by": {"Someone"},
			"confirmation_method": {"telepathy"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code, "a declared entry is no customer's message")
	})
}

// The public post-mortem starts from the public updates only: nothing of
// the record, the timeline or the staff is in the console's public draft,
// and publishing it untouched publishes none of it. A phone call on the
// timeline is labelled as a call, and confirming from it names the caller.
func TestConsolePostmortemDraftsAndCalls(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "pm"})
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Checkout errors", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "Checkout fails for some of you.", Author: "Sam Staffer",
			Summary: "Globex and Initech carts broke", Source: status.SourcePhone, Caller: "Jo Caller +49 170 1234567",
			Reproduce: "curl -v https://cart.internal.example/health", Contact: "ops-lead@herald.example"})
		require.NoError(t, err)
		_, err = b.svc.Incidents.AddNote(b.ctx, p.ID, inc.ID, "Paged the database on-call.", "Sam Staffer", nil)
		require.NoError(t, err)
		item, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakePhone, Title: "Call about checkout",
			Body: "Jo says checkout works again.", SenderName: "Jo Caller", SenderPhone: "+49 170 1234567", RecordedBy: "Sam Staffer"})
		require.NoError(t, err)
		require.NoError(t, b.svc.Intake.Attach(b.ctx, item.ID, p.ID, inc.ID))

		br := customerBrowser(t, b, status.RoleManager)
		loc := "/console/pages/" + p.ID + "/incidents/" + inc.ID
		page := br.send(http.MethodGet, loc, nil)
		tok := csrfOf(t, page)
		public := regexp.MustCompile(`(?s)<textarea id="postmortem-text"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page.String())
		require.NotNil(t, public)
		internal := regexp.MustCompile(`(?s)<textarea id="postmortem-internal"[^>]*>(.*?)</textarea>`).FindStringSubmatch(page.String())
		require.NotNil(t, internal)
		requireContains(t, internal[1], "Globex and Initech carts broke", "the internal post-mortem starts from the record")
		requireContains(t, public[1], "Checkout fails for some of you.", "the public one from the public updates")
		for _, secret := range []string{"Globex", "Jo Caller", "1234567", "cart.internal.example", "Sam Staffer", "Paged the database",
			"ops-lead@herald.example", "State: Investigating"} {
			requireNotContains(t, public[1], secret, "the public draft")
		}

		// The call is labelled as a call; confirming from it names the caller.
		requireContains(t, page.String(), ">Call record</a>")
		entries, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var call string
		for _, e := range entries {
			if e.Kind == status.TimelineCustomer {
				call = e.ID
			}
		}
		r := br.postWith(loc+"/timeline/"+call+"/confirm", tok, url.Values{})
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), `id="confirm-by" name="confirmed_by" type="text" maxlength="200" value="Jo Caller"`)
		requireContains(t, r.String(), `<option value="phone" selected>`)

		// Publishing the untouched public draft publishes none of the record.
		b.refresh(t)
		version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(page.String())[1]
		draft := html.UnescapeString(public[1])
		r = br.postWith(loc+"/postmortem", tok, url.Values{"kind": {"public"}, "action": {"publish"}, "postmortem": {draft}})
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), "Nothing in it looks like")
		r = br.postWith(loc+"/postmortem", tok, url.Values{"kind": {"public"}, "action": {"publish"}, "postmortem": {draft},
			"confirm": {"yes"}, "version": {version}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		b.refresh(t)
		pub := b.get(t, "", "/p/pm/incidents/"+inc.ID).String()
		requireContains(t, pub, "What we said")
		for _, secret := range []string{"Globex", "Jo Caller", "1234567", "cart.internal.example", "Sam Staffer", "Paged the database"} {
			requireNotContains(t, pub, secret)
		}
	})
}
