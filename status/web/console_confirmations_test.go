package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

func init() {
	allowConsole(map[string]string{
		"POST /console/pages/:page/incidents/:id/confirmation-requests": "writer",
	})
	apiAccess["POST /api/v1/pages/:page/incidents/:id/confirmation-requests"] = status.RoleEngineer
}

// confirmBundle is a server whose service emails confirmation requests
// through a dev outbox, as in cmd/herald.
type confirmBundle struct {
	*testBundle
	box    *comms.Outbox
	page   *status.Page
	acme   *status.Customer
	loc    string // the console page of inc
	inc    *status.Incident
	br     *browser
	tok    string
	tokens *comms.Tokens
}

func setupConfirm(t *testing.T, bdb *bun.DB) *confirmBundle {
	t.Helper()
	cb := &confirmBundle{tokens: comms.NewTokens([]byte("confirmation test secret, long enough"))}
	var svc *status.Service
	b := setup(t, bdb, func(d *web.Deps) {
		cb.box = comms.NewOutbox(bdb, comms.OutboxOptions{From: "Herald <status@herald.example.org>", Now: d.Service.Now})
		svc = status.New(bdb, status.Options{Now: d.Service.Now,
			Notifier: &comms.Notifier{Outbox: cb.box, BaseURL: d.BaseURL, Tokens: cb.tokens}})
		d.Service, d.Outbox = svc, cb.box
	})
	b.svc = svc
	cb.testBundle = b
	cb.page = statustest.Page(t, svc, &statustest.PageOpts{Name: "Northwind", SupportEmail: "support@herald.example.org"})
	cb.acme = statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"},
		Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary}}})
	cb.inc = statustest.Incident(t, svc, cb.page.ID, &statustest.IncidentOpts{Title: "Checkout errors",
		Visibility: status.VisibilityCustomers, Customers: []string{cb.acme.ID}})
	cb.loc = "/console/pages/" + cb.page.ID + "/incidents/" + cb.inc.ID
	cb.br = customerBrowser(t, b, status.RoleEngineer)
	page := cb.br.send(http.MethodGet, cb.loc, nil)
	require.Equal(t, http.StatusOK, page.Code)
	cb.tok = csrfOf(t, page)
	return cb
}

// request posts the request form.
func (cb *confirmBundle) request(form url.Values) reply {
	return cb.br.postWith(cb.loc+"/confirmation-requests", cb.tok, form)
}

// emails returns the emails queued, oldest first.
func (cb *confirmBundle) emails(t *testing.T) []*comms.Email {
	t.Helper()
	var es []*comms.Email
	require.NoError(t, cb.db.NewSelect().Model(&es).Order("created_at", "id").Scan(cb.ctx))
	return es
}

// requireAtTop checks that msg shows before the page's heading.
func requireAtTop(t *testing.T, body, msg string) {
	t.Helper()
	at, h1 := strings.Index(body, msg), strings.Index(body, "<h1>")
	require.GreaterOrEqual(t, at, 0, "missing %q", msg)
	require.Less(t, at, h1, "%q shows at the top of the page", msg)
}

// The incident page asks for confirmation from the customers: the form,
// the success message at the top, the request in the close form with "no
// answer yet", and the email waiting in the outbox.
func TestConsoleRequestConfirmationFromCustomers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		cb := setupConfirm(t, bdb)
		page := cb.br.send(http.MethodGet, cb.loc, nil).String()
		requireContains(t, page, `action="`+cb.loc+`/confirmation-requests"`)
		requireContains(t, page, "Request confirmation that the services are back")
		requireContains(t, page, "1 customer, 1 primary contact")
		requireContains(t, page, "No confirmation requested yet.")

		r := cb.request(url.Values{"request_kind": {"customer"}, "request_message": {"Please try a <b>test order</b>."}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		next := r.Header.Get("Location")
		require.True(t, strings.HasPrefix(next, cb.loc+"?requested="), next)
		require.NotContains(t, next, "#", "no jump down to the form: the success message at the top stays in view")

		page = cb.br.send(http.MethodGet, next, nil).String()
		requireAtTop(t, page, "Confirmation requested by email from 1 customer (1 primary contact).")
		requireContains(t, page, `<p class="flash" role="status">`)
		requireContains(t, page, "Acme: Wile &lt;wile@acme.example&gt;", "the close form says who was asked")
		requireContains(t, page, "No answer yet.")
		requireContains(t, page, "Please try a &lt;b&gt;test order&lt;/b&gt;.", "the message, escaped")
		requireNotContains(t, page, "<b>test order")
		requireContains(t, page, "requested by email from 1 affected customer (1 primary contact)", "on the timeline")
		requireNotContains(t, cb.br.send(http.MethodGet, cb.loc, nil).String(), "Confirmation requested by email from 1 customer",
			"the message is for the page after the request only")

		es := cb.emails(t)
		require.Len(t, es, 1)
		require.Equal(t, "wile@acme.example", es[0].To)
		require.Equal(t, comms.KindConfirmationRequest, es[0].Kind)
		require.Contains(t, es[0].Text, "Please try a <b>test order</b>.")

		// Asked again: both requests are kept.
		r = cb.request(url.Values{"request_kind": {"customer"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Len(t, cb.emails(t), 2)
		page = cb.br.send(http.MethodGet, cb.loc, nil).String()
		require.Equal(t, 2, strings.Count(page, "No answer yet."))
	})
}

// Refusals keep what was typed, say why at the top of the page and beside
// the form, and record nothing; the form needs the CSRF token and a
// writer.
func TestConsoleRequestConfirmationRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		cb := setupConfirm(t, bdb)
		alone := statustest.Incident(t, cb.svc, cb.page.ID, &statustest.IncidentOpts{Title: "Nobody's"})
		aloneLoc := "/console/pages/" + cb.page.ID + "/incidents/" + alone.ID
		typed := "Could you check the <script>alert(1)</script> orders, please?"

		r := cb.br.postWith(aloneLoc+"/confirmation-requests", cb.tok, url.Values{"request_kind": {"customer"}, "request_message": {typed}})
		require.Equal(t, http.StatusConflict, r.Code, r.String())
		body := r.String()
		requireAtTop(t, body, "Confirmation not requested. This incident affects no customers")
		requireContains(t, body, "request the confirmation internally")
		requireContains(t, body, html.EscapeString(typed), "the form keeps the message")
		requireNotContains(t, body, "<script>alert(1)")
		requireContains(t, body, `value="customer" checked`)

		gone := statustest.User(t, cb.svc, &statustest.UserOpts{Name: "Gone Person"})
		_, err := cb.svc.Accounts.UpdateUser(cb.ctx, gone.ID, status.UserPatch{Disabled: statustest.Ptr(true)})
		require.NoError(t, err)
		for name, tc := range map[string]struct {
			form  url.Values
			code  int
			field string
		}{
			"no kind":       {url.Values{"request_message": {typed}}, http.StatusUnprocessableEntity, "must say whom to ask"},
			"no user":       {url.Values{"request_kind": {"internal"}, "request_message": {typed}}, http.StatusUnprocessableEntity, "choose the team member"},
			"disabled user": {url.Values{"request_kind": {"internal"}, "request_user": {gone.ID}, "request_message": {typed}}, http.StatusUnprocessableEntity, "is disabled"},
			"huge message": {url.Values{"request_kind": {"customer"}, "request_message": {strings.Repeat("ä", status.MaxRequestMessageLen)}},
				http.StatusUnprocessableEntity, "is too long"},
			"NUL": {url.Values{"request_kind": {"customer"}, "request_message": {"a\x00b"}}, http.StatusUnprocessableEntity, "control characters"},
		} {
			r := cb.request(tc.form)
			require.Equal(t, tc.code, r.Code, "%s: %s", name, r)
			body := r.String()
			requireAtTop(t, body, "Confirmation not requested. Check the request form:")
			requireContains(t, body, tc.field, name)
			if name != "huge message" && name != "NUL" {
				requireContains(t, body, html.EscapeString(typed), "%s: the form keeps the message", name)
			}
		}

		// Resolved: refused.
		_, err = cb.svc.Incidents.Close(cb.ctx, cb.page.ID, alone.ID, status.CloseInput{ConfirmedBy: "Max", ConfirmationSource: "internal",
			ConfirmationMethod: "monitoring", Message: "Fixed.", Resolution: status.ResolutionPermanent, Cause: "x", Solution: "y"})
		require.NoError(t, err)
		r = cb.br.postWith(aloneLoc+"/confirmation-requests", cb.tok, url.Values{"request_kind": {"internal"}, "request_user": {gone.ID}})
		require.Equal(t, http.StatusConflict, r.Code)
		requireAtTop(t, r.String(), "This incident is resolved")

		// Forged or missing CSRF, and a viewer, are refused.
		require.Equal(t, http.StatusForbidden, cb.br.postWith(cb.loc+"/confirmation-requests", "forged", url.Values{"request_kind": {"customer"}}).Code)
		require.Equal(t, http.StatusForbidden, cb.br.send(http.MethodPost, cb.loc+"/confirmation-requests", url.Values{"request_kind": {"customer"}}).Code)
		viewer := customerBrowser(t, cb.testBundle, status.RoleViewer)
		vtok := csrfOf(t, viewer.send(http.MethodGet, "/console/", nil))
		require.Equal(t, http.StatusForbidden, viewer.postWith(cb.loc+"/confirmation-requests", vtok, url.Values{"request_kind": {"customer"}}).Code)
		vpage := viewer.send(http.MethodGet, cb.loc, nil).String()
		requireNotContains(t, vpage, "/confirmation-requests", "a viewer gets no form")
		requireContains(t, vpage, "No confirmation requested yet.", "but sees the requests")

		require.Empty(t, cb.emails(t), "nothing was sent")
		for _, id := range []string{cb.inc.ID, alone.ID} {
			rs, err := cb.svc.Incidents.ConfirmationRequests(cb.ctx, id)
			require.NoError(t, err)
			require.Empty(t, rs, "nothing was recorded")
		}
	})
}

// An internal request names a team member, who gets a notice.
func TestConsoleRequestConfirmationInternal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		cb := setupConfirm(t, bdb)
		jane := statustest.User(t, cb.svc, &statustest.UserOpts{Name: "Jane Lead", Email: "jane@team.example"})
		page := cb.br.send(http.MethodGet, cb.loc, nil).String()
		requireContains(t, page, `<option value="`+jane.ID+`">Jane Lead (jane@team.example)</option>`)
		r := cb.request(url.Values{"request_kind": {"internal"}, "request_user": {jane.ID}, "request_message": {"Queue depth?"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		page = cb.br.send(http.MethodGet, r.Header.Get("Location"), nil).String()
		requireAtTop(t, page, "Confirmation requested from Jane Lead &lt;jane@team.example&gt;: they were sent an email notice.")
		requireContains(t, page, "requested from Jane Lead (team member). Message: Queue depth?")
		es := cb.emails(t)
		require.Len(t, es, 1)
		require.Equal(t, "jane@team.example", es[0].To)
		require.Equal(t, "internal", es[0].Kind)
	})
}

// End to end: the customer's reply to the request comes in through the
// support mailbox, threads onto the incident's timeline, is offered as the
// request's answer in the close form, and recording it answers the
// request.
func TestConfirmationRequestReplyThreadsBack(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		cb := setupConfirm(t, bdb)
		r := cb.request(url.Values{"request_kind": {"customer"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		es := cb.emails(t)
		require.Len(t, es, 1)
		cb.clock.Advance(20 * time.Minute)

		store := inbound.NewStore(bdb, inbound.StoreOptions{Own: []string{"status@herald.example.org"}, Now: cb.clock.Now})
		router := &inbound.Router{Service: cb.svc, Store: store, Thread: cb.box.ThreadOf, Report: cb.box.RecordReport}
		reply := strings.ReplaceAll(`From: Wile <wile@acme.example>
To: support@herald.example.org
Subject: Re: `+es[0].Subject+`
Date: Tue, 10 Mar 2026 12:20:00 +0000
Message-ID: <confirm-reply-1@acme.example>
In-Reply-To: <`+es[0].MessageID+`>
References: <`+es[0].InReplyTo+`> <`+es[0].MessageID+`>
Content-Type: text/plain; charset=utf-8

Yes, checkout works again for us. Thanks!

On Tue, 10 Mar 2026 at 12:00, Herald wrote:
> we believe the services affected by this incident are working again.
`, "\n", "\r\n")
		id, stored, err := store.Add(cb.ctx, strings.NewReader(reply))
		require.NoError(t, err)
		require.True(t, stored)
		require.NoError(t, router.Route(cb.ctx, id))

		tl, err := cb.svc.Incidents.Timeline(cb.ctx, cb.page.ID, cb.inc.ID)
		require.NoError(t, err)
		entry := tl[len(tl)-1]
		require.Equal(t, status.TimelineCustomer, entry.Kind, "the reply is on the incident's timeline")
		require.Contains(t, entry.Text(), "checkout works again")
		require.NotContains(t, entry.Text(), "we believe", "without its quoted history")

		page := cb.br.send(http.MethodGet, cb.loc, nil).String()
		offer := `formaction="` + cb.loc + `/timeline/` + entry.ID + `/confirm"`
		requireContains(t, page, offer, "the close form offers the reply as the answer")
		requireContains(t, page, "No answer yet.")

		r = cb.br.postWith(cb.loc+"/timeline/"+entry.ID+"/confirm", cb.tok, url.Values{"cause": {"typed in the close form"}})
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "Record that the services are back?")
		requireContains(t, r.String(), "typed in the close form", "what was typed in the close form comes along")
		r = cb.br.postWith(cb.loc+"/timeline/"+entry.ID+"/confirm", cb.tok, url.Values{"confirm": {"yes"},
			"confirmed_by": {"Wile <wile@acme.example>"}, "confirmation_method": {"email"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())

		page = cb.br.send(http.MethodGet, cb.loc, nil).String()
		requireNotContains(t, page, "No answer yet.")
		requireContains(t, page, "confirmed by Wile &lt;wile@acme.example&gt;")
		requireNotContains(t, page, offer, "an answered request offers nothing more")
		rs, err := cb.svc.Incidents.ConfirmationRequests(cb.ctx, cb.inc.ID)
		require.NoError(t, err)
		require.Len(t, rs, 1)
		require.Equal(t, entry.ID, rs[0].AnsweredEntry)
	})
}

// The admin API makes requests and shows them in the incident's JSON.
func TestAdminAPIConfirmationRequests(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		cb := setupConfirm(t, bdb)
		tok, _, err := cb.svc.Accounts.CreateToken(cb.ctx, "automation", status.RoleEngineer)
		require.NoError(t, err)
		path := "/api/v1/pages/" + cb.page.ID + "/incidents/" + cb.inc.ID
		inc := decodeObject(t, cb.do(t, apiRequest(http.MethodGet, path, tok, nil)).Body)
		require.Equal(t, []any{}, inc["confirmation_requests"])

		fields := requireAPIError(t, cb.do(t, apiRequest(http.MethodPost, path+"/confirmation-requests", tok, map[string]any{})),
			http.StatusUnprocessableEntity)
		require.Contains(t, fields, "kind")
		fields = requireAPIError(t, cb.do(t, apiRequest(http.MethodPost, path+"/confirmation-requests", tok,
			map[string]any{"kind": "customer", "to": "everyone"})), http.StatusUnprocessableEntity)
		require.Contains(t, fields, "to", "unknown fields are refused")
		fields = requireAPIError(t, cb.do(t, apiRequest(http.MethodPost, path+"/confirmation-requests", tok,
			map[string]any{"kind": "internal", "user": "zzzzzzzzzzzz"})), http.StatusUnprocessableEntity)
		require.Contains(t, fields, "user")
		other := statustest.Incident(t, cb.svc, cb.page.ID, nil)
		requireAPIError(t, cb.do(t, apiRequest(http.MethodPost, "/api/v1/pages/"+cb.page.ID+"/incidents/"+other.ID+"/confirmation-requests",
			tok, map[string]any{"kind": "customer"})), http.StatusConflict)

		r := cb.do(t, apiRequest(http.MethodPost, path+"/confirmation-requests", tok, map[string]any{"kind": "customer", "message": "Check, please."}))
		require.Equal(t, http.StatusCreated, r.Code, r.String())
		req := decodeObject(t, r.Body)
		require.Equal(t, "customer", req["kind"])
		require.Equal(t, []any{cb.acme.ID}, req["customer_ids"])
		require.Equal(t, []any{"Acme: Wile <wile@acme.example>"}, req["recipients"])
		require.Equal(t, "automation", req["requested_by"])
		require.Nil(t, req["answered_at"])

		inc = decodeObject(t, cb.do(t, apiRequest(http.MethodGet, path, tok, nil)).Body)
		list, ok := inc["confirmation_requests"].([]any)
		require.True(t, ok)
		require.Len(t, list, 1)
		require.Equal(t, req["id"], list[0].(map[string]any)["id"])
		require.Len(t, cb.emails(t), 1)

		all := cb.do(t, apiRequest(http.MethodGet, "/api/v1/pages/"+cb.page.ID+"/incidents", tok, nil))
		require.NotContains(t, all.String(), "confirmation_requests", "lists leave them out")
	})
}
