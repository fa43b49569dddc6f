package web_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// apiAccess is the least role each admin API route needs (viewer <
// engineer < manager < admin). Every registered /api/v1 route must be
// listed, so a new route cannot be added without deciding who may use it.
var apiAccess = map[string]status.Role{
	"GET /api/v1/pages":                     status.RoleViewer,
	"POST /api/v1/pages":                    status.RoleManager,
	"GET /api/v1/pages/:page":               status.RoleViewer,
	"PATCH /api/v1/pages/:page":             status.RoleManager,
	"DELETE /api/v1/pages/:page":            status.RoleManager,
	"GET /api/v1/pages/:page/groups":        status.RoleViewer,
	"POST /api/v1/pages/:page/groups":       status.RoleManager,
	"PUT /api/v1/pages/:page/groups/:id":    status.RoleManager,
	"DELETE /api/v1/pages/:page/groups/:id": status.RoleManager,

	"GET /api/v1/pages/:page/components":        status.RoleViewer,
	"POST /api/v1/pages/:page/components":       status.RoleManager,
	"GET /api/v1/pages/:page/components/:id":    status.RoleViewer,
	"PATCH /api/v1/pages/:page/components/:id":  status.RoleManager,
	"DELETE /api/v1/pages/:page/components/:id": status.RoleManager,

	"GET /api/v1/pages/:page/incidents":                  status.RoleViewer,
	"POST /api/v1/pages/:page/incidents":                 status.RoleEngineer,
	"GET /api/v1/pages/:page/incidents/:id":              status.RoleViewer,
	"PATCH /api/v1/pages/:page/incidents/:id":            status.RoleEngineer,
	"DELETE /api/v1/pages/:page/incidents/:id":           status.RoleManager,
	"POST /api/v1/pages/:page/incidents/:id/updates":     status.RoleEngineer,
	"POST /api/v1/pages/:page/incidents/:id/resolve":     status.RoleEngineer,
	"POST /api/v1/pages/:page/incidents/:id/escalations": status.RoleEngineer,
	"GET /api/v1/pages/:page/maintenances":               status.RoleViewer,
	"POST /api/v1/pages/:page/maintenances":              status.RoleEngineer,
	"GET /api/v1/pages/:page/maintenances/:id":           status.RoleViewer,
	"PATCH /api/v1/pages/:page/maintenances/:id":         status.RoleEngineer,
	"DELETE /api/v1/pages/:page/maintenances/:id":        status.RoleManager,
	"POST /api/v1/pages/:page/maintenances/:id/updates":  status.RoleEngineer,
	"GET /api/v1/customers":                              status.RoleViewer,
	"GET /api/v1/customers/:id":                          status.RoleViewer,
	"GET /api/v1/intake":                                 status.RoleViewer,
	"GET /api/v1/intake/:id":                             status.RoleViewer,
	"POST /api/v1/intake/tickets":                        status.RoleEngineer,
	"POST /api/v1/intake/:id/acknowledge":                status.RoleEngineer,
	"GET /api/v1/intake/:id/alerts":                      status.RoleViewer,
	"GET /api/v1/alerts/rules":                           status.RoleViewer,
	"POST /api/v1/alerts/rules":                          status.RoleManager,
	"PUT /api/v1/alerts/rules/:id":                       status.RoleManager,
	"DELETE /api/v1/alerts/rules/:id":                    status.RoleManager,
}

// apiRoutes lists the registered admin API routes as "METHOD path", the
// deletions last (deepest first), so that a route walk deletes nothing
// that a later request needs.
func apiRoutes(b *testBundle) []string {
	var routes []string
	seen := map[string]bool{}
	for _, r := range b.srv.App().GetRoutes(true) {
		key := r.Method + " " + r.Path
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodHead || seen[key] {
			continue
		}
		seen[key] = true
		routes = append(routes, key)
	}
	sort.SliceStable(routes, func(i, j int) bool {
		di, dj := strings.HasPrefix(routes[i], "DELETE "), strings.HasPrefix(routes[j], "DELETE ")
		if di != dj {
			return dj
		}
		return di && len(routes[i]) > len(routes[j])
	})
	return routes
}

// TestAdminAPIRolesRouteWalk calls every admin API route without a token
// and with a token of each role, and checks who gets through.
func TestAdminAPIRolesRouteWalk(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		var as *alerts.Service
		b := setup(t, bdb, func(d *web.Deps) {
			as = alerts.New(bdb, d.Service, alerts.Options{})
			d.Alerts = as
		})
		routes := apiRoutes(b)
		for _, key := range routes {
			_, ok := apiAccess[key]
			require.True(t, ok, "admin API route %s has no rule in apiAccess", key)
		}
		require.Len(t, routes, len(apiAccess), "every listed route exists")

		p := statustest.Page(t, b.svc, nil)
		ids := map[string]string{
			"groups":       statustest.Group(t, b.svc, p.ID, nil).ID,
			"components":   statustest.Component(t, b.svc, p.ID, nil).ID,
			"incidents":    statustest.Incident(t, b.svc, p.ID, nil).ID,
			"maintenances": statustest.Maintenance(t, b.svc, p.ID, nil).ID,
		}
		item, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakePortal, Title: "Walk", Reference: "W-1"})
		require.NoError(t, err)
		ids["intake"] = item.ID
		rule, err := as.AddRule(b.ctx, alerts.RuleInput{Matchers: `walk="yes"`})
		require.NoError(t, err)
		ids["rules"] = rule.ID
		fill := func(path string) string {
			parts := strings.Split(strings.Replace(path, ":page", p.ID, 1), "/")
			for i, part := range parts {
				if part == ":id" {
					parts[i] = ids[parts[i-1]]
				}
			}
			return strings.Join(parts, "/")
		}
		tokens := map[status.Role]string{}
		for _, role := range status.Roles {
			tok, _, err := b.svc.Accounts.CreateToken(b.ctx, "walk "+string(role), role)
			require.NoError(t, err)
			tokens[role] = tok
		}

		for _, key := range routes {
			method, path, _ := strings.Cut(key, " ")
			least := apiAccess[key]
			var body any
			if method != http.MethodGet && method != http.MethodDelete {
				body = map[string]any{}
			}
			r := b.do(t, apiRequest(method, fill(path), "", body))
			requireAPIError(t, r, http.StatusUnauthorized)
			// Least powerful first, so an allowed deletion comes after
			// every refusal of it.
			for i := len(status.Roles) - 1; i >= 0; i-- {
				role := status.Roles[i]
				r := b.do(t, apiRequest(method, fill(path), tokens[role], body))
				if !role.AtLeast(least) {
					requireAPIError(t, r, http.StatusForbidden)
					require.Contains(t, r.String(), "("+string(role)+")", key)
					continue
				}
				require.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, r.Code, "%s as %s: %s", key, role, r)
				require.Less(t, r.Code, 500, "%s as %s: %s", key, role, r)
				if method == http.MethodDelete {
					break // it is gone
				}
			}
		}
	})
}

// TestAdminAPIRefusesWritesBelowTheRole checks that a refused write
// changes nothing, and that an allowed one is audited as the token.
func TestAdminAPIRefusesWritesBelowTheRole(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		viewer, _, err := b.svc.Accounts.CreateToken(b.ctx, "dashboards", status.RoleViewer)
		require.NoError(t, err)
		manager, mt, err := b.svc.Accounts.CreateToken(b.ctx, "provisioning", status.RoleManager)
		require.NoError(t, err)

		r := b.do(t, apiRequest(http.MethodPost, "/api/v1/pages", viewer, map[string]any{"slug": "sneaky", "name": "Sneaky"}))
		requireAPIError(t, r, http.StatusForbidden)
		pages, err := b.svc.Pages.List(b.ctx)
		require.NoError(t, err)
		require.Empty(t, pages)

		r = b.do(t, apiRequest(http.MethodPost, "/api/v1/pages", manager, map[string]any{"slug": "fine", "name": "Fine"}))
		require.Equal(t, http.StatusCreated, r.Code, r.String())
		es, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "page"})
		require.NoError(t, err)
		require.Len(t, es, 1)
		require.Equal(t, status.ActorToken, es[0].ActorKind)
		require.Equal(t, mt.ID, es[0].ActorID)
		require.Equal(t, "provisioning", es[0].ActorName)

		// A revoked token is refused like an unknown one.
		require.NoError(t, b.svc.Accounts.RevokeToken(b.ctx, mt.ID))
		r = b.do(t, apiRequest(http.MethodGet, "/api/v1/pages", manager, nil))
		requireAPIError(t, r, http.StatusUnauthorized)
		require.Equal(t, `Bearer realm="herald", error="invalid_token"`, r.Header.Get("WWW-Authenticate"))
	})
}
