package web_test

import (
	"net/http"
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

// contentWorld is a page in Berlin time with two public components and a
// hidden one, a subscriber, a customer with a contact, a public incident
// whose record names a contact and a customers-only incident whose record
// does not, each with secrets in the fields that are the team's only.
type contentWorld struct {
	b      *testBundle
	box    *comms.Outbox
	subs   *comms.Subscribers
	tokens *comms.Tokens
	fanOut *comms.FanOut

	page             *status.Page
	acme             *status.Customer
	public, private  *status.Incident
	pubUpd, privUpd  string // the update of each incident posted at epoch
	pubDecl, prvDecl string // the first update of each
}

// contentSecrets are written in the record fields and notes that only the
// team may read, and the hidden component's name.
var contentSecrets = []string{"zqsummaryzq", "zqcallerzq", "zqreproducezq", "zqaffectedzq", "zqnotezq", "Zeta Backend"}

// contentContact is the public incident's contact, with markup that every
// HTML output must escape.
const contentContact = `Erin <erin@northwind.example>, +49 30 5550100`

func newContentWorld(t *testing.T, bdb *bun.DB) *contentWorld {
	t.Helper()
	secret := []byte("a secret of enough bytes for links")
	w := &contentWorld{tokens: comms.NewTokens(secret)}
	w.b = setup(t, bdb, func(d *web.Deps) {
		w.box = comms.NewOutbox(bdb, comms.OutboxOptions{From: "Herald <status@herald.example.org>", Now: d.Service.Now})
		w.subs = comms.NewSubscribers(bdb, d.Service, w.box, w.tokens, d.BaseURL)
		d.Secret, d.Outbox, d.Subscribers = secret, w.box, w.subs
		w.fanOut = &comms.FanOut{Service: d.Service, Outbox: w.box, Audience: w.subs.Audience(d.BaseURL), BaseURL: d.BaseURL, Tokens: w.tokens}
	})
	svc, ctx := w.b.svc, w.b.ctx
	w.page = statustest.Page(t, svc, &statustest.PageOpts{Slug: "nw", Name: "Northwind", TimeZone: "Europe/Berlin",
		SupportEmail: "help@northwind.example"})
	site := statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Website", Position: 2})
	api := statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Public API", Position: 1})
	hidden := statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Name: "Zeta Backend", Position: 3, Hidden: true})
	w.acme = statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme",
		Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary}}})
	_, err := w.subs.Add(ctx, w.page.ID, "sub@example.net", comms.Subscription{Scope: comms.ScopeAll}, comms.AddedByAdmin)
	require.NoError(t, err)

	declare := func(title string, vis status.Visibility, contact string) (*status.Incident, string) {
		w.b.clock.Set(epoch.Add(-10 * time.Minute))
		started := epoch.Add(-40 * time.Minute)
		inc, err := svc.Incidents.Declare(ctx, w.page.ID, status.IncidentInput{Title: title, Severity: status.SeverityMinor,
			Visibility: vis, StartedAt: &started, Body: "We are looking into errors.", Customers: []string{w.acme.ID},
			Components: affect(site.ID, status.DegradedPerformance, hidden.ID, status.MajorOutage, api.ID, status.PartialOutage),
			Contact:    contact, Summary: "zqsummaryzq", Caller: "zqcallerzq", Reproduce: "zqreproducezq", AffectedCustomers: "zqaffectedzq"})
		require.NoError(t, err)
		_, err = svc.Incidents.AddNote(ctx, w.page.ID, inc.ID, "zqnotezq", "Casey", nil)
		require.NoError(t, err)
		full, err := svc.Incidents.ByID(ctx, w.page.ID, inc.ID)
		require.NoError(t, err)
		return inc, full.Updates[0].ID
	}
	w.public, w.pubDecl = declare("Elevated API errors", status.VisibilityPublic, contentContact)
	w.private, w.prvDecl = declare("Acme's cluster is slow", status.VisibilityCustomers, "")

	// At epoch (13:00 in Berlin), an update that changes no component:
	// the next one is promised for 13:30.
	w.b.clock.Set(epoch)
	for _, x := range []struct {
		inc *status.Incident
		id  *string
	}{{w.public, &w.pubUpd}, {w.private, &w.privUpd}} {
		upd, err := svc.Incidents.PostUpdate(ctx, w.page.ID, x.inc.ID, status.UpdateInput{Kind: status.KindProgress,
			State: status.StateMitigating, Body: "A fix is rolling out."})
		require.NoError(t, err)
		*x.id = upd.ID
	}
	return w
}

// emails runs the fan-out of update updID of inc and returns the emails it
// queued, by recipient.
func (w *contentWorld) emails(t *testing.T, inc *status.Incident, updID string) map[string]*comms.Email {
	t.Helper()
	require.NoError(t, w.fanOut.Run(w.b.ctx, comms.FanOutArgs{PageID: w.page.ID, IncidentID: inc.ID, UpdateID: updID}))
	var es []*comms.Email
	require.NoError(t, w.b.db.NewSelect().Model(&es).Where("dedupe_key LIKE ?", "update:"+updID+":%").Scan(w.b.ctx))
	out := map[string]*comms.Email{}
	for _, e := range es {
		out[e.To] = e
	}
	return out
}

// privatePath is the path of acme's private link to the customers-only
// incident.
func (w *contentWorld) privatePath() string {
	link := comms.PrivateIncidentURL(w.tokens, nil, w.page, w.private.ID, w.acme.ID, w.b.clock.Now())
	return strings.TrimPrefix(link, "http://localhost:8080")
}

// requireSays requires each of the wanted texts in doc, and none of the
// team's secrets.
func requireSays(t *testing.T, what, doc string, want ...string) {
	t.Helper()
	for _, s := range want {
		require.Contains(t, doc, s, "%s: %s", what, excerpt(doc))
	}
	for _, s := range contentSecrets {
		require.NotContains(t, doc, s, "%s shows something only the team may read", what)
	}
}

// Every customer-facing rendering of an incident update says what
// DESIGN.md §1 asks of each status: which services are affected (every
// time, not only when an update changes one), what happened, when it
// started (in the page's time zone, named), the current state, the next
// update and whom to contact: the subscriber's and the customer's email,
// text and HTML, the public incident page and the customer's private
// page. Nothing from the record's internal fields, the notes or a hidden
// component shows.
func TestEveryCustomerFacingUpdateSaysTheSixThings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		w := newContentWorld(t, bdb)
		w.b.refresh(t)
		escaped := "Erin &lt;erin@northwind.example&gt;, &#43;49 30 5550100" // as html/template escapes it

		// The public incident: subscribers and the customer get it; its
		// record names the contact.
		pub := w.emails(t, w.public, w.pubUpd)
		require.Len(t, pub, 2, "the subscriber and Acme's contact")
		for _, to := range []string{"sub@example.net", "wile@acme.example"} {
			e := pub[to]
			require.NotNil(t, e, to)
			requireSays(t, "text email to "+to, e.Text, "Elevated API errors", "A fix is rolling out.",
				"\nAffected: Public API, Website\n", "\nStarted: Mar 10, 2026 12:20 CET\n", "\nCurrent state: Mitigating\n",
				"\nNext update by 13:30 CET.\n", "\nContact: "+contentContact+"\n")
			require.NotContains(t, e.Text, "Status changes:", "the update changed no component")
			requireSays(t, "HTML email to "+to, e.HTML, "<bdi>Elevated API errors</bdi>", "A fix is rolling out.",
				"Affected: Public API, Website<br>", "Started: Mar 10, 2026 12:20 CET<br>", "Current state: Mitigating<br>",
				"Next update by 13:30 CET.<br>", "Contact: <bdi>"+escaped+"</bdi>")
		}

		page := w.b.get(t, "", "/p/nw/incidents/"+w.public.ID)
		require.Equal(t, http.StatusOK, page.Code)
		requireSays(t, "public incident page", page.String(), "<h1><bdi>Elevated API errors</bdi></h1>", "A fix is rolling out.",
			`<p class="affected">Affected: Public API, Website</p>`, ">Mar 10, 2026 12:20 CET</time>",
			`<span class="state state-mitigating">Mitigating</span>`, `Next update by <time datetime="2026-03-10T12:30:00Z">13:30 CET</time>`,
			`<p class="contact">Contact: <bdi>`+escaped+`</bdi></p>`)

		// The customers-only incident: only the customer, with the private
		// link; no contact in the record, so the page's support address.
		priv := w.emails(t, w.private, w.privUpd)
		require.Len(t, priv, 1, "Acme's contact only")
		e := priv["wile@acme.example"]
		require.NotNil(t, e)
		requireSays(t, "customer's text email", e.Text, "Acme's cluster is slow", "A fix is rolling out.", "\nAffected: Public API, Website\n",
			"\nStarted: Mar 10, 2026 12:20 CET\n", "\nCurrent state: Mitigating\n", "\nNext update by 13:30 CET.\n",
			"\nContact: help@northwind.example\n", "/private/")
		requireSays(t, "customer's HTML email", e.HTML, "Acme&#39;s cluster is slow", "A fix is rolling out.", "Affected: Public API, Website<br>",
			"Started: Mar 10, 2026 12:20 CET<br>", "Current state: Mitigating<br>", "Next update by 13:30 CET.<br>",
			"Contact: <bdi>help@northwind.example</bdi>")

		private := w.b.get(t, "", w.privatePath())
		require.Equal(t, http.StatusOK, private.Code, private.String())
		requireSays(t, "private incident page", private.String(), "<h1><bdi>Acme&#39;s cluster is slow</bdi></h1>", "A fix is rolling out.",
			`<p class="affected">Affected: Public API, Website</p>`, ">Mar 10, 2026 12:20 CET</time>",
			`<span class="state state-mitigating">Mitigating</span>`, `Next update by <time datetime="2026-03-10T12:30:00Z">13:30 CET</time>`,
			`<p class="contact">Contact: <bdi>help@northwind.example</bdi></p>`)

		v2 := w.b.get(t, "", "/p/nw/api/v2/incidents/unresolved.json")
		require.Equal(t, http.StatusOK, v2.Code)
		require.Contains(t, v2.String(), `A fix is rolling out.\n\nNext update by 13:30 CET.`)
	})
}

// Once the promised time of the next update has passed, no output shows
// it as if it were still to come: each says an update is on its way. An
// email sent late (its fan-out held up) says so too.
func TestCustomerFacingUpdatesSayAnUpdateIsOnItsWayOnceDue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		w := newContentWorld(t, bdb)
		w.b.clock.Set(epoch.Add(30*time.Minute + time.Second))
		w.b.srv.Snapshots().Age(time.Hour) // the periodic rebuild
		w.b.refresh(t)

		for name, path := range map[string]string{"public incident page": "/p/nw/incidents/" + w.public.ID,
			"private incident page": w.privatePath(), "status page": "/p/nw/"} {
			r := w.b.get(t, "", path)
			require.Equal(t, http.StatusOK, r.Code, name)
			requireSays(t, name, r.String(), `<p class="next-update">An update is on its way.</p>`)
			require.NotContains(t, r.String(), "Next update by", name)
		}
		v2 := w.b.get(t, "", "/p/nw/api/v2/incidents/unresolved.json")
		require.Contains(t, v2.String(), `A fix is rolling out.\n\nAn update is on its way.`)
		require.NotContains(t, v2.String(), "Next update by")

		// The declaration's emails go out only now.
		for _, x := range []struct {
			inc *status.Incident
			upd string
		}{{w.public, w.pubDecl}, {w.private, w.prvDecl}} {
			es := w.emails(t, x.inc, x.upd)
			require.NotEmpty(t, es)
			for to, e := range es {
				requireSays(t, "late text email to "+to, e.Text, "\nAn update is on its way.\n", "\nCurrent state: Mitigating\n")
				requireSays(t, "late HTML email to "+to, e.HTML, "An update is on its way.<br>")
				require.NotContains(t, e.Text+e.HTML, "Next update by", to)
			}
		}

		// Resolved: neither a next update nor one on its way.
		_, err := w.b.svc.Incidents.PostUpdate(w.b.ctx, w.page.ID, w.public.ID, status.UpdateInput{State: status.StateResolved,
			Kind: status.KindResolution, Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		w.b.refresh(t)
		r := w.b.get(t, "", "/p/nw/incidents/"+w.public.ID)
		requireSays(t, "resolved incident page", r.String(), `<span class="state state-resolved">Resolved</span>`,
			"<p class=\"contact\">Contact: <bdi>")
		require.NotContains(t, r.String(), "next-update")
	})
}

// Without a contact in the record and without a support address or URL on
// the page, no output has a contact line (rather than an empty one).
func TestCustomerFacingUpdatesWithoutAContactOmitTheLine(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		w := newContentWorld(t, bdb)
		_, err := w.b.svc.Pages.Update(w.b.ctx, w.page.ID, status.PagePatch{SupportEmail: statustest.Ptr("")})
		require.NoError(t, err)
		w.b.refresh(t)
		for to, e := range w.emails(t, w.private, w.privUpd) {
			require.NotContains(t, e.Text, "Contact:", to)
			require.NotContains(t, e.HTML, "Contact:", to)
			require.Contains(t, e.Text, "\nAffected: Public API, Website\n", to)
		}
		r := w.b.get(t, "", w.privatePath())
		require.Equal(t, http.StatusOK, r.Code)
		require.NotContains(t, r.String(), `class="contact"`)
	})
}
