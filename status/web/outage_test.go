package web_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// unavailableMessage is what a write answers while the database cannot be
// reached.
const unavailableMessage = "The database is not reachable right now; nothing was saved. Try again in a minute."

// outageWorld is a server with a signed-in console user, an API token and
// a hook token, over a database the test can take away.
type outageWorld struct {
	*testBundle
	page    *status.Page
	br      *browser
	csrf    string
	token   string
	hookTok string
}

func setupOutage(t *testing.T, bdb *bun.DB) *outageWorld {
	t.Helper()
	var as *alerts.Service
	b := setup(t, bdb, func(d *web.Deps) {
		as = alerts.New(bdb, d.Service, alerts.Options{})
		d.Alerts = as
	})
	db.LogOutages(bdb, slog.New(slog.NewTextHandler(b.logs, nil)))
	w := &outageWorld{testBundle: b, page: statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "shop"})}
	statustest.Component(t, b.svc, w.page.ID, &statustest.ComponentOpts{Name: "Checkout"})
	u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Name: "Erin", Password: consolePassword})
	w.br = newBrowser(t, b)
	require.Equal(t, http.StatusSeeOther, w.br.login(u.Email, consolePassword).Code)
	form := w.br.send(http.MethodGet, "/console/incidents/new?page="+w.page.ID, nil)
	require.Equal(t, http.StatusOK, form.Code)
	w.csrf = csrfOf(t, form)
	var err error
	w.token, _, err = b.svc.Accounts.CreateToken(b.ctx, "tests", status.RoleAdmin)
	require.NoError(t, err)
	w.hookTok, err = as.NewToken(b.ctx, "generic")
	require.NoError(t, err)
	b.refresh(t)
	require.Equal(t, http.StatusOK, b.get(t, "", "/p/shop/").Code)
	return w
}

func (w *outageWorld) declare(t *testing.T) reply {
	t.Helper()
	return w.br.send(http.MethodPost, "/console/incidents", url.Values{"_csrf": {w.csrf}, "page": {w.page.ID},
		"title": {"Checkout errors"}, "severity": {"major"}, "visibility": {"public"}, "started_at": {"2026-03-10T11:50"},
		"body": {"We are investigating errors at checkout."}, "next_update": {"15"}, "contact": {"Erin"}})
}

func (w *outageWorld) createByAPI(t *testing.T) reply {
	t.Helper()
	return w.do(t, apiRequest(http.MethodPost, "/api/v1/pages/"+w.page.ID+"/incidents", w.token, map[string]any{
		"title": "Checkout errors", "severity": "major", "visibility": "public", "body": "We are investigating."}))
}

func (w *outageWorld) alert(t *testing.T) reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/generic", strings.NewReader(
		`{"source": "icinga", "key": "db1/disk", "status": "firing", "title": "Disk almost full on db1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.hookTok)
	return w.do(t, req)
}

// requireUnavailableHTML checks a console answer during the outage.
func requireUnavailableHTML(t *testing.T, r reply, msg string) {
	t.Helper()
	require.Equal(t, http.StatusServiceUnavailable, r.Code, "body: %s", r.Body)
	require.Equal(t, "60", r.Header.Get("Retry-After"))
	require.Contains(t, r.Header.Get("Content-Type"), "text/html")
	require.Contains(t, r.String(), msg)
	require.NotContains(t, r.String(), "Something went wrong")
}

// requireUnavailableJSON checks an API or hook answer during the outage.
func requireUnavailableJSON(t *testing.T, r reply) {
	t.Helper()
	requireAPIError(t, r, http.StatusServiceUnavailable)
	require.Equal(t, "60", r.Header.Get("Retry-After"))
	e := decodeObject(t, r.Body)["error"].(map[string]any)
	require.Equal(t, unavailableMessage, e["message"])
	require.Nil(t, e["ref"], "no reference: nothing to look up in the log")
	require.Empty(t, r.Header.Get("WWW-Authenticate"), "the token was not refused")
}

// Writes while PostgreSQL cannot be reached answer 503 with Retry-After
// and a clear message, from the console, the admin API and the hooks;
// the outage is logged once, not per request; the public page keeps
// answering from its snapshot; and everything works again once it is back.
func TestWritesDuringPostgresOutageAnswer503(t *testing.T) {
	t.Parallel()
	px := dbtest.NewProxy(t)
	bdb, err := db.Open(t.Context(), px.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bdb.Close() }) // its connections may have been cut
	w := setupOutage(t, bdb)

	px.Cut()
	for range 3 {
		requireUnavailableHTML(t, w.declare(t), unavailableMessage)
		requireUnavailableJSON(t, w.createByAPI(t))
		requireUnavailableJSON(t, w.alert(t))
	}
	requireUnavailableHTML(t, w.br.send(http.MethodGet, "/console/", nil), "The database is not reachable right now. Try again in a minute.")
	pub := w.get(t, "", "/p/shop/")
	require.Equal(t, http.StatusOK, pub.Code, "the public page answers from its snapshot")
	require.Contains(t, pub.String(), "Checkout")
	require.Equal(t, http.StatusOK, w.get(t, "", "/p/shop/api/v2/summary.json").Code)
	logs := w.logs.String()
	require.NotContains(t, logs, "request failed", "no error per request")
	require.Equal(t, 1, strings.Count(logs, "The database is not reachable"), logs)
	require.Equal(t, 1, strings.Count(logs, "level=ERROR"), logs)

	px.Restore()
	require.Equal(t, http.StatusSeeOther, w.declare(t).Code, "saved once it is back")
	require.Equal(t, http.StatusCreated, w.createByAPI(t).Code)
	require.Equal(t, http.StatusOK, w.alert(t).Code)
	require.Equal(t, 1, strings.Count(w.logs.String(), "The database is reachable again"), w.logs.String())
}

// SQLite is unavailable when another process holds the database's write
// lock beyond the busy timeout: writes answer 503 the same way.
func TestWritesDuringSQLiteLockAnswer503(t *testing.T) {
	t.Parallel()
	u := dbtest.URL(t, db.SQLite)
	bdb, err := db.Open(t.Context(), u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bdb.Close() }) // it saw the database locked on purpose
	w := setupOutage(t, bdb)

	// Another process takes the write lock and keeps it.
	other, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(u, "sqlite://")+"?_txlock=immediate")
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() }) // it held the lock on purpose
	lock, err := other.BeginTx(context.Background(), nil)
	require.NoError(t, err)
	_, err = lock.Exec("UPDATE settings SET value = value")
	require.NoError(t, err)

	// Each write waits out the busy timeout (10 s): one is enough here;
	// the console's forms answer as on PostgreSQL.
	requireUnavailableJSON(t, w.createByAPI(t))
	require.Equal(t, http.StatusOK, w.get(t, "", "/p/shop/").Code, "the public page answers from its snapshot")
	require.NotContains(t, w.logs.String(), "request failed", "no error per request")

	require.NoError(t, lock.Rollback())
	require.Equal(t, http.StatusCreated, w.createByAPI(t).Code, "saved once the lock is gone")
}
