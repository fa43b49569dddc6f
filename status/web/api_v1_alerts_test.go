package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Mapping rules and an item's alerts through the admin API; bad rules
// are refused with the field named and nothing stored.
func TestAdminAPIAlertRules(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		hb := setupHooks(t, bdb)
		tok, _, err := hb.svc.Accounts.CreateToken(hb.ctx, "automation", status.RoleManager)
		require.NoError(t, err)
		b := &adminBundle{testBundle: hb.testBundle, token: tok}
		p := statustest.Page(t, b.svc, nil)
		db := statustest.Component(t, b.svc, p.ID, &statustest.ComponentOpts{Name: "Database"})

		require.Empty(t, b.list(t, "/api/v1/alerts/rules"))
		rule := b.object(t, http.StatusCreated, http.MethodPost, "/api/v1/alerts/rules",
			map[string]any{"matchers": `service="postgres"`, "component_id": db.ID, "severity": "major", "auto_declare": false})
		require.Equal(t, `service="postgres"`, rule["matchers"])
		require.Equal(t, db.ID, rule["component_id"])
		plain := b.object(t, http.StatusCreated, http.MethodPost, "/api/v1/alerts/rules", map[string]any{"matchers": `team="web"`})
		require.Nil(t, plain["component_id"])
		require.Equal(t, "", plain["severity"])
		for _, tc := range []struct {
			name  string
			body  any
			field string
		}{
			{"no matchers", map[string]any{"severity": "major"}, "matchers"},
			{"bad matchers", map[string]any{"matchers": `service=="x"`}, "matchers"},
			{"bad regex", map[string]any{"matchers": `service=~"["`}, "matchers"},
			{"unknown component", map[string]any{"matchers": `a="b"`, "component_id": "zzzzzzzzzzzz"}, "component_id"},
			{"bad severity", map[string]any{"matchers": `a="b"`, "severity": "apocalyptic"}, "severity"},
			{"declare without component", map[string]any{"matchers": `a="b"`, "auto_declare": true}, "component_id"},
			{"unknown field", map[string]any{"matchers": `a="b"`, "priority": 1}, "priority"},
			{"wrong type", map[string]any{"matchers": 7}, "matchers"},
		} {
			r := b.call(t, http.MethodPost, "/api/v1/alerts/rules", tc.body)
			fields := requireAPIError(t, r, http.StatusUnprocessableEntity)
			require.Contains(t, fields, tc.field, "%s: %s", tc.name, r.Body)
		}
		require.Len(t, b.list(t, "/api/v1/alerts/rules"), 2, "nothing stored for bad rules")

		// The hook's alerts map by the rule.
		res := hb.result(t, hb.post(t, "alertmanager", amFiring))
		list := b.list(t, "/api/v1/intake/"+res.Items[0]+"/alerts")
		require.Len(t, list, 1)
		a := list[0].(map[string]any)
		require.Equal(t, "a1b2c3d4e5f60718", a["key"])
		require.Equal(t, "firing", a["status"])
		require.Equal(t, "major", a["suggested_severity"])
		require.Equal(t, []any{db.ID}, a["components"])
		require.Equal(t, "db1:9187", a["labels"].(map[string]any)["instance"])
		item := b.object(t, http.StatusOK, http.MethodGet, "/api/v1/intake/"+res.Items[0], nil)
		require.Equal(t, []any{db.ID}, item["components"])
		require.Equal(t, "major", item["severity"])
		requireAPIError(t, b.call(t, http.MethodGet, "/api/v1/intake/zzzzzzzzzzzz/alerts", nil), http.StatusNotFound)

		// PUT replaces the whole rule.
		put := b.object(t, http.StatusOK, http.MethodPut, "/api/v1/alerts/rules/"+plain["id"].(string),
			map[string]any{"matchers": `team=~"web|api"`, "severity": "minor"})
		require.Equal(t, `team=~"web|api"`, put["matchers"])
		require.Equal(t, "minor", put["severity"])
		requireAPIError(t, b.call(t, http.MethodPut, "/api/v1/alerts/rules/"+plain["id"].(string), map[string]any{"severity": "minor"}),
			http.StatusUnprocessableEntity)
		requireAPIError(t, b.call(t, http.MethodPut, "/api/v1/alerts/rules/zzzzzzzzzzzz", map[string]any{"matchers": `a="b"`}),
			http.StatusNotFound)

		b.must(t, http.StatusNoContent, http.MethodDelete, "/api/v1/alerts/rules/"+rule["id"].(string), nil)
		requireAPIError(t, b.call(t, http.MethodDelete, "/api/v1/alerts/rules/"+rule["id"].(string), nil), http.StatusNotFound)
		require.Len(t, b.list(t, "/api/v1/alerts/rules"), 1)
		item = b.object(t, http.StatusOK, http.MethodGet, "/api/v1/intake/"+res.Items[0], nil)
		require.Empty(t, item["components"], "mapped again without the rule")
	})
}
