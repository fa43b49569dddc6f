package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// consoleAccess is who may use each console route: "anyone" (no session
// needed), "signed-in" (any role), "writer" (engineer, manager, admin; not
// viewer), "manager" (manager, admin) or "admin". Every registered console
// route must be listed, so a new route cannot be added without deciding
// who may use it. Test files of other console areas add theirs with
// allowConsole.
var consoleAccess = map[string]string{
	"GET /console/login":                                            "anyone",
	"POST /console/login":                                           "anyone",
	"POST /console/logout":                                          "signed-in",
	"GET /console/":                                                 "signed-in",
	"GET /console/password":                                         "signed-in",
	"POST /console/preview":                                         "signed-in",
	"POST /console/password":                                        "signed-in",
	"GET /console/incidents/new":                                    "writer",
	"POST /console/incidents":                                       "writer",
	"GET /console/pages/:page/incidents/:id":                        "signed-in",
	"GET /console/pages/:page/incidents/:id/timeline.md":            "signed-in",
	"POST /console/pages/:page/incidents/:id/updates":               "writer",
	"POST /console/pages/:page/incidents/:id/notes":                 "writer",
	"POST /console/pages/:page/incidents/:id/customers":             "writer",
	"POST /console/pages/:page/incidents/:id/edit":                  "writer",
	"POST /console/pages/:page/incidents/:id/scheduled/:sid/cancel": "writer",
	"POST /console/pages/:page/incidents/:id/roles":                 "writer",
	"POST /console/pages/:page/incidents/:id/escalations":           "writer",
	"POST /console/pages/:page/incidents/:id/process":               "writer",
	"POST /console/pages/:page/incidents/:id/close":                 "writer",
	"POST /console/pages/:page/incidents/:id/postmortem":            "writer",
}

// allowConsole adds access rules to consoleAccess; call it from init.
func allowConsole(rules map[string]string) {
	for k, v := range rules {
		if _, dup := consoleAccess[k]; dup {
			panic("console access rule listed twice: " + k)
		}
		consoleAccess[k] = v
	}
}

// refused reports whether rule keeps role out.
func refused(rule string, role status.Role) bool {
	switch rule {
	case "writer":
		return role == status.RoleViewer
	case "manager":
		return role == status.RoleViewer || role == status.RoleEngineer
	case "admin":
		return role != status.RoleAdmin
	}
	return false
}

// TestConsoleRouteWalk requests every console route as an anonymous
// visitor and as each role, and checks who gets through.
func TestConsoleRouteWalk(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)

		var routes []string
		seen := map[string]bool{}
		for _, r := range b.srv.App().GetRoutes(true) {
			key := r.Method + " " + r.Path
			if !strings.HasPrefix(r.Path, "/console") || (r.Method != http.MethodGet && r.Method != http.MethodPost) || seen[key] {
				continue
			}
			seen[key] = true
			routes = append(routes, key)
			_, ok := consoleAccess[key]
			require.True(t, ok, "console route %s has no access rule in consoleAccess", key)
		}
		require.Len(t, routes, len(consoleAccess), "every listed route exists")

		fill := func(path string) string {
			return strings.NewReplacer(":page", p.ID, ":id", inc.ID).Replace(path)
		}
		browsers := map[string]*browser{"anonymous": newBrowser(t, b)}
		tokens := map[string]string{}
		for _, role := range []status.Role{status.RoleViewer, status.RoleEngineer, status.RoleManager, status.RoleAdmin} {
			u := statustest.User(t, b.svc, &statustest.UserOpts{Role: role, Password: consolePassword})
			br := newBrowser(t, b)
			require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
			browsers[string(role)] = br
			tokens[string(role)] = csrfOf(t, br.send(http.MethodGet, "/console/", nil))
		}
		for _, key := range routes {
			method, path, _ := strings.Cut(key, " ")
			rule := consoleAccess[key]
			if rule == "anyone" || path == "/console/logout" {
				continue // the login form and logout are covered by the login tests
			}
			for who, br := range browsers {
				form := url.Values{"_csrf": {tokens[who]}}
				var r reply
				if method == http.MethodGet {
					r = br.send(method, fill(path), nil)
				} else {
					r = br.send(method, fill(path), form)
				}
				switch {
				case who == "anonymous" && method == http.MethodGet:
					require.Equal(t, http.StatusSeeOther, r.Code, "%s as %s", key, who)
					require.Contains(t, r.Header.Get("Location"), "/console/login")
				case who == "anonymous":
					require.Equal(t, http.StatusUnauthorized, r.Code, "%s as %s", key, who)
				case refused(rule, status.Role(who)):
					require.Equal(t, http.StatusForbidden, r.Code, "%s as %s", key, who)
				default:
					require.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, r.Code, "%s as %s: %s", key, who, r)
					require.Less(t, r.Code, 500, "%s as %s", key, who)
				}
			}
		}
	})
}
