package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/web"
)

func init() {
	allowConsole(map[string]string{
		"POST /console/inbox/:id/undo":  "writer",
		"GET /console/customers/search": "signed-in",
	})
}

// deskBundle is a test bundle whose service forwards dismissed items to
// the service desk address desk ("" for none) through a dev outbox.
func deskBundle(t *testing.T, bdb *bun.DB, desk string) *testBundle {
	t.Helper()
	var svc *status.Service
	b := setup(t, bdb, func(d *web.Deps) {
		box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "Herald <status@herald.example.org>", Now: d.Service.Now})
		svc = status.New(bdb, status.Options{Now: d.Service.Now, Notifier: &comms.Notifier{Outbox: box, ServiceDesk: desk}})
		d.Service, d.Outbox = svc, box
	})
	b.svc = svc
	return b
}

// outboxKinds lists the kind and recipient of every email queued, oldest
// first.
func outboxKinds(t *testing.T, b *testBundle) []string {
	t.Helper()
	var es []*comms.Email
	require.NoError(t, b.db.NewSelect().Model(&es).Order("created_at", "id").Scan(b.ctx))
	out := []string{}
	for _, e := range es {
		out = append(out, e.Kind+" "+e.To)
	}
	return out
}

// Dismissing asks first, naming the service desk; confirmed, the item
// page says where it went and offers an undo for a day, which opens the
// item again and tells the desk. Undoing twice, too late, an item never
// dismissed, an unknown item, or without the CSRF token is refused.
func TestConsoleIntakeDismissConfirmAndUndo(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := deskBundle(t, bdb, "servicedesk@herald.example")
		item := intakeItem(t, b, status.IntakeInput{Title: "Invoice question", SenderEmail: "x@elsewhere.example"})
		br := customerBrowser(t, b, status.RoleEngineer)
		path := "/console/inbox/" + item.ID
		tok := csrfOf(t, br.send(http.MethodGet, path, nil))

		// Asked first; nothing happens yet.
		r := br.send(http.MethodPost, path+"/dismiss", url.Values{"_csrf": {tok}, "note": {"Billing <b>question</b>"}})
		require.Equal(t, http.StatusOK, r.Code, r.String())
		body := r.String()
		require.Contains(t, body, "Close as not an incident?")
		require.Contains(t, body, "It will be forwarded to servicedesk@herald.example.")
		require.Contains(t, body, `name="confirm" value="1"`)
		require.Contains(t, body, `name="note" value="Billing &lt;b&gt;question&lt;/b&gt;"`, "the note is carried, escaped")
		require.NotContains(t, body, "<b>question</b>")
		requireIndexOrder(t, body, "Close as not an incident?", "<dl class=\"record\">")
		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, got.State, "asking changes nothing")
		require.Empty(t, outboxKinds(t, b))

		// Confirmed.
		r = br.send(http.MethodPost, path+"/dismiss", url.Values{"_csrf": {tok}, "note": {"Billing question"}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, path+"?dismissed=1", r.Header.Get("Location"))
		page := br.send(http.MethodGet, r.Header.Get("Location"), nil)
		body = page.String()
		require.Contains(t, body, `<p class="flash" role="status">Closed as not an incident. Forwarded to servicedesk@herald.example.</p>`)
		require.Contains(t, body, `<dd id="forwarded">to <a href="mailto:servicedesk@herald.example">servicedesk@herald.example</a></dd>`)
		require.Contains(t, body, `action="`+path+`/undo"`)
		require.Contains(t, body, "Until <time")
		require.Equal(t, []string{"forward servicedesk@herald.example"}, outboxKinds(t, b))

		// Undone (by someone signed in since: sessions end after idling).
		b.clock.Advance(23 * time.Hour)
		br = customerBrowser(t, b, status.RoleEngineer)
		tok = csrfOf(t, br.send(http.MethodGet, path, nil))
		r = br.send(http.MethodPost, path+"/undo", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, path+"?undone=1", r.Header.Get("Location"))
		page = br.send(http.MethodGet, r.Header.Get("Location"), nil)
		body = page.String()
		require.Contains(t, body, `<p class="flash" role="status">The dismissal was undone: the item is open again.</p>`)
		require.Contains(t, body, "Dismissal as not an incident undone")
		require.Contains(t, body, "forwarded to servicedesk@herald.example, which is told it was taken back")
		require.Contains(t, body, `action="`+path+`/dismiss"`, "the decision forms are back")
		got, err = b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, got.State)
		require.Equal(t, []string{"forward servicedesk@herald.example", comms.KindForwardTakenBack + " servicedesk@herald.example"},
			outboxKinds(t, b))

		// Twice, and an item never dismissed.
		r = br.send(http.MethodPost, path+"/undo", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), `<p class="error" role="alert">This item is open: it was not dismissed, so there is nothing to undo.</p>`)
		requireIndexOrder(t, r.String(), `role="alert"`, `<dl class="record">`)

		// Dismissed again; a day later the undo is gone and refused.
		r = br.send(http.MethodPost, path+"/dismiss", url.Values{"_csrf": {tok}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		b.clock.Advance(24 * time.Hour)
		br = customerBrowser(t, b, status.RoleEngineer)
		page = br.send(http.MethodGet, path, nil)
		tok = csrfOf(t, page)
		require.NotContains(t, page.String(), path+"/undo")
		require.Contains(t, page.String(), "can no longer be undone")
		r = br.send(http.MethodPost, path+"/undo", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), "This dismissal can no longer be undone")
		got, err = b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeDismissed, got.State)

		// Bad input.
		other := intakeItem(t, b, status.IntakeInput{Title: "Other", SenderEmail: "y@elsewhere.example"})
		for _, tc := range []struct {
			name string
			path string
			form url.Values
			code int
		}{
			{"undo of an unknown item", "/console/inbox/" + status.NewID() + "/undo", url.Values{"_csrf": {tok}}, http.StatusNotFound},
			{"undo of a malformed id", "/console/inbox/..%2f/undo", url.Values{"_csrf": {tok}}, http.StatusNotFound},
			{"undo without CSRF", "/console/inbox/" + other.ID + "/undo", url.Values{}, http.StatusForbidden},
			{"undo with a forged CSRF", "/console/inbox/" + other.ID + "/undo", url.Values{"_csrf": {"forged"}}, http.StatusForbidden},
			{"undo of an item never dismissed", "/console/inbox/" + other.ID + "/undo", url.Values{"_csrf": {tok}}, http.StatusConflict},
			{"confirmation without CSRF", "/console/inbox/" + other.ID + "/dismiss", url.Values{"confirm": {"1"}}, http.StatusForbidden},
			{"dismissal of an unknown item", "/console/inbox/" + status.NewID() + "/dismiss", url.Values{"_csrf": {tok}}, http.StatusNotFound},
			{"asking about a decided item", path + "/dismiss", url.Values{"_csrf": {tok}}, http.StatusConflict},
		} {
			r := br.send(http.MethodPost, tc.path, tc.form)
			require.Equal(t, tc.code, r.Code, "%s: %s", tc.name, excerpt(r.String()))
		}
		huge := strings.Repeat("n", 2001)
		r = br.send(http.MethodPost, "/console/inbox/"+other.ID+"/dismiss", url.Values{"_csrf": {tok}, "note": {huge}, "confirm": {"1"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), huge+"</textarea>", "what was typed is kept")
		got, err = b.svc.Intake.Item(b.ctx, other.ID)
		require.NoError(t, err)
		require.Equal(t, status.IntakeOpen, got.State, "refusals change nothing")
		require.Len(t, outboxKinds(t, b), 3, "the second dismissal's forward, nothing for refusals")

		viewer := customerBrowser(t, b, status.RoleViewer)
		page = viewer.send(http.MethodGet, path, nil)
		require.NotContains(t, page.String(), "/undo", "viewers get no undo")
	})
}

// Without a service desk address the confirmation says plainly that
// nothing will be forwarded and why, and so do the message and the item
// page afterwards; undoing sends nothing.
func TestConsoleIntakeDismissWithoutServiceDesk(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := deskBundle(t, bdb, "")
		item := intakeItem(t, b, status.IntakeInput{Title: "Password reset", SenderEmail: "x@elsewhere.example"})
		br := customerBrowser(t, b, status.RoleEngineer)
		path := "/console/inbox/" + item.ID
		tok := csrfOf(t, br.send(http.MethodGet, path, nil))

		r := br.send(http.MethodPost, path+"/dismiss", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusOK, r.Code)
		require.Contains(t, r.String(), "No service desk address is set (HERALD_SERVICE_DESK_EMAIL): nothing will be forwarded.")

		r = br.send(http.MethodPost, path+"/dismiss", url.Values{"_csrf": {tok}, "confirm": {"1"}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		body := br.send(http.MethodGet, r.Header.Get("Location"), nil).String()
		require.Contains(t, body, "Closed as not an incident. Nothing was forwarded: no service desk address is set (HERALD_SERVICE_DESK_EMAIL).")
		require.Contains(t, body, `<dd id="forwarded">nothing was forwarded</dd>`)
		require.Contains(t, body, "Not forwarded: no service desk address is set (HERALD_SERVICE_DESK_EMAIL).", "the note says why")
		require.NotContains(t, body, "gets a short note")

		r = br.send(http.MethodPost, path+"/undo", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Empty(t, outboxKinds(t, b))
	})
}
