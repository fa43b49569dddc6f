package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// What each audience sees, in a real browser: the two post-mortems, the
// review before an incident goes public, and a customer's message checked
// before it counts as the confirmation that the services are back. Every
// question the console asks in answer to a form is in the first screenful.
func TestConsoleAudiencesInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			w := setupFlow(t, startApp(t, d, false))
			sess := newSession(t, browser)
			signIn(t, sess, w.a.URL, w.casey)
			au := &audiences{w: w, sess: sess, browser: browser, db: d}
			t.Run("postmortem", au.postmortems)
			t.Run("widening", au.widening)
			t.Run("confirmation", au.confirmation)
			t.Logf("%s: the audience checks took %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// audiences holds what the three cases share: one Herald, Casey signed in.
type audiences struct {
	w       flowWorld
	sess    context.Context // Casey's
	browser context.Context
	db      string
}

// tab opens url in a new tab of Casey's session, in the console's
// viewport.
func (au *audiences) tab(t *testing.T, url string) *tab {
	t.Helper()
	tb := newTab(t, au.sess)
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
	tb.open(t, url)
	return tb
}

// visit loads a public url in tb with an address of its own (public pages
// may be cached 15 s) and returns the HTTP status.
func visit(t *testing.T, tb *tab, url string) int64 {
	t.Helper()
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	resp, err := chromedp.RunResponse(tb.ctx, chromedp.Navigate(fmt.Sprintf("%s%sreload=%d", url, sep, time.Now().UnixNano())))
	require.NoError(t, err, url)
	require.NotNil(t, resp, url)
	return resp.Status
}

// requireFirstScreen fails unless the element is shown and starts within
// the viewport as the page stands (the answer to a form is read without
// scrolling).
func requireFirstScreen(t *testing.T, tb *tab, sel string) {
	t.Helper()
	got := eval[struct {
		Shown   bool
		Top, VH float64
		Hash    string
		ScrollY float64
	}](t, tb, `((el) => {
		const shown = `+jsIsShown+`;
		if (!el) return {Shown: false};
		return {Shown: shown(el), Top: el.getBoundingClientRect().top, VH: window.innerHeight, Hash: location.hash, ScrollY: window.scrollY};
	})(document.querySelector(`+jsq(sel)+`))`)
	require.True(t, got.Shown, "%s is shown", sel)
	require.GreaterOrEqual(t, got.Top, -1.0, "%s starts within the first screenful: %+v", sel, got)
	require.Less(t, got.Top, got.VH, "%s starts within the first screenful: %+v", sel, got)
}

// openDetails opens the <details> that holds sel, as a click on its
// summary would.
func openDetails(t *testing.T, tb *tab, sel string) {
	t.Helper()
	d := `details:has(` + sel + `)`
	if !eval[bool](t, tb, `document.querySelector(`+jsq(d)+`).open`) {
		require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(d+` > summary`))))
	}
	require.True(t, eval[bool](t, tb, `document.querySelector(`+jsq(d)+`).open`), "%s opens", d)
}

// value is a form field's current value.
func value(t *testing.T, tb *tab, sel string) string {
	t.Helper()
	return eval[string](t, tb, `((el) => el ? el.value : '')(document.querySelector(`+jsq(sel)+`))`)
}

// texts is the whitespace-folded text of every element matching sel.
func texts(t *testing.T, tb *tab, sel string) []string {
	t.Helper()
	return eval[[]string](t, tb, `[...document.querySelectorAll(`+jsq(sel)+`)].map(el => el.textContent.replace(/\s+/g, ' ').trim())`)
}

// publicComponent is a JavaScript expression: the named component's status
// on the public status page, empty when the page has no such component.
func publicComponent(name string) string {
	return `(([...document.querySelectorAll('.component')].find(c => c.querySelector('.name').textContent.trim() === ` + jsq(name) +
		`) || {querySelector: () => ({textContent: ''})}).querySelector('.component-head .cs').textContent.trim())`
}

// postmortems: the internal post-mortem starts from the record and stays
// in the console; the public one starts from the public updates, and
// publishing it shows what goes public with what should not, first.
func (au *audiences) postmortems(t *testing.T) {
	w, ctx := au.w, t.Context()
	svc := w.a.svc
	acme := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme Corp", Domains: []string{"acme.example"}})
	globex := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Globex", Domains: []string{"globex.example"}})
	dana := w.user(t, "Dana", status.RoleEngineer)
	const (
		title   = "Payments fail at checkout"
		caller  = "Wile Coyote"
		phone   = "+49 30 1234 5678"
		summary = "Payments of Acme Corp and Globex fail since the 10:00 deploy."
		check   = "curl -sf https://pay-gw-01.internal.example/health"
		note    = "Restarted pay-gw-01.internal.example; the payment queue drains again."
		first   = "We are investigating failed payments."
		last    = "Payments work again."
	)
	inc, err := svc.Incidents.Declare(ctx, w.page.ID, status.IncidentInput{Title: title, Severity: status.SeverityMinor,
		Visibility: status.VisibilityPublic, Body: first, Author: "Casey",
		Components: []status.ComponentStatusInput{{ComponentID: w.login.ID, Status: status.PartialOutage}},
		Summary:    summary, Source: status.SourcePhone, SourceReference: phone, Caller: caller, Contact: "the Shop support desk", Reproduce: check,
		Customers: []string{acme.ID, globex.ID}})
	require.NoError(t, err)
	require.NoError(t, svc.Incidents.AssignRole(ctx, w.page.ID, inc.ID, status.RoleCommander, w.casey.ID, "Casey"))
	require.NoError(t, svc.Incidents.AssignRole(ctx, w.page.ID, inc.ID, status.RoleLead, dana.ID, "Casey"))
	_, err = svc.Incidents.AddNote(ctx, w.page.ID, inc.ID, note, "Dana", nil)
	require.NoError(t, err)
	_, err = svc.Incidents.Close(ctx, w.page.ID, inc.ID, status.CloseInput{ConfirmedBy: "Dana", ConfirmationSource: "internal",
		ConfirmationMethod: "monitoring", Message: last, Resolution: status.ResolutionPermanent,
		Cause: "A bad deploy of the payment gateway.", Solution: "Rolled the deploy back.", Author: "Casey"})
	require.NoError(t, err)
	console, public := w.pageAdmin+"/incidents/"+inc.ID, w.pubBase+"/incidents/"+inc.ID
	// What only the team may read: none of it goes into the public draft,
	// the public page or, unasked, the published post-mortem.
	markers := []string{caller, "1234 5678", "curl", "pay-gw-01", "Acme Corp", "Globex", "Dana", "payment queue drains",
		"bad deploy", "Rolled the deploy back"}

	if !t.Run("drafts", func(t *testing.T) {
		tb := au.tab(t, console)
		openDetails(t, tb, "#postmortem")
		internal := value(t, tb, "#postmortem-internal")
		require.True(t, strings.HasPrefix(internal, "# "+title+"\n"), "the internal post-mortem starts from the record:\n%s", internal)
		for _, want := range []string{caller, phone, summary, check, note, "Technical lead: Dana", "Incident commander: Casey",
			first, last, "## Root cause\n\nA bad deploy of the payment gateway."} {
			require.Contains(t, internal, want, "the internal post-mortem has the record and the timeline")
		}
		pub := value(t, tb, "#postmortem-text")
		require.True(t, strings.HasPrefix(pub, "## Summary\n"), "the public post-mortem starts from empty sections:\n%s", pub)
		require.Contains(t, pub, "## What we said")
		require.Contains(t, pub, first, "the public updates are in the public draft")
		require.Contains(t, pub, last)
		for _, m := range markers {
			require.NotContains(t, pub, m, "the public draft has nothing of the record")
		}
		require.Equal(t, "Starts from the public updates only, with empty sections to write. Publishing shows exactly what goes public first.",
			textOf(t, tb, ".pm-state"))

		require.Equal(t, int64(http.StatusOK), submit(t, tb, `form:has(#postmortem-internal) button[name=action][value=draft]`))
		requireFirstScreen(t, tb, "#pm-internal")
		require.Contains(t, timeline(t, tb), "Casey: Internal post-mortem saved.")
		require.True(t, strings.HasPrefix(value(t, tb, "#postmortem-internal"), "# "+title+"\n"), "the saved internal post-mortem is in its form")
		tb.requireQuiet(t, "the post-mortem drafts")

		awaitSnapshot(t, w)
		pt := newTab(t, au.sess)
		require.Equal(t, int64(http.StatusOK), visit(t, pt, public))
		require.Equal(t, title, text(t, pt, "h1"))
		require.Zero(t, count(t, pt, "section.postmortem"), "the internal post-mortem is never on the public page")
		main := textOf(t, pt, "main")
		for _, m := range markers {
			require.NotContains(t, main, m, "the public incident page has nothing of the record")
		}
		require.Contains(t, main, "the Shop support desk", "whom to contact goes with every update")
		pt.requireQuiet(t, "the public incident page")
	}) {
		return
	}

	const added = "\n## Impact\n\n" + caller + " called us at " + phone + ": Acme Corp could not take payments after a restart of pay-gw-01.internal.example.\n"
	if !t.Run("review", func(t *testing.T) {
		tb := au.tab(t, console)
		openDetails(t, tb, "#postmortem")
		setField(t, tb, "#postmortem-text", value(t, tb, "#postmortem-text")+added)
		publish := `form:has(#postmortem-text) button[name=action][value=publish]`
		require.Equal(t, "Review and publish…", textOf(t, tb, publish))
		require.Equal(t, int64(http.StatusOK), submit(t, tb, publish))
		requireFirstScreen(t, tb, "#publish-review")
		requireFirstScreen(t, tb, "#publish-review .warning")
		require.Equal(t, "Review: publish this post-mortem on the public incident page?", textOf(t, tb, "#publish-h"))
		flags := texts(t, tb, "#publish-review .warning li")
		for _, want := range []string{"phone number: " + phone, "customer: Acme Corp", "person from the record: " + caller,
			"host name from the record: pay-gw-01.internal.example"} {
			require.Contains(t, flags, want, "the review flags what should not be public")
		}
		preview := textOf(t, tb, "#publish-review .preview")
		require.Contains(t, preview, "Acme Corp could not take payments", "exactly what goes public")
		require.Contains(t, preview, first)
		require.NotContains(t, preview, "##", "the preview is rendered")
		require.Equal(t, "Publish anyway", textOf(t, tb, `#publish-review button[name=action][value=publish]`))
		screenshot(t, tb, "console-postmortem-review-"+au.db+".png")
		tb.requireQuiet(t, "the post-mortem review")

		awaitSnapshot(t, w)
		pt := newTab(t, au.sess)
		require.Equal(t, int64(http.StatusOK), visit(t, pt, public))
		require.Zero(t, count(t, pt, "section.postmortem"), "nothing is published before the answer")
		require.NotContains(t, textOf(t, pt, "main"), caller)

		require.Equal(t, int64(http.StatusOK), submit(t, tb, `#publish-review button[name=action][value=publish]`))
		require.Zero(t, count(t, tb, "#publish-review"))
		requireFirstScreen(t, tb, ".pm-state")
		require.Contains(t, textOf(t, tb, ".pm-state"), "Published on the public incident page")
		require.Contains(t, timeline(t, tb), "Casey: Public post-mortem published.")
		tb.requireQuiet(t, "publishing the post-mortem")

		awaitPage(t, pt, public, `((s) => !!s && s.textContent.includes('Acme Corp could not take payments'))(document.querySelector('section.postmortem'))`,
			"the published post-mortem")
		pm := textOf(t, pt, "section.postmortem")
		require.Contains(t, pm, first)
		for _, m := range []string{"curl", "payment queue drains", "Technical lead", "bad deploy"} {
			require.NotContains(t, pm, m, "the internal post-mortem stays internal")
		}
		pt.requireQuiet(t, "the public post-mortem")
	}) {
		return
	}

	t.Run("audit", func(t *testing.T) {
		ada := w.user(t, "Ada", status.RoleAdmin)
		at := signIn(t, newSession(t, au.browser), w.a.URL, ada)
		at.open(t, w.a.URL+"/console/audit?subject_type=incident&subject_id="+inc.ID)
		require.Equal(t, "Audit log", text(t, at, "h1"))
		heads := texts(t, at, "ol.updates li.update .update-head")
		var published, saved bool
		for _, h := range heads {
			if strings.HasPrefix(h, "postmortem_publish incident "+inc.ID) {
				published = true
				require.Contains(t, h, "Casey", "the audit log names who published")
			}
			saved = saved || strings.HasPrefix(h, "postmortem_draft incident "+inc.ID)
		}
		require.True(t, published, "the audit log lists the publishing: %q", heads)
		require.True(t, saved, "and the saved internal post-mortem: %q", heads)
		at.requireQuiet(t, "the audit log")
	})
}

// widening: a customers-only incident goes public only after the review,
// with the public title and the one earlier update chosen.
func (au *audiences) widening(t *testing.T) {
	w, ctx := au.w, t.Context()
	svc := w.a.svc
	initech := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Initech", Domains: []string{"initech-shop.example"}})
	const (
		title       = "Checkout fails on initech-shop.example"
		publicTitle = "Checkout fails for some shops"
		first       = "First update: checkouts on the shop fail; we are investigating."
		second      = "Second update: a fix for the payment form is being deployed."
	)
	inc := statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: title, Visibility: status.VisibilityCustomers,
		Customers: []string{initech.ID}, Body: first, Author: "Casey",
		Components: []status.ComponentStatusInput{{ComponentID: w.checkout.ID, Status: status.MajorOutage}}})
	up, err := svc.Incidents.PostUpdate(ctx, w.page.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, State: status.StateMitigating,
		Body: second, Author: "Casey"})
	require.NoError(t, err)
	console, public := w.pageAdmin+"/incidents/"+inc.ID, w.pubBase+"/incidents/"+inc.ID
	// Each step gets its own tabs, so that none outlives its 45 seconds.
	notPublic := func(t *testing.T, when string) {
		t.Helper()
		pt := newTab(t, au.sess)
		awaitSnapshot(t, w)
		require.Equal(t, int64(http.StatusNotFound), visit(t, pt, public), "a customers-only incident has no public page %s", when)
		require.Equal(t, int64(http.StatusOK), visit(t, pt, w.pubBase+"/"))
		require.NotContains(t, textOf(t, pt, "main"), "Checkout fails", "the status page does not show it %s", when)
		require.Equal(t, "Operational", eval[string](t, pt, publicComponent(w.checkout.Name)), "its component is not public %s", when)
		pt.requireQuiet(t, "the public page")
	}
	notPublic(t, "before the review")

	ok := t.Run("review", func(t *testing.T) {
		tb := au.tab(t, console)
		openDetails(t, tb, "#edit-h")
		setField(t, tb, "#edit-visibility", string(status.VisibilityPublic))
		require.Equal(t, int64(http.StatusOK), submit(t, tb, `details:has(#edit-h) form button[type=submit]`))
		requireFirstScreen(t, tb, "#review")
		requireFirstScreen(t, tb, "#review-public-title")
		review := textOf(t, tb, "#review")
		require.Contains(t, review, "Today: Affected customers. After saving: Public")
		require.Contains(t, review, "Nothing is saved until you confirm below.")
		warnings := texts(t, tb, "#review .warning")
		require.Contains(t, warnings, "The title names a customer domain: initech-shop.example. Set a public title without it.")
		require.Equal(t, "", value(t, tb, "#review-public-title"))
		require.Contains(t, texts(t, tb, "#review ul.changes li"), "Checkout API: Operational → Major outage")
		ups := texts(t, tb, "#review .review-updates > li")
		require.Len(t, ups, 2, "both earlier updates are reviewed")
		for _, u := range ups {
			require.Contains(t, u, "Affected customers", "each update shows its audience")
			require.Contains(t, u, "stays affected customers only")
		}
		require.Contains(t, ups[0], second, "newest first")
		require.Contains(t, ups[1], first)
		require.Equal(t, 2, count(t, tb, `#review input[name=publish_update]:not(:checked)`), "no update is made public unless ticked")
		require.Equal(t, "Make it public", textOf(t, tb, `#review button[type=submit]`))
		tb.requireQuiet(t, "the widening review")
		notPublic(t, "while it is reviewed")

		setField(t, tb, "#review-public-title", publicTitle)
		require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#pub-"+up.ID))))
		require.Equal(t, 1, count(t, tb, `#review input[name=publish_update]:checked`))
		require.True(t, eval[bool](t, tb, `document.querySelector('#pub-`+up.ID+`').checked`), "the second update is ticked")
		screenshot(t, tb, "console-widening-review-"+au.db+".png")
		require.Equal(t, int64(http.StatusOK), submit(t, tb, `#review button[type=submit]`))
		require.Zero(t, count(t, tb, "#review"))
		require.Equal(t, console+"?done=edit", eval[string](t, tb, `location.href`))
		require.Equal(t, "Saved: the incident's title, severity, visibility and record.", textOf(t, tb, ".flash"))
		require.Contains(t, textOf(t, tb, ".incident-head .meta"), "public")
		require.Equal(t, publicTitle, value(t, tb, "#edit-public-title"))
		tb.requireQuiet(t, "making it public")
	})
	if !ok {
		return
	}

	pt := newTab(t, au.sess)
	awaitPage(t, pt, public, `document.querySelector('h1')?.textContent.trim() === `+jsq(publicTitle), "the public title")
	require.NotEmpty(t, updateHead(t, pt, second), "the ticked update is public")
	require.Empty(t, updateHead(t, pt, first), "the update not ticked stays with the customers")
	require.NotContains(t, textOf(t, pt, "main"), "initech-shop.example")
	require.Contains(t, textOf(t, pt, ".incident-detail"), "Checkout API")
	awaitPage(t, pt, w.pubBase+"/", publicComponent(w.checkout.Name)+` === 'Major outage'`, "the component's public status")
	require.Contains(t, textOf(t, pt, "main"), publicTitle)
	require.NotContains(t, textOf(t, pt, "main"), title)
	pt.requireQuiet(t, "the public page")
}

// confirmation: a customer's message is checked before it confirms that
// the services are back; a complaint is cancelled, a call recorded.
func (au *audiences) confirmation(t *testing.T) {
	w, ctx := au.w, t.Context()
	svc := w.a.svc
	statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Umbrella", Domains: []string{"umbrella.example"},
		Contacts: []status.ContactInput{{Name: "Ann Smith", Email: "ann@umbrella.example", Role: status.ContactPrimary}}})
	inc := statustest.Incident(t, svc, w.page.ID, &statustest.IncidentOpts{Title: "Logins fail", Author: "Casey",
		Body: "We are investigating failing logins."})
	console := w.pageAdmin + "/incidents/" + inc.ID
	const (
		complaint = "It is still not fixed: none of our users can log in."
		call      = "Bob says logins work again for all their users since 11:00."
	)
	// The email came in by the mailbox; Casey attaches it and records
	// the call in the console.
	mail, _, err := svc.Intake.Create(ctx, status.IntakeInput{Source: status.IntakeEmail, Title: "Re: Logins fail",
		Body: complaint, SenderName: "Ann Smith", SenderEmail: "ann@umbrella.example"})
	require.NoError(t, err)
	var callID string
	if !t.Run("record", func(t *testing.T) {
		tb := au.tab(t, w.a.URL+"/console/inbox/phone")
		setField(t, tb, "#sender_name", "Bob Jones")
		setField(t, tb, "#sender_phone", "+1 555 0100 200")
		setField(t, tb, "#title", "Logins work again")
		setField(t, tb, "#body", call)
		require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/inbox/phone"] p > button[type=submit]:not([name])`))
		callID = strings.TrimPrefix(eval[string](t, tb, `location.pathname`), "/console/inbox/")
		require.True(t, status.ValidID(callID), "recording the call leads to its item, not %s", callID)
		for _, id := range []string{mail.ID, callID} {
			tb.open(t, w.a.URL+"/console/inbox/"+id)
			setField(t, tb, "#incident", w.page.ID+"/"+inc.ID)
			require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action$="/attach"] button[type=submit]`))
			require.Equal(t, "/console/pages/"+w.page.ID+"/incidents/"+inc.ID, eval[string](t, tb, `location.pathname`))
		}
		tb.requireQuiet(t, "recording and attaching")
	}) {
		return
	}

	entry := func(ref string) string { return `ol.timeline li:has(a[href="/console/refs/` + ref + `"])` }
	use := func(ref string) string { return entry(ref) + ` form[action$="/confirm"] button` }
	nothingRecorded := func(tb *tab, when string) {
		t.Helper()
		require.NotContains(t, timeline(t, tb), "Services confirmed back", "nothing is recorded %s", when)
		got, err := svc.Incidents.ByID(ctx, w.page.ID, inc.ID)
		require.NoError(t, err)
		require.Empty(t, got.ConfirmedBy, "nothing is recorded %s", when)
	}

	if !t.Run("complaint", func(t *testing.T) {
		tb := au.tab(t, console)
		require.Equal(t, "Original email", textOf(t, tb, entry(mail.ID)+" a"))
		require.Equal(t, "Call record", textOf(t, tb, entry(callID)+" a"), "a call is labelled as a call")
		require.Contains(t, textOf(t, tb, entry(mail.ID)), "Casey: Email from Ann Smith: Re: Logins fail")
		require.Contains(t, textOf(t, tb, entry(callID)), "Phone call from Bob Jones: Logins work again")
		require.Equal(t, "use as confirmation that the services are back…", textOf(t, tb, use(mail.ID)))

		require.Equal(t, int64(http.StatusOK), submit(t, tb, use(mail.ID)))
		requireFirstScreen(t, tb, "#confirm-review")
		requireFirstScreen(t, tb, "#confirm-by")
		require.Equal(t, "Record that the services are back?", textOf(t, tb, "#confirm-h"))
		require.Equal(t, "Ann Smith", value(t, tb, "#confirm-by"), "the sender, not the signed-in user who attached it")
		require.Equal(t, "email", value(t, tb, "#confirm-method"))
		require.Contains(t, textOf(t, tb, "#confirm-review blockquote"), complaint, "the message is quoted")
		require.Equal(t, "Record confirmation", textOf(t, tb, `#confirm-review button[type=submit]`))
		screenshot(t, tb, "console-confirm-review-"+au.db+".png")
		nothingRecorded(tb, "before the answer")

		require.Equal(t, int64(http.StatusOK), submit(t, tb, `#confirm-review a`), "cancel")
		require.Equal(t, console, eval[string](t, tb, `location.href`))
		require.Zero(t, count(t, tb, "#confirm-review"))
		nothingRecorded(tb, "after cancelling")
		require.Empty(t, value(t, tb, "#confirmed_by"), "the close form starts empty")
		tb.requireQuiet(t, "cancelling a confirmation")
	}) {
		return
	}

	t.Run("call", func(t *testing.T) {
		tb := au.tab(t, console)
		require.Equal(t, int64(http.StatusOK), submit(t, tb, use(callID)))
		requireFirstScreen(t, tb, "#confirm-review")
		requireFirstScreen(t, tb, "#confirm-by")
		require.Equal(t, "Bob Jones", value(t, tb, "#confirm-by"))
		require.Equal(t, "phone", value(t, tb, "#confirm-method"))
		require.Contains(t, textOf(t, tb, "#confirm-review blockquote"), call)
		nothingRecorded(tb, "before the answer")

		require.Equal(t, int64(http.StatusOK), submit(t, tb, `#confirm-review button[type=submit]`))
		require.Equal(t, console+"#close-h", eval[string](t, tb, `location.href`))
		require.Zero(t, count(t, tb, "#confirm-review"))
		requireFirstScreen(t, tb, "#close-h")
		require.Contains(t, timeline(t, tb), "Casey: Services confirmed back by Bob Jones (customer contact, by phone)")
		got, err := svc.Incidents.ByID(ctx, w.page.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "Bob Jones", got.ConfirmedBy)
		require.Equal(t, "phone", got.ConfirmationMethod)

		openDetails(t, tb, "#close-h")
		require.Equal(t, "Bob Jones", value(t, tb, "#confirmed_by"), "the close form starts from the confirmation")
		require.Equal(t, "phone", value(t, tb, "#confirmation_method"))
		require.True(t, eval[bool](t, tb, `document.querySelector('#conf-customer').checked`))
		tb.requireQuiet(t, "recording a confirmation")
	})
}
