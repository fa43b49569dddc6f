package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

const consolePassword = "a long enough password"

// browser keeps cookies between requests to the console, like a browser.
type browser struct {
	t       *testing.T
	b       *testBundle
	cookies map[string]string
	ip      string
}

func newBrowser(t *testing.T, b *testBundle) *browser {
	return &browser{t: t, b: b, cookies: map[string]string{}, ip: "192.0.2.10"}
}

func (br *browser) send(method, path string, form url.Values) reply {
	br.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = br.ip + ":5000"
	for k, v := range br.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	r := br.b.do(br.t, req)
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(br.cookies, c.Name)
		} else {
			br.cookies[c.Name] = c.Value
		}
	}
	return r
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, r reply) string {
	t.Helper()
	m := csrfField.FindSubmatch(r.Body)
	require.NotNil(t, m, "no CSRF field in %s", r)
	return string(m[1])
}

// login signs in through the form and returns the dashboard's CSRF token.
func (br *browser) login(email, password string) reply {
	br.t.Helper()
	page := br.send(http.MethodGet, "/console/login", nil)
	require.Equal(br.t, http.StatusOK, page.Code)
	return br.send(http.MethodPost, "/console/login", url.Values{"_csrf": {csrfOf(br.t, page)}, "email": {email}, "password": {password}})
}

func TestConsoleLoginFlow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager, Password: consolePassword})
		p := statustest.Page(t, b.svc, nil)
		statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Database <b>slow</b>", Visibility: status.VisibilityInternal})

		br := newBrowser(t, b)
		// Anonymous visitors are sent to the login page.
		r := br.send(http.MethodGet, "/console/", nil)
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Equal(t, "/console/login?next=%2Fconsole%2F", r.Header.Get("Location"))

		r = br.login(u.Email, consolePassword)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, "/console/", r.Header.Get("Location"))
		cookie := br.cookies["__Host-herald_session"]
		require.NotEmpty(t, cookie)
		setCookie := r.Header.Values("Set-Cookie")
		require.True(t, anyContains(setCookie, "__host-herald_session=", "httponly", "secure", "samesite=lax"), "%v", setCookie)

		dash := br.send(http.MethodGet, "/console/", nil)
		require.Equal(t, http.StatusOK, dash.Code)
		require.Contains(t, dash.String(), "Database &lt;b&gt;slow&lt;/b&gt;", "internal incidents show in the console, escaped")
		require.Equal(t, "no-store", dash.Header.Get("Cache-Control"))

		// A second login renews the session id.
		br2 := newBrowser(t, b)
		br2.cookies = map[string]string{"__Host-herald_session": cookie}
		require.Equal(t, http.StatusSeeOther, br2.login(u.Email, consolePassword).Code)
		require.NotEqual(t, cookie, br2.cookies["__Host-herald_session"])

		// Logout needs the CSRF token; afterwards the cookie is worthless.
		r = br.send(http.MethodPost, "/console/logout", url.Values{})
		require.Equal(t, http.StatusForbidden, r.Code)
		r = br.send(http.MethodPost, "/console/logout", url.Values{"_csrf": {"forged"}})
		require.Equal(t, http.StatusForbidden, r.Code)
		r = br.send(http.MethodPost, "/console/logout", url.Values{"_csrf": {csrfOf(t, dash)}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		old := newBrowser(t, b)
		old.cookies["__Host-herald_session"] = cookie
		require.Equal(t, http.StatusSeeOther, old.send(http.MethodGet, "/console/", nil).Code, "a logged-out session must not work")
	})
}

func anyContains(values []string, parts ...string) bool {
	for _, v := range values {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(strings.ToLower(v), p)
		}
		if ok {
			return true
		}
	}
	return false
}

func TestConsoleLoginBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: consolePassword})
		br := newBrowser(t, b)

		// Missing or forged login CSRF token.
		r := br.send(http.MethodPost, "/console/login", url.Values{"email": {u.Email}, "password": {consolePassword}})
		require.Equal(t, http.StatusForbidden, r.Code)
		require.Contains(t, r.String(), "The form expired")
		br.send(http.MethodGet, "/console/login", nil)
		r = br.send(http.MethodPost, "/console/login", url.Values{"_csrf": {"forged"}, "email": {u.Email}, "password": {consolePassword}})
		require.Equal(t, http.StatusForbidden, r.Code)

		cases := map[string]url.Values{
			"wrong password": {"email": {u.Email}, "password": {"not the password"}},
			"unknown email":  {"email": {"nobody@example.com"}, "password": {consolePassword}},
			"empty":          {},
			"huge email":     {"email": {strings.Repeat("a", 100000) + "@example.com"}, "password": {"x"}},
			"script email":   {"email": {`"><script>alert(1)</script>`}, "password": {"x"}},
			"nul password":   {"email": {u.Email}, "password": {"a\x00b"}},
		}
		for name, form := range cases {
			br := newBrowser(t, b)
			br.ip = "198.51.100.1" // another address, so the per-address limit stays far
			page := br.send(http.MethodGet, "/console/login", nil)
			form.Set("_csrf", csrfOf(t, page))
			r := br.send(http.MethodPost, "/console/login", form)
			require.Equal(t, http.StatusUnauthorized, r.Code, name)
			require.Contains(t, r.String(), "The email or password is not right.", name)
			require.NotContains(t, r.String(), "<script>alert(1)", name)
			require.Empty(t, br.cookies["__Host-herald_session"], name)
		}

		// Open redirects: next must stay in the console.
		for _, next := range []string{"https://evil.example/", "//evil.example/console/", "/p/x/", "javascript:alert(1)"} {
			br := newBrowser(t, b)
			br.ip = "203.0.113.9"
			page := br.send(http.MethodGet, "/console/login", nil)
			r := br.send(http.MethodPost, "/console/login", url.Values{"_csrf": {csrfOf(t, page)}, "email": {u.Email},
				"password": {consolePassword}, "next": {next}})
			require.Equal(t, http.StatusSeeOther, r.Code)
			require.Equal(t, "/console/", r.Header.Get("Location"), next)
		}
	})
}

func TestConsoleLoginThrottle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: consolePassword})
		attempt := func(ip, password string) reply {
			br := newBrowser(t, b)
			br.ip = ip
			return br.login(u.Email, password)
		}
		for i := range 5 {
			require.Equal(t, http.StatusUnauthorized, attempt("192.0.2.1", "wrong password").Code, "attempt %d", i)
		}
		// The account is locked, even for the right password and from
		// another address.
		r := attempt("192.0.2.2", consolePassword)
		require.Equal(t, http.StatusForbidden, r.Code)
		require.Contains(t, r.String(), "Too many failed logins")
		// After the lockout it works again.
		b.clock.Advance(16 * 60 * 1e9)
		require.Equal(t, http.StatusSeeOther, attempt("192.0.2.2", consolePassword).Code)
	})
}

func TestConsolePasswordChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: consolePassword})
		br, other := newBrowser(t, b), newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		require.Equal(t, http.StatusSeeOther, other.login(u.Email, consolePassword).Code)
		page := br.send(http.MethodGet, "/console/password", nil)
		require.Equal(t, http.StatusOK, page.Code)
		tok := csrfOf(t, page)

		r := br.send(http.MethodPost, "/console/password", url.Values{"_csrf": {tok}, "current": {"wrong"}, "password": {"short"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "is not your current password")
		require.Contains(t, r.String(), "must be at least")

		r = br.send(http.MethodPost, "/console/password", url.Values{"_csrf": {tok}, "current": {consolePassword}, "password": {"a brand new passphrase"}})
		require.Equal(t, http.StatusOK, r.Code, r.String())
		require.Contains(t, r.String(), "Your password was changed")
		require.Equal(t, http.StatusOK, br.send(http.MethodGet, "/console/", nil).Code, "this session stays")
		require.Equal(t, http.StatusSeeOther, other.send(http.MethodGet, "/console/", nil).Code, "other sessions end")
		require.Equal(t, http.StatusUnauthorized, newBrowser(t, b).login(u.Email, consolePassword).Code)
	})
}

func TestConsoleSessionExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: consolePassword})
		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		b.clock.Advance(status.IdleTimeout - 60*1e9)
		require.Equal(t, http.StatusOK, br.send(http.MethodGet, "/console/", nil).Code, "use extends the session")
		b.clock.Advance(status.IdleTimeout - 60*1e9)
		require.Equal(t, http.StatusOK, br.send(http.MethodGet, "/console/", nil).Code)
		b.clock.Advance(status.IdleTimeout + 60*1e9)
		require.Equal(t, http.StatusSeeOther, br.send(http.MethodGet, "/console/", nil).Code, "idle sessions end")
		require.NoError(t, b.svc.Accounts.PruneSessions(b.ctx))
	})
}
