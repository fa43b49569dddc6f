package web_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// leakAudience is who reads an output of the leak matrix: the public, one
// of two customers, or the team.
type leakAudience string

const (
	audiencePublic leakAudience = "public"
	audienceA      leakAudience = "customer A"
	audienceB      leakAudience = "customer B"
	audienceTeam   leakAudience = "team"
)

// Who may see a marker.
var (
	mayAll  = []leakAudience{audiencePublic, audienceA, audienceB, audienceTeam}
	mayA    = []leakAudience{audienceA, audienceTeam}
	mayB    = []leakAudience{audienceB, audienceTeam}
	mayTeam = []leakAudience{audienceTeam}
)

// leakMarker is a unique string written into one place of the world.
type leakMarker struct {
	what string // where it was written, for failure messages
	text string
	may  []leakAudience // who may see it
	// must are the audiences that must see it in at least one of their
	// outputs; empty means at least one audience of may.
	must []leakAudience
}

// leakHost is the host name of the leak world's page.
const leakHost = "status.leak.test"

// leakSecret signs the world's subscriber and private links.
var leakSecret = []byte("leak matrix secret, long enough to sign")

// leakWorld is one page holding content for every audience, each piece
// carrying a marker tagged with who may read it, and the emails Herald
// sends about it queued in a dev outbox.
type leakWorld struct {
	b      *testBundle
	base   *url.URL
	box    *comms.Outbox
	subs   *comms.Subscribers
	tokens *comms.Tokens

	page              *status.Page
	group             *status.ComponentGroup // holds the hidden component only
	pub, hidden       *status.Component
	custA, custB      *status.Customer
	user              *status.User
	apiToken          string // a viewer's, for the admin API
	template          *status.UpdateTemplate
	intake            *status.IntakeItem
	takenBack         *status.IntakeItem // dismissed, forwarded to the service desk, then taken back
	maint             *status.Maintenance
	incidents         []*status.Incident  // every incident of the page
	linked            map[string][]string // customer id → ids of its incidents
	confirmed         []*comms.Subscriber
	pendingSubscriber string // address of a form subscription awaiting confirmation

	// audienceOf names the audience of every address Herald may mail.
	audienceOf map[string]leakAudience
	markers    []leakMarker
}

// mark records text as a marker that only the audiences in may may see
// (and those in must, when given, must see somewhere) and returns it.
func (w *leakWorld) mark(what, text string, may []leakAudience, must ...leakAudience) string {
	w.markers = append(w.markers, leakMarker{what: what, text: text, may: may, must: must})
	return text
}

// newLeakWorld builds the world over bdb, with a server that has a
// link-signing secret and the world's outbox, runs every fan-out and
// acknowledgement, and refreshes the snapshots. The clock ends at epoch.
func newLeakWorld(t *testing.T, bdb *bun.DB) *leakWorld {
	t.Helper()
	w := &leakWorld{tokens: comms.NewTokens(leakSecret), linked: map[string][]string{}, audienceOf: map[string]leakAudience{}}
	w.b = setup(t, bdb, func(d *web.Deps) {
		w.base = d.BaseURL
		w.box = comms.NewOutbox(bdb, comms.OutboxOptions{From: "Herald <status@herald.example.org>", Now: d.Service.Now})
		w.subs = comms.NewSubscribers(bdb, d.Service, w.box, w.tokens, d.BaseURL)
		d.Secret, d.Outbox, d.Subscribers = leakSecret, w.box, w.subs
	})
	w.b.clock.Set(epoch.AddDate(0, 0, -100)) // the resolved incident fills a second history page
	w.buildPage(t)
	w.buildCustomers(t)
	w.buildTeam(t)
	w.buildResolved(t)
	w.b.clock.Set(epoch.Add(-time.Hour))
	w.buildOpen(t)
	w.buildNonPublic(t)
	w.buildWidened(t)
	w.buildMaintenance(t)
	w.buildSubscribers(t)
	w.b.clock.Set(epoch)
	w.fanOut(t)
	w.acknowledgeAll(t)
	w.requestConfirmations(t)
	w.b.refresh(t)
	return w
}

func (w *leakWorld) buildPage(t *testing.T) {
	svc := w.b.svc
	w.page = statustest.Page(t, svc, &statustest.PageOpts{Slug: "leak", Name: "Leak Cloud", Hosts: []string{leakHost},
		SupportEmail: "support@herald.example.org"})
	page, err := svc.Pages.Update(w.b.ctx, w.page.ID, status.PagePatch{
		Office: &status.OfficeHours{Days: "mon", Opens: "09:00", Closes: "10:00",
			Holidays: w.mark("page: holidays", "2031-01-02", mayTeam)},
		OncallGuideURL:   statustest.Ptr("https://wiki.example/" + w.mark("page: on-call guide", "zqoncallguidezq", mayTeam)),
		VideoRoomURL:     statustest.Ptr("https://meet.example/" + w.mark("page: video room", "zqvideoroomzq", mayTeam)),
		VulnerabilityURL: statustest.Ptr("https://wiki.example/" + w.mark("page: vulnerability process", "zqvulnprocesszq", mayTeam))})
	require.NoError(t, err)
	w.page = page
	w.group = statustest.Group(t, svc, w.page.ID, &statustest.GroupOpts{Position: 2,
		Name: w.mark("group of hidden components: name", "zqhiddengroupzq", mayTeam)})
	w.pub = statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{Position: 1,
		Name:        w.mark("public component: name", "zqpubcompzq", mayAll, audiencePublic),
		Description: w.mark("public component: description", "zqpubcompdesczq", mayAll, audiencePublic)})
	w.hidden = statustest.Component(t, svc, w.page.ID, &statustest.ComponentOpts{GroupID: &w.group.ID, Hidden: true,
		Name:        w.mark("hidden component: name", "zqhiddencompzq", mayTeam),
		Description: w.mark("hidden component: description", "zqhiddencompdesczq", mayTeam)})
	w.mark("hidden component: id", w.hidden.ID, mayTeam)
	w.mark("group of hidden components: id", w.group.ID, mayTeam)
}

// buildCustomers makes customers A and B, each with a name, a domain, a
// contact, an account manager and on-call notes.
func (w *leakWorld) buildCustomers(t *testing.T) {
	customer := func(x string, may []leakAudience, a leakAudience) *status.Customer {
		domain := w.mark("customer "+x+": domain", "zqdomain"+x+"zq", may) + ".example"
		addr := w.mark("customer "+x+": contact email", "zqcontactmail"+x+"zq", may) + "@" + domain
		c := statustest.Customer(t, w.b.svc, &statustest.CustomerOpts{
			Name:    w.mark("customer "+x+": name", "zqcustomer"+x+"zq", may),
			Domains: []string{domain},
			Contacts: []status.ContactInput{{Name: w.mark("customer "+x+": contact name", "zqcontactname"+x+"zq", may),
				Email: addr, Role: status.ContactPrimary, PreferredChannel: status.ChannelPhone,
				Phone: w.mark("customer "+x+": contact phone", map[string]string{"a": "0711 4242 9001", "b": "0711 4242 9002"}[x], may)}},
			AccountManagerEmail: w.mark("customer "+x+": account manager", "zqaccountmanager"+x+"zq", mayTeam) + "@herald.example.org",
			OncallNotes:         w.mark("customer "+x+": on-call notes", "zqoncallnotes"+x+"zq", mayTeam),
			OncallURL:           "https://wiki.example/" + w.mark("customer "+x+": on-call wiki link", "zqoncallurl"+x+"zq", mayTeam),
		})
		w.mark("customer "+x+": id", c.ID, may)
		w.audienceOf[addr] = a
		return c
	}
	w.custA = customer("a", mayA, audienceA)
	w.custB = customer("b", mayB, audienceB)
}

// buildTeam makes what only the team works with: a user, an API token, an
// update template and an intake item from a phone call.
func (w *leakWorld) buildTeam(t *testing.T) {
	svc, ctx := w.b.svc, w.b.ctx
	w.user = statustest.User(t, svc, &statustest.UserOpts{Role: status.RoleEngineer,
		Name:  w.mark("team member: name", "zqusernamezq", mayTeam),
		Email: w.mark("team member: email", "zquseremailzq", mayTeam) + "@team.example"})
	var err error
	w.apiToken, _, err = svc.Accounts.CreateToken(ctx, w.mark("API token: name", "zqtokennamezq", mayTeam), status.RoleViewer)
	require.NoError(t, err)
	w.template, err = svc.Templates.Save(ctx, "", status.UpdateTemplateInput{Kind: status.KindProgress,
		Name: w.mark("update template: name", "zqtemplatenamezq", mayTeam),
		Body: w.mark("update template: body", "zqtemplatebodyzq", mayTeam)})
	require.NoError(t, err)
	w.intake, _, err = svc.Intake.Create(ctx, status.IntakeInput{Source: status.IntakePhone,
		Title:       w.mark("intake item: title", "zqintaketitlezq", mayTeam),
		Body:        w.mark("intake item: body", "zqintakebodyzq", mayTeam),
		SenderName:  w.mark("intake item: caller", "zqintakecallerzq", mayTeam),
		SenderPhone: "+49 30 5550199"})
	require.NoError(t, err)
	w.buildTakenBack(t)
}

// leakServiceDesk is where the world's dismissed intake is forwarded.
const leakServiceDesk = "servicedesk@herald.example.org"

// buildTakenBack dismisses a phone call as not an incident, which
// forwards it to the service desk, and takes the dismissal back, which
// tells the desk: both emails are the team's.
func (w *leakWorld) buildTakenBack(t *testing.T) {
	desk := status.New(w.b.db, status.Options{Now: w.b.svc.Now, Notifier: &comms.Notifier{Outbox: w.box, ServiceDesk: leakServiceDesk}})
	w.audienceOf[leakServiceDesk] = audienceTeam
	item, _, err := desk.Intake.Create(w.b.ctx, status.IntakeInput{Source: status.IntakePhone, CustomerID: w.custA.ID,
		Title:      w.mark("taken-back intake item: title", "zqtakenbacktitlezq", mayTeam),
		SenderName: w.mark("taken-back intake item: caller", "zqtakenbackcallerzq", mayTeam)})
	require.NoError(t, err)
	_, err = desk.Intake.Dismiss(w.b.ctx, item.ID, w.mark("taken-back intake item: dismissal note", "zqdismissnotezq", mayTeam))
	require.NoError(t, err)
	w.takenBack, err = desk.Intake.UndoDismissal(w.b.ctx, item.ID)
	require.NoError(t, err)
}

// buildResolved makes a public incident 100 days ago, closed with its
// closing record, with an internal post-mortem, a published public one
// and a newer public draft.
func (w *leakWorld) buildResolved(t *testing.T) {
	svc, ctx, pid := w.b.svc, w.b.ctx, w.page.ID
	inc := statustest.Incident(t, svc, pid, &statustest.IncidentOpts{
		Title:      w.mark("resolved public incident: title", "zqresolvedtitlezq", mayAll, audiencePublic),
		Body:       w.mark("resolved public incident: first update", "zqresolvedbodyzq", mayAll, audiencePublic),
		Components: affect(w.pub.ID, status.PartialOutage)})
	w.incidents = append(w.incidents, inc)
	w.b.clock.Advance(time.Hour)
	_, err := svc.Incidents.Close(ctx, pid, inc.ID, status.CloseInput{ConfirmationSource: "internal", ConfirmationMethod: "monitoring",
		ConfirmedBy: w.mark("closing: confirmed by", "zqconfirmedbyzq", mayTeam),
		Message:     w.mark("resolved public incident: resolution", "zqresolutionzq", mayAll, audiencePublic),
		Resolution:  status.ResolutionPermanent,
		Cause:       w.mark("closing: cause", "zqcausezq", mayTeam),
		Solution:    w.mark("closing: solution", "zqsolutionzq", mayTeam),
		Remaining:   w.mark("closing: left to do", "zqremainingzq", mayTeam),
		FollowUps:   "https://tickets.example/" + w.mark("closing: follow-up ticket", "zqfollowupzq", mayTeam)})
	require.NoError(t, err)
	for _, in := range []status.PostmortemInput{
		{Kind: status.PostmortemInternal, Action: status.PostmortemSave,
			Text: w.mark("internal post-mortem", "zqpostmorteminternalzq", mayTeam)},
		{Kind: status.PostmortemPublic, Action: status.PostmortemPublish,
			Text: w.mark("published public post-mortem", "zqpostmortempublishedzq", mayAll, audiencePublic)},
		{Kind: status.PostmortemPublic, Action: status.PostmortemSave,
			Text: w.mark("public post-mortem draft (unpublished)", "zqpostmortemdraftzq", mayTeam)},
	} {
		_, err := svc.Incidents.SavePostmortem(ctx, pid, inc.ID, in)
		require.NoError(t, err)
	}
}

// buildOpen makes an open public incident with the whole record, touching
// a hidden component too, with a note, a role holder, a scheduled update
// and a second public update; and an open public incident whose public
// title differs from its title and which affects no customer.
func (w *leakWorld) buildOpen(t *testing.T) {
	svc, ctx, pid := w.b.svc, w.b.ctx, w.page.ID
	inc, err := svc.Incidents.Declare(ctx, pid, status.IncidentInput{Severity: status.SeverityMinor, Visibility: status.VisibilityPublic,
		Title:           w.mark("open public incident: title", "zqopentitlezq", mayAll, audiencePublic),
		Body:            w.mark("open public incident: first update", "zqopenbodyzq", mayAll, audiencePublic),
		Components:      affect(w.pub.ID, status.PartialOutage, w.hidden.ID, status.MajorOutage),
		Author:          w.mark("update author", "zqupdateauthorzq", mayTeam),
		Summary:         w.mark("record: what happened", "zqsummaryzq", mayTeam),
		Source:          status.SourcePhone,
		SourceReference: w.mark("record: source reference", "zqsourcereferencezq", mayTeam),
		Caller:          w.mark("record: caller", "zqcallerzq", mayTeam),
		Reproduce:       w.mark("record: how to check it", "zqreproducezq", mayTeam),
		// Every update names whom to contact, to all who see the incident.
		Contact:           w.mark("record: contact", "zqcontactzq", mayAll, audiencePublic),
		AffectedCustomers: w.mark("record: affected customers (free text)", "zqaffectedcustomerszq", mayTeam),
		VideoRoom:         "https://meet.example/" + w.mark("incident: video room", "zqincidentroomzq", mayTeam)})
	require.NoError(t, err)
	w.incidents = append(w.incidents, inc)
	channels, next := status.ContactChannels{status.ChannelPhone}, statustest.Ptr(epoch.Add(3*time.Hour+17*time.Minute))
	_, err = svc.Incidents.Update(ctx, pid, inc.ID, status.IncidentPatch{ContactChannels: &channels, NextContactAt: &next,
		Security: statustest.Ptr(status.SecurityVulnerability)})
	require.NoError(t, err)
	require.NoError(t, svc.Incidents.RecordEscalation(ctx, pid, inc.ID, status.EscalationStep{What: status.RecordSecurityReported}))
	_, err = svc.Incidents.AddNote(ctx, pid, inc.ID, w.mark("internal note", "zqinternalnotezq", mayTeam), "Casey", nil)
	require.NoError(t, err)
	require.NoError(t, svc.Incidents.AssignRole(ctx, pid, inc.ID, status.RoleCommander, w.user.ID, "Casey"))
	require.NoError(t, svc.Incidents.RecordEscalation(ctx, pid, inc.ID, status.EscalationStep{What: status.RecordAMInformed,
		DecidedBy: w.mark("escalation: who in Account Management was informed", "zqescalatedbyzq", mayTeam)}))
	_, err = svc.Incidents.ScheduleUpdate(ctx, pid, inc.ID, status.UpdateInput{Kind: status.KindProgress,
		Body: w.mark("scheduled update (not yet published)", "zqscheduledzq", mayTeam)}, epoch.Add(2*time.Hour))
	require.NoError(t, err)
	w.b.clock.Advance(5 * time.Minute)
	_, err = svc.Incidents.PostUpdate(ctx, pid, inc.ID, status.UpdateInput{Kind: status.KindProgress,
		Body:       w.mark("open public incident: second update", "zqopenupdatezq", mayAll, audiencePublic),
		Components: affect(w.hidden.ID, status.PartialOutage)})
	require.NoError(t, err)

	retitled := statustest.Incident(t, svc, pid, &statustest.IncidentOpts{
		Title: w.mark("public incident of no customer: title (its public title differs)", "zqretitledtitlezq", mayTeam),
		Body:  w.mark("public incident of no customer: update", "zqretitledbodyzq", mayAll, audiencePublic)})
	_, err = svc.Incidents.Update(ctx, pid, retitled.ID, status.IncidentPatch{
		PublicTitle: statustest.Ptr(w.mark("public incident of no customer: public title", "zqretitledpublictitlezq", mayAll, audiencePublic))})
	require.NoError(t, err)
	w.incidents = append(w.incidents, retitled)
}

// buildNonPublic makes an internal incident (linked to customer A, which
// must not make it A's) and a customers-only incident for each customer.
func (w *leakWorld) buildNonPublic(t *testing.T) {
	svc, ctx, pid := w.b.svc, w.b.ctx, w.page.ID
	w.b.clock.Advance(5 * time.Minute)
	internal := statustest.Incident(t, svc, pid, &statustest.IncidentOpts{Visibility: status.VisibilityInternal,
		Severity:   status.SeverityMajor,
		Title:      w.mark("internal incident: title", "zqinternaltitlezq", mayTeam),
		Body:       w.mark("internal incident: first update", "zqinternalbodyzq", mayTeam),
		Components: affect(w.pub.ID, status.MajorOutage), Customers: []string{w.custA.ID}})
	w.mark("internal incident: id", internal.ID, mayTeam)
	w.record(t, internal, "internal incident", mayTeam)
	_, err := svc.Incidents.PostUpdate(ctx, pid, internal.ID, status.UpdateInput{Kind: status.KindProgress,
		Body: w.mark("internal incident: second update", "zqinternalupdatezq", mayTeam)})
	require.NoError(t, err)
	w.incidents = append(w.incidents, internal)
	w.linked[w.custA.ID] = append(w.linked[w.custA.ID], internal.ID)

	for _, c := range []struct {
		x    string
		cust *status.Customer
		may  []leakAudience
		a    leakAudience
	}{{"a", w.custA, mayA, audienceA}, {"b", w.custB, mayB, audienceB}} {
		inc := statustest.Incident(t, svc, pid, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers,
			Title:      w.mark("customers-only incident of "+c.x+": title", "zqcustomersonly"+c.x+"titlezq", c.may, c.a),
			Body:       w.mark("customers-only incident of "+c.x+": update", "zqcustomersonly"+c.x+"bodyzq", c.may, c.a),
			Components: affect(w.pub.ID, status.DegradedPerformance), Customers: []string{c.cust.ID}})
		w.mark("customers-only incident of "+c.x+": id", inc.ID, c.may)
		w.record(t, inc, "customers-only incident of "+c.x, c.may, c.a)
		w.incidents = append(w.incidents, inc)
		w.linked[c.cust.ID] = append(w.linked[c.cust.ID], inc.ID)
	}
}

// record fills in the record of a non-public incident: its contact, which
// every update shows to those in may (and must be seen by must), and the
// fields that are the team's only.
func (w *leakWorld) record(t *testing.T, inc *status.Incident, what string, may []leakAudience, must ...leakAudience) {
	x := strings.ReplaceAll(strings.ReplaceAll(what, " ", ""), "-", "")
	_, err := w.b.svc.Incidents.Update(w.b.ctx, w.page.ID, inc.ID, status.IncidentPatch{
		Contact:           statustest.Ptr(w.mark(what+": record's contact", "zq"+x+"contactzq", may, must...)),
		Summary:           statustest.Ptr(w.mark(what+": record's what happened", "zq"+x+"summaryzq", mayTeam)),
		Reproduce:         statustest.Ptr(w.mark(what+": record's how to check it", "zq"+x+"reproducezq", mayTeam)),
		AffectedCustomers: statustest.Ptr(w.mark(what+": record's affected customers", "zq"+x+"affectedzq", mayTeam))})
	require.NoError(t, err)
}

// buildWidened makes an incident of customer A's, widened to public with a
// public title after an update that stays customers-only, then updated
// publicly.
func (w *leakWorld) buildWidened(t *testing.T) {
	svc, ctx, pid := w.b.svc, w.b.ctx, w.page.ID
	w.b.clock.Advance(5 * time.Minute)
	inc := statustest.Incident(t, svc, pid, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers,
		Title:      w.mark("widened incident: title (customers of it may see it)", "zqwidenedtitlezq", mayA, audienceA),
		Body:       w.mark("widened incident: update posted while customers-only", "zqwidenedbeforezq", mayA, audienceA),
		Components: affect(w.pub.ID, status.PartialOutage), Customers: []string{w.custA.ID}})
	full, err := svc.Incidents.ByID(ctx, pid, inc.ID)
	require.NoError(t, err)
	require.Len(t, full.Updates, 1)
	w.mark("widened incident: id of the update posted while customers-only", full.Updates[0].ID, mayA)
	err = svc.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		return tx.AddCustomerMessage(ctx, pid, inc.ID, status.CustomerMessage{From: w.custA.Contacts[0].Email,
			Title: "Still down here", Text: w.mark("widened incident: customer A's reply on the timeline", "zqcustomerreplyzq", mayA),
			At: svc.Now()})
	})
	require.NoError(t, err)
	w.b.clock.Advance(5 * time.Minute)
	_, err = svc.Incidents.Update(ctx, pid, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityPublic),
		PublicTitle: statustest.Ptr(w.mark("widened incident: public title", "zqwidenedpublictitlezq", mayAll, audiencePublic))})
	require.NoError(t, err)
	w.b.clock.Advance(5 * time.Minute)
	_, err = svc.Incidents.PostUpdate(ctx, pid, inc.ID, status.UpdateInput{Kind: status.KindProgress,
		Body: w.mark("widened incident: public update", "zqwidenedafterzq", mayAll, audiencePublic, audienceA)})
	require.NoError(t, err)
	w.incidents = append(w.incidents, inc)
	w.linked[w.custA.ID] = append(w.linked[w.custA.ID], inc.ID)
}

// buildMaintenance schedules maintenance of the public and the hidden
// component tomorrow, with a second update.
func (w *leakWorld) buildMaintenance(t *testing.T) {
	svc, ctx, pid := w.b.svc, w.b.ctx, w.page.ID
	author := w.mark("maintenance author", "zqmaintenanceauthorzq", mayTeam)
	m := statustest.Maintenance(t, svc, pid, &statustest.MaintenanceOpts{Author: author,
		Title:        w.mark("maintenance: title", "zqmaintenancetitlezq", mayAll, audiencePublic),
		Description:  w.mark("maintenance: description", "zqmaintenancebodyzq", mayAll, audiencePublic),
		ScheduledFor: epoch.AddDate(0, 0, 1), ScheduledUntil: epoch.AddDate(0, 0, 1).Add(2 * time.Hour),
		ComponentIDs: []string{w.pub.ID, w.hidden.ID}})
	w.b.clock.Advance(time.Minute)
	_, err := svc.Maintenances.PostUpdate(ctx, pid, m.ID, status.MaintenanceUpdateInput{Author: author,
		Body: w.mark("maintenance: update", "zqmaintenanceupdatezq", mayAll, audiencePublic)})
	require.NoError(t, err)
	w.maint, err = svc.Maintenances.ByID(ctx, pid, m.ID)
	require.NoError(t, err)
}

// buildSubscribers adds confirmed subscribers of everything, of the public
// component, of the hidden component and of the hidden group (an admin may
// add those), and a form subscription awaiting confirmation.
func (w *leakWorld) buildSubscribers(t *testing.T) {
	ctx := w.b.ctx
	for addr, sub := range map[string]comms.Subscription{
		"all@subscriber.example":       {Scope: comms.ScopeAll},
		"public@subscriber.example":    {Scope: comms.ScopeComponents, ComponentIDs: []string{w.pub.ID}},
		"hidden@subscriber.example":    {Scope: comms.ScopeComponents, ComponentIDs: []string{w.hidden.ID}},
		"hiddengrp@subscriber.example": {Scope: comms.ScopeGroups, GroupIDs: []string{w.group.ID}},
	} {
		s, err := w.subs.Add(ctx, w.page.ID, addr, sub, comms.AddedByAdmin)
		require.NoError(t, err)
		w.confirmed = append(w.confirmed, s)
		w.audienceOf[addr] = audiencePublic
	}
	slices.SortFunc(w.confirmed, func(x, y *comms.Subscriber) int { return strings.Compare(x.Email, y.Email) })
	w.pendingSubscriber = "pending@subscriber.example"
	require.NoError(t, w.subs.Subscribe(ctx, w.page.ID, w.pendingSubscriber, comms.Subscription{Scope: comms.ScopeAll}))
	w.audienceOf[w.pendingSubscriber] = audiencePublic
}

// fanOut runs the fan-out of every update of every incident, whatever its
// audience (the fan-out must decide that by itself), and of every
// maintenance update with a reminder, as the workers would.
func (w *leakWorld) fanOut(t *testing.T) {
	svc, ctx, pid := w.b.svc, w.b.ctx, w.page.ID
	f := &comms.FanOut{Service: svc, Outbox: w.box, Audience: w.subs.Audience(w.base), BaseURL: w.base, Tokens: w.tokens}
	for _, inc := range w.incidents {
		v, err := svc.Incidents.View(ctx, status.Internal(), pid, inc.ID)
		require.NoError(t, err)
		for i := len(v.Updates) - 1; i >= 0; i-- {
			require.NoError(t, f.Run(ctx, comms.FanOutArgs{PageID: pid, IncidentID: inc.ID, UpdateID: v.Updates[i].ID}))
		}
	}
	for i := len(w.maint.Updates) - 1; i >= 0; i-- {
		args := comms.MaintenanceFanOutArgs{PageID: pid, MaintenanceID: w.maint.ID, UpdateID: w.maint.Updates[i].ID}
		require.NoError(t, f.RunMaintenance(ctx, args))
		args.Reminder = "in 24 hours"
		require.NoError(t, f.RunMaintenance(ctx, args))
	}
}

// acknowledgeAll answers mail from a stranger and from each customer's
// contact about incidents and about nothing in particular.
func (w *leakWorld) acknowledgeAll(t *testing.T) {
	stranger := "someone@elsewhere.example"
	w.audienceOf[stranger] = audiencePublic
	for _, from := range []string{stranger, w.custA.Contacts[0].Email, w.custB.Contacts[0].Email} {
		w.acknowledge(t, from, "")
		for _, inc := range w.incidents {
			w.acknowledge(t, from, inc.ID)
		}
	}
}

// acknowledge answers a message from addr about incidentID ("" for none)
// as Herald does when it polls the support mailbox. inbound.Router puts
// the message on the incident only when the sender may join it (see
// senderMayJoin), else in triage; comms.Acknowledger then builds the
// answer.
func (w *leakWorld) acknowledge(t *testing.T, from, incidentID string) {
	t.Helper()
	svc, pid := w.b.svc, w.page.ID
	err := svc.InTx(w.b.ctx, func(ctx context.Context, tx *status.Tx) error {
		if incidentID != "" {
			ok, err := w.senderMayJoin(ctx, tx, incidentID, from)
			if err != nil {
				return err
			}
			if !ok {
				incidentID = ""
			}
		}
		ack := &comms.Acknowledger{Outbox: w.box, BaseURL: w.base}
		return ack.Acknowledge(ctx, tx, from, "Question about your service", "q-"+incidentID+"@elsewhere.example", svc.Now(), pid, incidentID)
	})
	require.NoError(t, err)
}

// senderMayJoin is inbound.Router's rule: a message joins an incident that
// affects no customer in particular, or one that affects the sender's.
func (w *leakWorld) senderMayJoin(ctx context.Context, tx *status.Tx, incidentID, addr string) (bool, error) {
	ids, err := tx.IncidentCustomerIDs(ctx, incidentID)
	if err != nil || len(ids) == 0 {
		return err == nil, err
	}
	c, _, err := tx.MatchCustomer(ctx, addr)
	switch {
	case err == nil:
		return slices.Contains(ids, c.ID), nil
	case status.KindOf(err) == status.KindNotFound || status.KindOf(err) == status.KindInvalid:
		return false, nil
	}
	return false, err
}
