package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func init() {
	allowConsole(map[string]string{
		"GET /console/pages/:page/subscribers":             "manager",
		"GET /console/pages/:page/subscribers.csv":         "admin",
		"POST /console/pages/:page/subscribers":            "admin",
		"POST /console/pages/:page/subscribers/import":     "admin",
		"POST /console/pages/:page/subscribers/:id/delete": "admin",
	})
}

// sendMultipart posts a multipart form with one file, as a browser does.
func (br *browser) sendMultipart(path string, fields map[string]string, file, content string) reply {
	br.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		require.NoError(br.t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", file)
	require.NoError(br.t, err)
	_, err = fw.Write([]byte(content))
	require.NoError(br.t, err)
	require.NoError(br.t, mw.Close())
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.RemoteAddr = br.ip + ":5000"
	for k, v := range br.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	return br.b.do(br.t, req)
}

func TestConsoleSubscribers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb, withSecret)
		w := buildWorld(t, b)
		admin := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin, Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(admin.Email, consolePassword).Code)
		base := "/console/pages/" + w.page.ID + "/subscribers"

		// A subscriber from the public form, pending.
		require.Equal(t, http.StatusOK, postForm(t, b, acmeHost, "/subscribe", "192.0.2.1",
			url.Values{"email": {"form@example.com"}, "scope": {"all"}}).Code)

		page := br.send(http.MethodGet, "/console/pages/"+w.page.ID, nil)
		requireContains(t, page.String(), `href="`+base+`"`, "linked from the page screen")
		list := br.send(http.MethodGet, base, nil)
		require.Equal(t, http.StatusOK, list.Code, list.String())
		requireContains(t, list.String(), "form@example.com")
		requireContains(t, list.String(), "pending")
		requireContains(t, list.String(), "Form, confirmed by email")
		tok := csrfOf(t, list)

		// Add without double opt-in; a bad address; a list-like address.
		r := br.send(http.MethodPost, base, url.Values{"_csrf": {tok}, "email": {"Gil@Example.com"}, "component": {w.api.ID}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		gil := subscriberOf(t, b, "gil@example.com")
		require.Equal(t, comms.SubscriberConfirmed, gil.State)
		require.Equal(t, comms.AddedByAdmin, gil.AddedBy)
		require.Empty(t, emailsTo(t, b, "gil@example.com"))
		r = br.send(http.MethodPost, base, url.Values{"_csrf": {tok}, "email": {"not an address"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		requireContains(t, r.String(), "Enter an email address")
		r = br.send(http.MethodPost, base, url.Values{"_csrf": {tok}, "email": {"gil@example.com"}})
		require.Equal(t, http.StatusConflict, r.Code)
		requireContains(t, r.String(), "already subscribed")
		r = br.send(http.MethodPost, base, url.Values{"_csrf": {tok}, "email": {"everyone@example.com"}})
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), "looks like a distribution list")
		r = br.send(http.MethodPost, base, url.Values{"email": {"nocsrf@example.com"}})
		require.Equal(t, http.StatusForbidden, r.Code, "the CSRF check applies")

		list = br.send(http.MethodGet, base, nil)
		requireContains(t, list.String(), "gil@example.com")
		requireContains(t, list.String(), "Public API")
		requireContains(t, list.String(), "Added by an admin")

		// Import with bad rows.
		r = br.sendMultipart(base+"/import", map[string]string{"_csrf": tok}, "subs.csv",
			"email,components\nhal@example.com,Website\nbroken\nivy@example.com,Nope\nstaff@example.com\n")
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "Import: 2 added")
		requireContains(t, r.String(), "Not added: Enter an email address")
		requireContains(t, r.String(), "Not added: no component named &#34;Nope&#34;")
		require.Equal(t, comms.AddedByImport, subscriberOf(t, b, "hal@example.com").AddedBy)
		r = br.send(http.MethodPost, base+"/import", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		r = br.send(http.MethodPost, base+"/import", url.Values{"_csrf": {tok}, "csv": {"jo@example.com\n"}})
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), "Import: 1 added")

		// Export.
		r = br.send(http.MethodGet, base+".csv", nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Contains(t, r.Header.Get("Content-Type"), "text/csv")
		require.Contains(t, r.String(), "gil@example.com,Public API,,confirmed,admin")
		require.Contains(t, r.String(), "form@example.com,,,pending,form")

		// Remove, audited.
		r = br.send(http.MethodPost, base+"/"+gil.ID+"/delete", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.NotContains(t, br.send(http.MethodGet, base, nil).String(), "gil@example.com")
		r = br.send(http.MethodPost, base+"/"+gil.ID+"/delete", url.Values{"_csrf": {tok}})
		require.Equal(t, http.StatusNotFound, r.Code)
		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "subscriber", SubjectID: gil.ID})
		require.NoError(t, err)
		require.Len(t, log, 2)
		require.Equal(t, admin.ID, log[0].ActorID)

		// A manager sees the list but cannot change it or export; others
		// do not see it.
		mgr := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Password: consolePassword})
		mb := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, mb.login(mgr.Email, consolePassword).Code)
		ml := mb.send(http.MethodGet, base, nil)
		require.Equal(t, http.StatusOK, ml.Code)
		requireNotContains(t, ml.String(), "Add a subscriber")
		require.Equal(t, http.StatusForbidden, mb.send(http.MethodGet, base+".csv", nil).Code)
		require.Equal(t, http.StatusForbidden, mb.send(http.MethodPost, base, url.Values{"_csrf": {csrfOf(t, ml)}, "email": {"x@example.com"}}).Code)
		eng := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleEngineer, Password: consolePassword})
		eb := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, eb.login(eng.Email, consolePassword).Code)
		require.Equal(t, http.StatusForbidden, eb.send(http.MethodGet, base, nil).Code)
		require.False(t, strings.Contains(eb.send(http.MethodGet, "/console/pages/"+w.page.ID, nil).String(), `href="`+base+`"`))
	})
}
