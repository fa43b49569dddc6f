package web_test

import (
	"fmt"
	"net/http"
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

func init() {
	allowConsole(map[string]string{
		"GET /console/users":               "admin",
		"GET /console/users/new":           "admin",
		"POST /console/users":              "admin",
		"GET /console/users/:id":           "admin",
		"POST /console/users/:id":          "admin",
		"POST /console/users/:id/password": "admin",
		"GET /console/tokens":              "admin",
		"POST /console/tokens":             "admin",
		"POST /console/tokens/:id/revoke":  "admin",
		"GET /console/audit":               "admin",
	})
}

var (
	shownPassword = regexp.MustCompile(`id="new-password" type="text" readonly value="([^"]+)"`)
	shownToken    = regexp.MustCompile(`id="new-token" type="text" readonly value="(hrld_[^"]+)"`)
)

// adminConsole is a test bundle with an admin signed in.
type adminConsole struct {
	*testBundle
	admin *status.User
	br    *browser
	csrf  string
}

func setupAdminConsole(t *testing.T, bdb *bun.DB) *adminConsole {
	t.Helper()
	b := setup(t, bdb)
	a := &adminConsole{testBundle: b, br: newBrowser(t, b),
		admin: statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin, Name: "Ada Admin", Password: consolePassword})}
	require.Equal(t, http.StatusSeeOther, a.br.login(a.admin.Email, consolePassword).Code)
	a.csrf = csrfOf(t, a.br.send(http.MethodGet, "/console/users", nil))
	return a
}

// post sends a console form with the admin's CSRF token.
func (a *adminConsole) post(path string, form url.Values) reply {
	form.Set("_csrf", a.csrf)
	return a.br.send(http.MethodPost, path, form)
}

func (a *adminConsole) userByEmail(t *testing.T, email string) *status.User {
	t.Helper()
	users, err := a.svc.Accounts.Users(a.ctx)
	require.NoError(t, err)
	for _, u := range users {
		if u.Email == email {
			return u
		}
	}
	require.Fail(t, "no user "+email)
	return nil
}

func match(t *testing.T, re *regexp.Regexp, r reply) string {
	t.Helper()
	m := re.FindSubmatch(r.Body)
	require.NotNil(t, m, "%s not in %s", re, excerpt(r.String()))
	return string(m[1])
}

func TestConsoleUsersFlow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		a := setupAdminConsole(t, bdb)
		r := a.br.send(http.MethodGet, "/console/users", nil)
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), a.admin.Email)
		requireContains(t, r.String(), `href="/console/users/new"`)
		r = a.br.send(http.MethodGet, "/console/users/new", nil)
		require.Equal(t, http.StatusOK, r.Code)
		for _, id := range []string{"email", "name", "role", "password"} {
			requireContains(t, r.String(), `<label for="`+id+`"`)
		}

		// Without a typed password, Herald makes one up and shows it once.
		r = a.post("/console/users", url.Values{"email": {"Bob@Example.com"}, "name": {"Bob"}, "role": {"manager"}})
		require.Equal(t, http.StatusOK, r.Code, excerpt(r.String()))
		pw := match(t, shownPassword, r)
		require.GreaterOrEqual(t, len(pw), status.MinPasswordLen)
		bob := a.userByEmail(t, "bob@example.com")
		require.Equal(t, status.RoleManager, bob.Role)
		require.NotContains(t, a.br.send(http.MethodGet, "/console/users/"+bob.ID, nil).String(), pw, "shown only once")
		bobBrowser := newBrowser(t, a.testBundle)
		require.Equal(t, http.StatusSeeOther, bobBrowser.login("bob@example.com", pw).Code)

		// A typed password is not shown.
		r = a.post("/console/users", url.Values{"email": {"cy@example.com"}, "role": {"viewer"}, "password": {"a typed long password"}})
		require.Equal(t, http.StatusOK, r.Code)
		require.Nil(t, shownPassword.FindSubmatch(r.Body))
		require.Equal(t, http.StatusSeeOther, newBrowser(t, a.testBundle).login("cy@example.com", "a typed long password").Code)

		// Change name and role, then disable: Bob is signed out and stays out.
		r = a.br.send(http.MethodGet, "/console/users/"+bob.ID, nil)
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), `<option value="manager" selected>`)
		r = a.post("/console/users/"+bob.ID, url.Values{"name": {"Robert"}, "role": {"engineer"}})
		require.Equal(t, http.StatusOK, r.Code, excerpt(r.String()))
		requireContains(t, r.String(), "Saved.")
		got, err := a.svc.Accounts.UserByID(a.ctx, bob.ID)
		require.NoError(t, err)
		require.Equal(t, "Robert", got.Name)
		require.Equal(t, status.RoleEngineer, got.Role)
		require.Equal(t, http.StatusOK, bobBrowser.send(http.MethodGet, "/console/", nil).Code)

		r = a.post("/console/users/"+bob.ID, url.Values{"name": {"Robert"}, "role": {"engineer"}, "disabled": {"1"}})
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), "Disabled since")
		require.Equal(t, http.StatusSeeOther, bobBrowser.send(http.MethodGet, "/console/", nil).Code, "signed out")
		r = newBrowser(t, a.testBundle).login("bob@example.com", pw)
		require.Equal(t, http.StatusUnauthorized, r.Code)
		requireContains(t, r.String(), "The email or password is not right.")
		requireContains(t, a.br.send(http.MethodGet, "/console/users", nil).String(), "Disabled")

		// Enable and reset the password: the new one is shown once and works.
		r = a.post("/console/users/"+bob.ID, url.Values{"name": {"Robert"}, "role": {"engineer"}})
		require.Equal(t, http.StatusOK, r.Code)
		r = a.post("/console/users/"+bob.ID+"/password", url.Values{})
		require.Equal(t, http.StatusOK, r.Code)
		fresh := match(t, shownPassword, r)
		require.NotEqual(t, pw, fresh)
		require.Equal(t, http.StatusUnauthorized, newBrowser(t, a.testBundle).login("bob@example.com", pw).Code)
		require.Equal(t, http.StatusSeeOther, newBrowser(t, a.testBundle).login("bob@example.com", fresh).Code)

		// The admin's own page offers no reset (that is the Password page).
		r = a.br.send(http.MethodGet, "/console/users/"+a.admin.ID, nil)
		require.Equal(t, http.StatusOK, r.Code)
		requireNotContains(t, r.String(), "/console/users/"+a.admin.ID+"/password")
		r = a.post("/console/users/"+a.admin.ID+"/password", url.Values{})
		require.Equal(t, http.StatusConflict, r.Code)
		requireContains(t, r.String(), "Password page")

		// It is all in the audit log, newest first.
		r = a.br.send(http.MethodGet, "/console/audit?subject_type=user&subject_id="+bob.ID, nil)
		require.Equal(t, http.StatusOK, r.Code)
		log := r.String()
		for _, action := range []string{"reset_password", "enable", "disable", "update", "login", "create"} {
			requireContains(t, log, "<strong>"+action+"</strong>")
		}
		require.Less(t, strings.Index(log, "reset_password"), strings.Index(log, "<strong>create</strong>"))
		requireContains(t, log, `<td>Role</td><td class="body" dir="auto">manager</td><td class="body" dir="auto">engineer</td>`)
		requireContains(t, log, `<td>Name</td><td class="body" dir="auto">Bob</td><td class="body" dir="auto">Robert</td>`)
		requireNotContains(t, log, "argon2")
		requireNotContains(t, log, fresh)
	})
}

func TestConsoleUsersBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		a := setupAdminConsole(t, bdb)
		other := statustest.User(t, a.svc, &statustest.UserOpts{Email: "taken@example.com", Role: status.RoleViewer})
		valid := func(edit func(url.Values)) url.Values {
			f := url.Values{"email": {"new@example.com"}, "name": {"New"}, "role": {"engineer"}}
			edit(f)
			return f
		}
		cases := []struct {
			name string
			form url.Values
			want string
		}{
			{"missing email", valid(func(f url.Values) { f.Del("email") }), "The email is required."},
			{"invalid email", valid(func(f url.Values) { f.Set("email", "not an email") }), "The email must be an email address"},
			{"script email", valid(func(f url.Values) { f.Set("email", `"><script>alert(1)</script>@x.org`) }), "The email must be"},
			{"duplicate email", valid(func(f url.Values) { f.Set("email", "TAKEN@example.com") }), "The email is already taken."},
			{"invalid role", valid(func(f url.Values) { f.Set("role", "root") }), "The role must be one of"},
			{"missing role", valid(func(f url.Values) { f.Del("role") }), "The role must be one of"},
			{"huge name", valid(func(f url.Values) { f.Set("name", strings.Repeat("n", 10000)) }), "The name is too long"},
			{"control characters", valid(func(f url.Values) { f.Set("name", "a\x00b") }), "The name must not contain control characters"},
			{"short password", valid(func(f url.Values) { f.Set("password", "short") }), "The password must be at least"},
		}
		for _, tc := range cases {
			r := a.post("/console/users", tc.form)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, "%s: %s", tc.name, excerpt(r.String()))
			requireContains(t, r.String(), tc.want, tc.name)
			requireContains(t, r.String(), `aria-invalid="true"`, tc.name)
			requireNotContains(t, r.String(), "<script>alert(1)", tc.name)
			requireNotContains(t, r.String(), "short\"", "a typed password is never echoed")
		}
		users, err := a.svc.Accounts.Users(a.ctx)
		require.NoError(t, err)
		require.Len(t, users, 2, "nothing was added")

		// A forged or missing CSRF token adds nobody.
		for _, tok := range []string{"", "forged"} {
			f := valid(func(url.Values) {})
			f.Set("_csrf", tok)
			r := a.br.send(http.MethodPost, "/console/users", f)
			require.Equal(t, http.StatusForbidden, r.Code)
		}
		users, err = a.svc.Accounts.Users(a.ctx)
		require.NoError(t, err)
		require.Len(t, users, 2)

		// A name with markup is shown as text on the list and in the log.
		r := a.post("/console/users", valid(func(f url.Values) { f.Set("name", `<script>alert("x")</script>`) }))
		require.Equal(t, http.StatusOK, r.Code)
		for _, path := range []string{"/console/users", "/console/audit"} {
			page := a.br.send(http.MethodGet, path, nil)
			require.Equal(t, http.StatusOK, page.Code)
			requireNotContains(t, page.String(), `<script>alert(`, path)
			requireContains(t, page.String(), `&lt;script&gt;alert(`, path)
		}

		// Edits: bad values, the last admin, oneself.
		r = a.post("/console/users/"+other.ID, url.Values{"name": {strings.Repeat("n", 10000)}, "role": {"boss"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		requireContains(t, r.String(), "The name is too long")
		requireContains(t, r.String(), "The role must be one of")
		r = a.post("/console/users/"+a.admin.ID, url.Values{"name": {"Ada"}, "role": {"viewer"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		requireContains(t, r.String(), "Herald needs at least one active admin")
		requireContains(t, r.String(), "The role must stay admin")
		r = a.post("/console/users/"+a.admin.ID, url.Values{"name": {"Ada"}, "role": {"admin"}, "disabled": {"1"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		requireContains(t, r.String(), "You cannot disable your own account.")
		me, err := a.svc.Accounts.UserByID(a.ctx, a.admin.ID)
		require.NoError(t, err)
		require.Equal(t, status.RoleAdmin, me.Role)
		require.False(t, me.Disabled())

		for _, path := range []string{"/console/users/nope", "/console/users/" + strings.Repeat("x", 300)} {
			require.Equal(t, http.StatusNotFound, a.br.send(http.MethodGet, path, nil).Code, path)
			require.Equal(t, http.StatusNotFound, a.post(path, url.Values{"role": {"viewer"}}).Code, path)
			require.Equal(t, http.StatusNotFound, a.post(path+"/password", url.Values{}).Code, path)
		}
	})
}

func TestConsoleAdminScreensAreForAdmins(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for _, role := range []status.Role{status.RoleViewer, status.RoleEngineer, status.RoleManager} {
			u := statustest.User(t, b.svc, &statustest.UserOpts{Role: role, Password: consolePassword})
			br := newBrowser(t, b)
			require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
			dash := br.send(http.MethodGet, "/console/", nil)
			requireNotContains(t, dash.String(), `href="/console/users"`, "no admin links for %s", role)
			tok := csrfOf(t, dash)
			for _, path := range []string{"/console/users", "/console/users/new", "/console/users/" + u.ID, "/console/tokens", "/console/audit"} {
				require.Equal(t, http.StatusForbidden, br.send(http.MethodGet, path, nil).Code, "%s %s", role, path)
			}
			r := br.send(http.MethodPost, "/console/users", url.Values{"_csrf": {tok}, "email": {"x@example.com"}, "role": {"admin"}})
			require.Equal(t, http.StatusForbidden, r.Code)
			r = br.send(http.MethodPost, "/console/users/"+u.ID, url.Values{"_csrf": {tok}, "role": {"admin"}})
			require.Equal(t, http.StatusForbidden, r.Code)
			r = br.send(http.MethodPost, "/console/tokens", url.Values{"_csrf": {tok}, "name": {"mine"}, "role": {"admin"}})
			require.Equal(t, http.StatusForbidden, r.Code)
			got, err := b.svc.Accounts.UserByID(b.ctx, u.ID)
			require.NoError(t, err)
			require.Equal(t, role, got.Role, "no one promotes themselves")
		}
		tokens, err := b.svc.Accounts.Tokens(b.ctx)
		require.NoError(t, err)
		require.Empty(t, tokens)
		n, err := b.svc.Accounts.UserCount(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})
}

func TestConsoleTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		a := setupAdminConsole(t, bdb)
		r := a.br.send(http.MethodGet, "/console/tokens", nil)
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), "No API tokens yet.")
		requireContains(t, r.String(), `<label for="name"`)
		requireContains(t, r.String(), `<label for="role"`)

		r = a.post("/console/tokens", url.Values{"name": {"CI deploys"}, "role": {"engineer"}})
		require.Equal(t, http.StatusOK, r.Code, excerpt(r.String()))
		tok := match(t, shownToken, r)
		require.Equal(t, 1, strings.Count(r.String(), tok), "the token is on the page exactly once")
		requireContains(t, r.String(), "shows it only this once")
		requireNotContains(t, a.br.send(http.MethodGet, "/console/tokens", nil).String(), tok, "and never again")

		// It works with its role's rights.
		api := func(method, path string, body any) reply { return a.do(t, apiRequest(method, path, tok, body)) }
		require.Equal(t, http.StatusOK, api(http.MethodGet, "/api/v1/pages", nil).Code)
		requireAPIError(t, api(http.MethodPost, "/api/v1/pages", map[string]any{"slug": "x", "name": "X"}), http.StatusForbidden)
		list := a.br.send(http.MethodGet, "/console/tokens", nil).String()
		requireContains(t, list, "<td>CI deploys</td>")
		requireContains(t, list, "<td>engineer</td>")
		requireContains(t, list, "just now", "last used")

		// Revoked, it is refused.
		tokens, err := a.svc.Accounts.Tokens(a.ctx)
		require.NoError(t, err)
		require.Len(t, tokens, 1)
		r = a.post("/console/tokens/"+tokens[0].ID+"/revoke", url.Values{})
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Equal(t, "/console/tokens", r.Header.Get("Location"))
		requireAPIError(t, api(http.MethodGet, "/api/v1/pages", nil), http.StatusUnauthorized)
		list = a.br.send(http.MethodGet, "/console/tokens", nil).String()
		requireContains(t, list, "Revoked")
		requireNotContains(t, list, "/revoke\"")
		require.Equal(t, http.StatusNotFound, a.post("/console/tokens/nope/revoke", url.Values{}).Code)

		// Bad input.
		for name, form := range map[string]url.Values{
			"no name":      {"role": {"viewer"}},
			"blank name":   {"name": {"   "}, "role": {"viewer"}},
			"huge name":    {"name": {strings.Repeat("t", 10000)}, "role": {"viewer"}},
			"invalid role": {"name": {"x"}, "role": {"root"}},
			"no role":      {"name": {"x"}},
		} {
			r := a.post("/console/tokens", form)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, name)
			require.Contains(t, r.String(), "field-error", name)
			require.Nil(t, shownToken.FindSubmatch(r.Body), name)
		}
		r = a.br.send(http.MethodPost, "/console/tokens", url.Values{"_csrf": {"forged"}, "name": {"x"}, "role": {"admin"}})
		require.Equal(t, http.StatusForbidden, r.Code)
		r = a.post("/console/tokens", url.Values{"name": {`<img src=x onerror=alert(1)>`}, "role": {"viewer"}})
		require.Equal(t, http.StatusOK, r.Code)
		requireNotContains(t, r.String(), `<img src=x`)
		tokens, err = a.svc.Accounts.Tokens(a.ctx)
		require.NoError(t, err)
		require.Len(t, tokens, 2)
	})
}

func TestConsoleAudit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		a := setupAdminConsole(t, bdb)
		ctx := status.WithActor(a.ctx, status.UserActor(a.admin))
		p := statustest.Page(t, a.svc, &statustest.PageOpts{TimeZone: "Asia/Kolkata"})
		inc := statustest.Incident(t, a.svc, p.ID, nil)

		r := a.br.send(http.MethodGet, "/console/audit", nil)
		require.Equal(t, http.StatusOK, r.Code)
		for _, id := range []string{"subject_type", "subject_id", "actor"} {
			requireContains(t, r.String(), `<label for="`+id+`"`)
		}
		requireContains(t, r.String(), `href="/console/pages/`+p.ID+`/incidents/`+inc.ID+`"`, "incidents link to their console page")
		// When, in the console's zone (the only page's) and relative (audit
		// times are only ever later than the test clock: they are unique
		// across the process); RFC 3339 only for machines.
		require.Regexp(t, `<time datetime="[0-9TZ:-]+">[A-Z][a-z]{2} [0-9]{1,2}, 20[0-9]{2} [0-9:]{5} IST</time> \((just now|[0-9]+ (minute|hour|day)s? ago)\)`, r.String())
		requirePeopleTimes(t, r.String(), "IST")

		// Newest first, 50 a page, with a link to older entries.
		for i := range 55 {
			a.clock.Advance(1e9)
			_, _, err := a.svc.Accounts.CreateToken(ctx, fmt.Sprintf("token %02d", i), status.RoleViewer)
			require.NoError(t, err)
		}
		r = a.br.send(http.MethodGet, "/console/audit?subject_type=token", nil)
		require.Equal(t, http.StatusOK, r.Code)
		page := r.String()
		require.Equal(t, 50, strings.Count(page, "<strong>create</strong>"))
		require.Less(t, strings.Index(page, "token 54"), strings.Index(page, "token 53"))
		requireNotContains(t, page, "token 04")
		older := regexp.MustCompile(`href="(/console/audit\?[^"]+)">Older entries`).FindStringSubmatch(page)
		require.NotNil(t, older, excerpt(page))
		next := strings.ReplaceAll(older[1], "&amp;", "&")
		require.Contains(t, next, "subject_type=token", "the filter stays")
		r = a.br.send(http.MethodGet, next, nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Equal(t, 5, strings.Count(r.String(), "<strong>create</strong>"))
		requireContains(t, r.String(), "token 00")
		requireNotContains(t, r.String(), "Older entries")
		requireContains(t, r.String(), "by user <a href=\"/console/audit?actor="+a.admin.ID+"\">Ada Admin</a>", "who: kind and name")

		// Filter by actor and by subject.
		r = a.br.send(http.MethodGet, "/console/audit?actor="+a.admin.ID, nil)
		require.Equal(t, http.StatusOK, r.Code)
		requireNotContains(t, r.String(), inc.ID, "the incident was made by Herald itself")
		r = a.br.send(http.MethodGet, "/console/audit?subject_type=incident&subject_id="+inc.ID, nil)
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), inc.ID)
		requireNotContains(t, r.String(), "token 54")
		r = a.br.send(http.MethodGet, "/console/audit?subject_type=nothing", nil)
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), "No entries match these filters.")

		// Bad filters are refused beside the field, inert.
		for q, field := range map[string]string{
			"subject_type=%3Cscript%3Ealert(1)%3C/script%3E": "subject type",
			"subject_id=" + strings.Repeat("x", 300):         "subject id",
			"actor=..%2F..%2Fetc":                            "actor id",
			"before=%27%20OR%201%3D1":                        "“older” link",
		} {
			r := a.br.send(http.MethodGet, "/console/audit?"+q, nil)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, q)
			requireContains(t, r.String(), "The "+field, q)
			requireNotContains(t, r.String(), "<script>alert(1)", q)
		}
		require.Equal(t, http.StatusNotFound, a.br.send(http.MethodGet, "/console/audit?before=nosuchentry", nil).Code)
	})
}
