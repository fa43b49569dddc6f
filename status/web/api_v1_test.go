package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// apiRequest builds an admin API request. body is sent as is when it is a
// string or []byte, as JSON otherwise; nil sends no body.
func apiRequest(method, path, token string, body any) *http.Request {
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// adminBundle is a testBundle with an API token.
type adminBundle struct {
	*testBundle
	token string
}

func setupAdmin(t *testing.T, bdb *bun.DB) *adminBundle {
	t.Helper()
	b := setup(t, bdb)
	tok, _, err := b.svc.Accounts.CreateToken(b.ctx, "tests", status.RoleAdmin)
	require.NoError(t, err)
	return &adminBundle{testBundle: b, token: tok}
}

// call sends an admin API request and returns the answer.
func (b *adminBundle) call(t *testing.T, method, path string, body any) reply {
	t.Helper()
	return b.do(t, apiRequest(method, path, b.token, body))
}

// must sends an admin API request, requires the status code and decodes
// the JSON answer (nil for 204).
func (b *adminBundle) must(t *testing.T, code int, method, path string, body any) any {
	t.Helper()
	r := b.call(t, method, path, body)
	require.Equal(t, code, r.Code, "%s %s: %s", method, path, r.Body)
	if code == http.StatusNoContent {
		require.Empty(t, r.Body)
		return nil
	}
	require.Contains(t, r.Header.Get("Content-Type"), "application/json")
	var out any
	require.NoError(t, json.Unmarshal(r.Body, &out), "body: %s", r.Body)
	return out
}

func (b *adminBundle) object(t *testing.T, code int, method, path string, body any) map[string]any {
	t.Helper()
	m, ok := b.must(t, code, method, path, body).(map[string]any)
	require.True(t, ok, "a JSON object")
	return m
}

func (b *adminBundle) list(t *testing.T, path string) []any {
	t.Helper()
	l, ok := b.must(t, http.StatusOK, http.MethodGet, path, nil).([]any)
	require.True(t, ok, "a JSON array")
	return l
}

func TestAdminAPIAuth(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		for _, tc := range []struct {
			name, auth, challenge string
		}{
			{"no header", "", `Bearer realm="herald"`},
			{"not bearer", "Basic dXNlcjpwYXNz", `Bearer realm="herald"`},
			{"empty bearer", "Bearer ", `Bearer realm="herald"`},
			{"wrong token", "Bearer hrld_" + strings.Repeat("x", 43), `Bearer realm="herald", error="invalid_token"`},
			{"not a herald token", "Bearer abc", `Bearer realm="herald", error="invalid_token"`},
			{"token with a typo", "Bearer " + b.token[:len(b.token)-1] + "!", `Bearer realm="herald", error="invalid_token"`},
			{"huge token", "Bearer hrld_" + strings.Repeat("a", 5000), `Bearer realm="herald", error="invalid_token"`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, path := range []string{"/api/v1/pages", "/api/v1/pages/x/incidents", "/api/v1/nothing"} {
					req := apiRequest(http.MethodGet, path, "", nil)
					if tc.auth != "" {
						req.Header.Set("Authorization", tc.auth)
					}
					r := b.do(t, req)
					requireAPIError(t, r, http.StatusUnauthorized)
					require.Equal(t, tc.challenge, r.Header.Get("WWW-Authenticate"))
				}
			})
		}
		t.Run("a write without a token writes nothing", func(t *testing.T) {
			r := b.do(t, apiRequest(http.MethodPost, "/api/v1/pages", "", map[string]any{"slug": "sneaky", "name": "Sneaky"}))
			requireAPIError(t, r, http.StatusUnauthorized)
			require.Empty(t, b.list(t, "/api/v1/pages"))
		})
		t.Run("the right token works", func(t *testing.T) {
			require.Empty(t, b.list(t, "/api/v1/pages"))
			r := b.call(t, http.MethodGet, "/api/v1/nothing", nil)
			requireAPIError(t, r, http.StatusNotFound)
		})
	})
}

func TestAdminAPICRUD(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)

		// Pages.
		page := b.object(t, http.StatusCreated, http.MethodPost, "/api/v1/pages", map[string]any{
			"slug": "crud", "name": "CRUD Inc", "time_zone": "Europe/Berlin", "hosts": []string{"Status.CRUD.test"},
			"support_email": "help@crud.test", "support_url": "https://crud.test/help", "description": "Our services."})
		pid := page["id"].(string)
		require.Equal(t, "crud", page["slug"])
		require.Equal(t, []any{"status.crud.test"}, page["hosts"], "host names are lower-cased")
		require.Equal(t, "https://status.crud.test", page["url"])
		require.Equal(t, "Europe/Berlin", page["time_zone"])
		require.Equal(t, pid, b.object(t, http.StatusOK, http.MethodGet, "/api/v1/pages/"+pid, nil)["id"])
		require.Equal(t, pid, b.object(t, http.StatusOK, http.MethodGet, "/api/v1/pages/crud", nil)["id"], "by slug too")
		page = b.object(t, http.StatusOK, http.MethodPatch, "/api/v1/pages/crud", map[string]any{"name": "CRUD Corp", "hosts": []string{}})
		require.Equal(t, "CRUD Corp", page["name"])
		require.Equal(t, []any{}, page["hosts"])
		require.Equal(t, "Our services.", page["description"], "fields not sent stay")
		require.Equal(t, baseURL+"/p/crud", page["url"])
		require.Len(t, b.list(t, "/api/v1/pages"), 1)
		pages := "/api/v1/pages/" + pid

		// Groups.
		group := b.object(t, http.StatusCreated, http.MethodPost, pages+"/groups", map[string]any{"name": "Backend", "position": 2})
		gid := group["id"].(string)
		group = b.object(t, http.StatusOK, http.MethodPut, pages+"/groups/"+gid, map[string]any{"name": "Back end", "description": "Servers"})
		require.Equal(t, "Back end", group["name"])
		require.EqualValues(t, 0, group["position"], "PUT replaces every field")
		require.Len(t, b.list(t, pages+"/groups"), 1)
		req := apiRequest(http.MethodPost, pages+"/groups", b.token, map[string]any{"name": "Frontend"})
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		r := b.do(t, req)
		require.Equal(t, http.StatusCreated, r.Code, "a charset parameter is fine: %s", r.Body)
		b.must(t, http.StatusNoContent, http.MethodDelete, pages+"/groups/"+decodeObject(t, r.Body)["id"].(string), nil)

		// Components, with a status change.
		comp := b.object(t, http.StatusCreated, http.MethodPost, pages+"/components", map[string]any{
			"name": "API", "group_id": gid, "position": 1})
		cid := comp["id"].(string)
		require.Equal(t, "operational", comp["status"])
		require.Equal(t, gid, comp["group_id"])
		web := b.object(t, http.StatusCreated, http.MethodPost, pages+"/components", map[string]any{
			"name": "Web", "status": "degraded_performance", "hidden": true})
		wid := web["id"].(string)
		require.Equal(t, true, web["hidden"])
		comp = b.object(t, http.StatusOK, http.MethodPatch, pages+"/components/"+cid, map[string]any{"status": "major_outage"})
		require.Equal(t, "major_outage", comp["status"])
		require.Equal(t, gid, comp["group_id"], "a patch keeps what it does not name")
		comp = b.object(t, http.StatusOK, http.MethodGet, pages+"/components/"+cid, nil)
		require.Equal(t, "major_outage", comp["status"])
		b.refresh(t)
		r = b.get(t, "", "/p/crud/api/v2/components.json")
		requireContains(t, r.String(), `"status":"major_outage"`)
		requireNotContains(t, r.String(), wid, "hidden components stay hidden")
		comp = b.object(t, http.StatusOK, http.MethodPatch, pages+"/components/"+cid, map[string]any{"group_id": nil, "status": "operational"})
		require.Nil(t, comp["group_id"], "an explicit null ungroups")
		b.object(t, http.StatusOK, http.MethodPatch, pages+"/components/"+cid, map[string]any{"group_id": gid})
		require.Len(t, b.list(t, pages+"/components"), 2)

		// Incidents: create, update, patch, resolve, delete.
		cu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		inc := b.object(t, http.StatusCreated, http.MethodPost, pages+"/incidents", map[string]any{
			"title": "API down", "severity": "major", "visibility": "public", "body": "We are looking into it.",
			"components": []map[string]any{{"id": cid, "status": "major_outage"}}, "author": "Ada", "customers": []string{cu.ID}})
		iid := inc["id"].(string)
		affected, err := b.svc.Incidents.Customers(b.ctx, iid)
		require.NoError(t, err)
		require.Len(t, affected, 1, "the customers are linked at declaration")
		require.Equal(t, "Acme", affected[0].Name)
		require.Equal(t, "investigating", inc["state"])
		require.Equal(t, "major", inc["severity"])
		require.Equal(t, "#incident-"+b.clock.Now().UTC().Format(time.DateOnly), inc["channel"], "its own chat channel")
		require.Len(t, inc["updates"], 1)
		require.Equal(t, []any{map[string]any{"id": cid, "status": "major_outage"}}, inc["components"])
		incs := pages + "/incidents/" + iid

		b.clock.Advance(10 * time.Minute)
		eta := b.clock.Now().Add(time.Hour).Format(time.RFC3339)
		upd := b.object(t, http.StatusCreated, http.MethodPost, incs+"/updates", map[string]any{
			"state": "mitigating", "kind": "eta", "eta": eta, "body": "Fix expected within the hour.",
			"components": []map[string]any{{"id": cid, "status": "partial_outage"}}})
		require.Equal(t, "mitigating", upd["state"])
		require.Equal(t, "eta", upd["kind"])
		require.NotNil(t, upd["eta"])
		require.Equal(t, "partial_outage", b.object(t, http.StatusOK, http.MethodGet, pages+"/components/"+cid, nil)["status"])

		inc = b.object(t, http.StatusOK, http.MethodPatch, incs, map[string]any{"title": "API errors", "severity": "minor"})
		require.Equal(t, "API errors", inc["title"])
		require.Equal(t, "minor", inc["severity"])
		require.Equal(t, "#operations", inc["channel"], "minor incidents run in #operations")
		require.Equal(t, "mitigating", inc["state"], "a patch does not change the state")

		open := "?open=true"
		require.Len(t, b.list(t, pages+"/incidents"+open), 1)
		b.clock.Advance(10 * time.Minute)
		res := b.object(t, http.StatusCreated, http.MethodPost, incs+"/resolve", map[string]any{"body": "All good."})
		require.Equal(t, "resolved", res["state"])
		require.Equal(t, "resolution", res["kind"])
		require.Equal(t, "permanent", res["resolution"])
		inc = b.object(t, http.StatusOK, http.MethodGet, incs, nil)
		require.Equal(t, "resolved", inc["state"])
		require.NotNil(t, inc["resolved_at"])
		require.Len(t, inc["updates"], 3)
		require.Equal(t, "operational", b.object(t, http.StatusOK, http.MethodGet, pages+"/components/"+cid, nil)["status"],
			"resolving restores the components")
		require.Empty(t, b.list(t, pages+"/incidents"+open))
		require.Len(t, b.list(t, pages+"/incidents?open=false"), 1)

		inc = b.object(t, http.StatusOK, http.MethodPatch, incs, map[string]any{"postmortem": "A bad deploy."})
		require.Equal(t, "A bad deploy.", inc["postmortem"])
		inc = b.object(t, http.StatusOK, http.MethodPatch, incs, map[string]any{"visibility": "internal"})
		require.Equal(t, "internal", inc["visibility"])
		requireAPIError(t, b.call(t, http.MethodPatch, incs, map[string]any{"visibility": "public"}), http.StatusConflict)
		b.refresh(t)
		r = b.get(t, "", "/p/crud/api/v2/incidents.json")
		requireNotContains(t, r.String(), iid, "an incident made internal leaves the public API")

		b.must(t, http.StatusNoContent, http.MethodDelete, incs, nil)
		requireAPIError(t, b.call(t, http.MethodGet, incs, nil), http.StatusNotFound)
		requireAPIError(t, b.call(t, http.MethodDelete, incs, nil), http.StatusNotFound)

		// Maintenances: schedule, patch, move along, delete.
		from, until := b.clock.Now().Add(time.Hour), b.clock.Now().Add(3*time.Hour)
		m := b.object(t, http.StatusCreated, http.MethodPost, pages+"/maintenances", map[string]any{
			"title": "Upgrade", "description": "Upgrading the API.", "scheduled_for": from.Format(time.RFC3339),
			"scheduled_until": until.Format(time.RFC3339), "components": []string{cid}})
		mid := m["id"].(string)
		require.Equal(t, "scheduled", m["state"])
		require.Equal(t, []any{cid}, m["components"])
		mnt := pages + "/maintenances/" + mid
		m = b.object(t, http.StatusOK, http.MethodPatch, mnt, map[string]any{"title": "API upgrade",
			"scheduled_until": until.Add(time.Hour).Format(time.RFC3339)})
		require.Equal(t, "API upgrade", m["title"])
		mu := b.object(t, http.StatusCreated, http.MethodPost, mnt+"/updates", map[string]any{"state": "in_progress", "body": "Started."})
		require.Equal(t, "in_progress", mu["state"])
		require.Equal(t, true, mu["notify"], "subscribers are told by default")
		silent := b.object(t, http.StatusCreated, http.MethodPost, mnt+"/updates", map[string]any{"body": "Started (typo fixed).", "notify": false})
		require.Equal(t, false, silent["notify"])
		require.Equal(t, "under_maintenance", b.object(t, http.StatusOK, http.MethodGet, pages+"/components/"+cid, nil)["status"])
		m = b.object(t, http.StatusOK, http.MethodGet, mnt, nil)
		require.Equal(t, "in_progress", m["state"])
		require.Len(t, m["updates"], 3)
		b.object(t, http.StatusCreated, http.MethodPost, mnt+"/updates", map[string]any{"state": "completed", "body": "Done."})
		require.Equal(t, "operational", b.object(t, http.StatusOK, http.MethodGet, pages+"/components/"+cid, nil)["status"])
		require.Len(t, b.list(t, pages+"/maintenances"), 1)
		b.must(t, http.StatusNoContent, http.MethodDelete, mnt, nil)
		requireAPIError(t, b.call(t, http.MethodGet, mnt, nil), http.StatusNotFound)
		require.Empty(t, b.list(t, pages+"/maintenances"))

		// Deleting a group keeps its components, ungrouped.
		b.must(t, http.StatusNoContent, http.MethodDelete, pages+"/groups/"+gid, nil)
		require.Nil(t, b.object(t, http.StatusOK, http.MethodGet, pages+"/components/"+cid, nil)["group_id"])
		require.Empty(t, b.list(t, pages+"/groups"))
		b.must(t, http.StatusNoContent, http.MethodDelete, pages+"/components/"+wid, nil)
		requireAPIError(t, b.call(t, http.MethodGet, pages+"/components/"+wid, nil), http.StatusNotFound)

		// Deleting the page takes everything with it.
		b.must(t, http.StatusNoContent, http.MethodDelete, pages, nil)
		requireAPIError(t, b.call(t, http.MethodGet, pages, nil), http.StatusNotFound)
		requireAPIError(t, b.call(t, http.MethodGet, pages+"/components", nil), http.StatusNotFound)
		require.Empty(t, b.list(t, "/api/v1/pages"))
		b.refresh(t)
		require.Equal(t, http.StatusNotFound, b.get(t, "", "/p/crud/").Code)
	})
}

// TestBodyOverServerLimit sends a body larger than the server accepts at
// all over a real connection (app.Test cannot show this answer): the
// client still gets the JSON error, before the body is read.
func TestBodyOverServerLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		r := postOverLimit(t, b.srv, "/api/v1/pages", b.token, `{"name":"`)
		requireAPIError(t, r, http.StatusRequestEntityTooLarge)
		require.Empty(t, b.list(t, "/api/v1/pages"))
	})
}
