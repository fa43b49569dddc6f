package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

// The console holds the team to the incident process (DESIGN.md §1): a
// manager keeps the page's office hours, declares a security incident out
// of hours, records an Account Management decision, closes a business
// continuity incident and agrees the next contact with the customers, all
// through the console pages in a browser.
func TestConsoleProcessRulesInBrowser(t *testing.T) {
	t.Parallel()
	browser := newBrowser(t)
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			w := setupFlow(t, startApp(t, d, false))
			p := &processWalk{w: w, browser: browser, sess: newSession(t, browser)}
			// Each step is a subtest, so that its tabs close when it ends;
			// a failed step stops the walk.
			for _, step := range []struct {
				name string
				run  func(*testing.T)
			}{
				{"page settings", p.pageSettings},
				{"security out of hours", p.securityOutOfHours},
				{"account management", p.accountManagement},
				{"business continuity", p.businessContinuity},
				{"contact agreed", p.contactAgreed},
			} {
				if !t.Run(step.name, step.run) {
					return
				}
			}
			t.Logf("%s: the process walk took %s", d, time.Since(start).Round(time.Millisecond))
		})
	}
}

// The page's process settings in the walk.
const (
	walkOncallGuide = "https://wiki.example.com/oncall"
	walkVideoRoom   = "https://meet.example.com/ops"
	walkVulnProcess = "https://wiki.example.com/vulnerabilities"
)

// processWalk is the state the steps of the walk share.
type processWalk struct {
	w        flowWorld
	browser  context.Context
	sess     context.Context // Casey's
	security string          // the security incident's console URL
	secTitle string
}

// tabAt opens url in a new tab of sess, 1280×900: each step gets its own
// tabs, so that no tab outlives its 45-second budget.
func (p *processWalk) tabAt(t *testing.T, sess context.Context, url string) *tab {
	t.Helper()
	tb := newTab(t, sess)
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.EmulateViewport(1280, 900)))
	tb.open(t, url)
	return tb
}

// declare fills the declare form with a title, a severity and a security
// mark ("" for none), leaves the visibility at its default and submits it;
// it returns the incident's console URL.
func (p *processWalk) declare(t *testing.T, sess context.Context, title, sev, security string) (*tab, string) {
	t.Helper()
	tb := p.tabAt(t, sess, p.w.a.URL+"/console/incidents/new")
	require.Equal(t, "Declare an incident", text(t, tb, "h1"))
	require.Equal(t, p.w.page.ID, value(t, tb, "#page"), "the declare form offers the walk's page")
	require.True(t, eval[bool](t, tb, `document.querySelector('#vis-public').checked`), "public is the default visibility")
	sec := "#sec-none"
	if security != "" {
		sec = "#sec-" + security
	}
	require.NoError(t, chromedp.Do(tb.ctx,
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.Click(chromedp.CSS("#sev-"+sev)),
		chromedp.Click(chromedp.CSS(sec)),
		chromedp.SendKeys(chromedp.CSS("#body"), "We are investigating."),
	))
	require.False(t, eval[bool](t, tb, `document.querySelector('#security_public').checked`),
		"the officer's agreement is not ticked")
	setField(t, tb, "#c-"+p.w.login.ID, string(status.MajorOutage))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/incidents"] button[type=submit]`), "declaring %q", title)
	path := eval[string](t, tb, `location.pathname`)
	require.Regexp(t, `^/console/pages/`+regexp.QuoteMeta(p.w.page.ID)+`/incidents/[^/]+$`, path,
		"declaring %q leads to the incident page; the page says:\n%s", title, textOf(t, tb, "main"))
	require.Equal(t, title, text(t, tb, "h1"))
	return tb, p.w.a.URL + path
}

// flash is the success message at the top of the page, in the first
// screenful.
func flash(t *testing.T, tb *tab) string {
	t.Helper()
	requireFirstScreen(t, tb, ".flash")
	return textOf(t, tb, ".flash")
}

// flags is the text of each "Needs attention" flag.
func flags(t *testing.T, tb *tab) []string {
	t.Helper()
	return texts(t, tb, `section[aria-labelledby="flags-h"] li.flag`)
}

// flagStarting is the "Needs attention" flag that starts with prefix, or
// empty.
func flagStarting(t *testing.T, tb *tab, prefix string) string {
	t.Helper()
	for _, f := range flags(t, tb) {
		if strings.HasPrefix(f, prefix) {
			return f
		}
	}
	return ""
}

// pageSettings keeps office hours on every day that start two hours from
// now in the page's time zone, so that now is outside them, with the
// on-call guide, the standing video room and the vulnerability process.
func (p *processWalk) pageSettings(t *testing.T) {
	w := p.w
	signIn(t, p.sess, w.a.URL, w.casey)
	tb := p.tabAt(t, p.sess, w.pageAdmin)
	require.Contains(t, textOf(t, tb, "#settings fieldset legend"), "How the team works")
	now := time.Now().In(w.loc)
	opens, closes := now.Add(2*time.Hour).Format("15:04"), now.Add(3*time.Hour).Format("15:04")
	fields := [][2]string{
		{"#office_days", "mon,tue,wed,thu,fri,sat,sun"},
		{"#office_opens", opens},
		{"#office_closes", closes},
		{"#oncall_guide_url", walkOncallGuide},
		{"#video_room_url", walkVideoRoom},
		{"#vulnerability_url", walkVulnProcess},
	}
	for _, f := range fields {
		setField(t, tb, f[0], f[1])
	}
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action="/console/pages/`+w.page.ID+`"] button[type=submit]`))
	require.Equal(t, "/console/pages/"+w.page.ID, eval[string](t, tb, `location.pathname`), "saving leads back to the page")
	require.Zero(t, count(t, tb, "main .error"), "the settings are saved without complaint; the page says:\n%s", textOf(t, tb, "main"))
	for _, f := range fields {
		require.Equal(t, f[1], value(t, tb, f[0]), "%s is saved", f[0])
	}
	pg, err := w.a.svc.Pages.ByID(context.Background(), w.page.ID)
	require.NoError(t, err)
	require.False(t, pg.Office.Open(time.Now(), w.loc), "now (%s) is outside the office hours %s", time.Now().In(w.loc).Format("Mon 15:04"), pg.Office)
	tb.requireQuiet(t, "the page settings")
}

// securityOutOfHours declares a major information-security incident with
// the default visibility: it is declared internal, out of hours, and asks
// for the report to the information-security officer, which is recorded.
func (p *processWalk) securityOutOfHours(t *testing.T) {
	p.secTitle = "Customer data may have leaked"
	tb, url := p.declare(t, p.sess, p.secTitle, string(status.SeverityMajor), string(status.SecurityIncident))
	p.security = url
	require.True(t, strings.HasPrefix(flash(t, tb), "Declared internal: "), "the flash says it was declared internal, not %q", textOf(t, tb, ".flash"))
	meta := textOf(t, tb, ".incident-head .meta")
	require.Contains(t, meta, "internal", "a security matter without the officer's agreement is internal")
	require.Contains(t, meta, "Information-security incident")
	require.Contains(t, textOf(t, tb, ".incident-head .warning"), "Declared outside office hours: the on-call guide applies.")
	require.Equal(t, 1, count(t, tb, `.incident-head .warning a[href="`+walkOncallGuide+`"]`), "the header links the on-call guide")
	require.Equal(t, 1, count(t, tb, `.incident-head .meta a[href="`+walkVideoRoom+`"]`), "the header links the standing video room")
	report := "Information-security incident: report it"
	f := flagStarting(t, tb, report)
	require.NotEmpty(t, f, "Needs attention lists %q; it lists %q", report, flags(t, tb))
	require.NotContains(t, f, "(done)")

	require.Equal(t, int64(http.StatusOK), submit(t, tb, `button[name=record][value=security_reported]`))
	require.Equal(t, "Recorded: reported to the information-security officer.", flash(t, tb))
	f = flagStarting(t, tb, report)
	require.Contains(t, f, "(done)", "the report is marked done")
	require.Equal(t, 1, count(t, tb, `section[aria-labelledby="flags-h"] li.flag.done`), "only the report is done")
	require.Zero(t, count(t, tb, `button[name=record][value=security_reported]`), "a done report is not asked for again")
	require.Contains(t, timeline(t, tb), "Reported to the information-security officer.")
	tb.requireQuiet(t, "the security incident")
}

// decidedBy is the field that names who in Account Management decided on
// the post-mortem.
const decidedBy = "#decided-by-postmortem_decision"

// recordDecision records the post-mortem decision ("yes" or "no") on the
// incident in tb as Casey, who is not Account Management, naming the
// decider.
func recordDecision(t *testing.T, tb *tab, decision, by string) {
	t.Helper()
	setField(t, tb, decidedBy, by)
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `button[name=record][value=postmortem_`+decision+`]`))
	require.Equal(t, "Recorded: the post-mortem decision ("+decision+").", flash(t, tb))
}

// accountManagement records the post-mortem decision as Casey, who must
// name the person in Account Management, then makes Finn Account
// Management, who records one on another incident without naming anyone.
func (p *processWalk) accountManagement(t *testing.T) {
	w := p.w
	tb := p.tabAt(t, p.sess, p.security)
	require.Equal(t, "Who in Account Management decided", textOf(t, tb, `label[for="decided-by-postmortem_decision"]`),
		"the decision form asks who decided")
	require.True(t, eval[bool](t, tb, `document.querySelector(`+jsq(decidedBy)+`).validity.valueMissing`),
		"the browser asks for the name before sending")

	// Only blanks: the browser sends it, Herald refuses.
	setField(t, tb, decidedBy, "   ")
	require.Equal(t, int64(http.StatusUnprocessableEntity), submit(t, tb, `button[name=record][value=postmortem_yes]`))
	refusal := `section[aria-labelledby="flags-h"] .error`
	require.Contains(t, textOf(t, tb, refusal), "Not recorded: name the person in Account Management who decided")
	requireFirstScreen(t, tb, refusal)
	require.Equal(t, p.secTitle, text(t, tb, "h1"), "the refusal keeps the incident page")
	require.Equal(t, 1, count(t, tb, `button[name=record][value=postmortem_yes]`), "the decision is still asked for")
	require.NotContains(t, timeline(t, tb), "Post-mortem decision")

	recordDecision(t, tb, "yes", "Ada Lovelace")
	require.Contains(t, timeline(t, tb),
		"Post-mortem decision by Ada Lovelace (Account Management), recorded by Casey: a post-mortem will be written.")
	require.Zero(t, count(t, tb, decidedBy), "a recorded decision is not asked for again")
	tb.requireQuiet(t, "the post-mortem decision")

	// An admin marks Finn as Account Management.
	root, finn := w.user(t, "Root", status.RoleAdmin), w.user(t, "Finn", status.RoleManager)
	adminSess := newSession(t, p.browser)
	signIn(t, adminSess, w.a.URL, root)
	ad := p.tabAt(t, adminSess, w.a.URL+"/console/users/"+finn.ID)
	require.Equal(t, "Finn", text(t, ad, "h1"))
	require.False(t, eval[bool](t, ad, `document.querySelector('#account_management').checked`), "Finn starts without Account Management")
	require.NoError(t, chromedp.Do(ad.ctx, chromedp.Click(chromedp.CSS("#account_management"))))
	require.Equal(t, int64(http.StatusOK), submit(t, ad, `form[action="/console/users/`+finn.ID+`"] button[type=submit]`))
	require.Equal(t, "Saved.", flash(t, ad))
	require.True(t, eval[bool](t, ad, `document.querySelector('#account_management').checked`), "Finn is Account Management now")
	ad.requireQuiet(t, "the user page")

	// Finn decides on another incident without naming anyone.
	finnSess := newSession(t, p.browser)
	signIn(t, finnSess, w.a.URL, finn)
	ft, _ := p.declare(t, finnSess, "Checkout answers slowly", string(status.SeverityMajor), "")
	require.NotEmpty(t, flagStarting(t, ft, "Major incident: Account Management decides"),
		"a major incident asks for the post-mortem decision; Needs attention lists %q", flags(t, ft))
	require.Equal(t, 1, count(t, ft, `button[name=record][value=postmortem_no]`))
	require.Zero(t, count(t, ft, `input[name=decided_by]`), "Account Management is not asked who decided")
	require.NotContains(t, textOf(t, ft, "main"), "Who in Account Management decided")
	require.Equal(t, int64(http.StatusOK), submit(t, ft, `button[name=record][value=postmortem_no]`))
	require.Equal(t, "Recorded: the post-mortem decision (no).", flash(t, ft))
	tl := timeline(t, ft)
	require.Contains(t, tl, "Post-mortem decision by Finn (Account Management)")
	require.Contains(t, tl, ": no post-mortem.")
	require.NotContains(t, tl, "recorded by", "Finn decided and recorded it")
	ft.requireQuiet(t, "Finn's decision")
}

// businessContinuity closes a business continuity incident: not without
// the plan or the reason it was not needed, keeping what was typed; with
// the reason it resolves.
func (p *processWalk) businessContinuity(t *testing.T) {
	title := "The Frankfurt site is down"
	tb, _ := p.declare(t, p.sess, title, string(status.SeverityBusinessContinuity), "")
	require.Equal(t, "Business continuity: trigger the continuity plan", textOf(t, tb, "section.continuity h2"))
	requireFirstScreen(t, tb, "section.continuity")
	// "no": a "yes" would want the post-mortem written before resolving.
	recordDecision(t, tb, "no", "Ada Lovelace")

	closeButton := `form[action$="/close"] button[type=submit]`
	typed := [][2]string{
		{"#confirmed_by", "Casey, checking the site's dashboards"},
		{"#confirmation_method", "monitoring"},
		{"#message", "Every service runs again. We are sorry for the trouble."},
		{"#cause", "A power failure at the Frankfurt site."},
		{"#solution", "Moved the services to the second site."},
	}
	openDetails(t, tb, "#close-h")
	require.Equal(t, "", value(t, tb, "#continuity_not_needed"))
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#conf-internal"))))
	for _, f := range typed {
		setField(t, tb, f[0], f[1])
	}
	require.Equal(t, int64(http.StatusConflict), submit(t, tb, closeButton), "resolving needs the plan or the reason")
	refusal := "details:has(#close-h) .error"
	require.Contains(t, textOf(t, tb, refusal),
		"Record that the business continuity plan was triggered, or why it was not needed, before resolving.",
		"the close form says why it refused; the page says:\n%s", textOf(t, tb, "main"))
	require.True(t, eval[bool](t, tb, `(`+jsIsShown+`)(document.querySelector(`+jsq(refusal)+`))`), "the refusal is shown")
	require.NotEmpty(t, fieldError(t, tb, "#continuity_not_needed"), "the reason field says what it wants")
	require.True(t, eval[bool](t, tb, `document.querySelector('details:has(#close-h)').open`), "the close form stays open")
	for _, f := range typed {
		require.Equal(t, f[1], value(t, tb, f[0]), "what was typed in %s is kept", f[0])
	}
	require.True(t, eval[bool](t, tb, `document.querySelector('#conf-internal').checked`), "the confirmation choice is kept")
	require.Contains(t, textOf(t, tb, ".incident-head .meta"), "Investigating", "nothing was resolved")

	reason := "the second site took over within minutes."
	setField(t, tb, "#continuity_not_needed", reason)
	require.Equal(t, int64(http.StatusOK), submit(t, tb, closeButton))
	require.Contains(t, textOf(t, tb, ".incident-head .meta"), "Resolved")
	require.Zero(t, count(t, tb, "section.continuity"), "a resolved incident has no business continuity box")
	require.Contains(t, timeline(t, tb), "Business continuity plan not needed: "+reason)
	tb.requireQuiet(t, "closing the business continuity incident")
}

// contactAgreed agrees ticket and phone and the next contact in 10
// minutes on the security incident, and finds the time on the dashboard.
func (p *processWalk) contactAgreed(t *testing.T) {
	w := p.w
	tb := p.tabAt(t, p.sess, p.security)
	require.Equal(t, "Security, contact with the customers, video room", textOf(t, tb, "#contact-h"))
	for _, ch := range []string{"#ch-ticket", "#ch-phone"} {
		require.False(t, eval[bool](t, tb, `document.querySelector(`+jsq(ch)+`).checked`), "%s starts unticked", ch)
		require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS(ch))), ch)
	}
	next := time.Now().Add(10 * time.Minute).In(w.loc).Truncate(time.Minute)
	setField(t, tb, "#next_contact_at", next.Format(localLayout))
	require.Equal(t, int64(http.StatusOK), submit(t, tb, `form[action$="/process"] button[type=submit]`))
	require.True(t, strings.HasPrefix(flash(t, tb), "Saved: "), "the flash says it was saved, not %q", textOf(t, tb, ".flash"))
	clock := next.Format("15:04 MST")
	// The channels in either order: they are listed as the form lists them.
	channels := `((?i)ticket, phone|phone, ticket)`
	require.Regexp(t, `next contact with the customers `+clock+` \(`+channels+`\)`, textOf(t, tb, ".incident-head .meta"))
	require.Regexp(t, `Contact with the customers agreed: `+channels+`; next contact `+next.Format("2 Jan 15:04 MST")+`\.`, timeline(t, tb))
	require.Contains(t, textOf(t, tb, ".incident-head .meta"), "Information-security incident", "the security mark is kept")
	require.Equal(t, next.Format(localLayout), value(t, tb, "#next_contact_at"))
	tb.requireQuiet(t, "agreeing the contact")

	dash := p.tabAt(t, p.sess, w.a.URL+"/console/")
	cell := eval[string](t, dash, `((title) => {
		const table = document.querySelector('section[aria-labelledby="open-h"] table');
		if (!table) return 'no table of open incidents';
		const col = [...table.querySelectorAll('thead th')].findIndex(th => th.textContent.trim() === 'Next contact');
		if (col < 0) return 'no Next contact column';
		const row = [...table.querySelectorAll('tbody tr')].find(tr => tr.textContent.includes(title));
		if (!row) return 'no row for ' + title;
		return row.children[col].textContent.replace(/\s+/g, ' ').trim();
	})(`+jsq(p.secTitle)+`)`)
	require.Contains(t, cell, clock, "the dashboard's Next contact column shows the agreed time")
	require.Regexp(t, channels, cell, "and the agreed channels")
	dash.requireQuiet(t, "the dashboard")
}
