package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The admin API widens an incident explicitly: earlier updates stay where
// they were unless listed, a public title can be set, and forged or
// foreign values are refused with nothing changed.
func TestAdminAPIWidening(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "api-widen"})
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Acme's shop is down", Visibility: status.VisibilityCustomers,
			Customers: []string{acme.ID}, Body: "Acme only: first."})
		second, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{Body: "Acme only: second."})
		require.NoError(t, err)
		other := statustest.Incident(t, b.svc, p.ID, nil)
		path := "/api/v1/pages/" + p.ID + "/incidents/" + inc.ID

		for name, body := range map[string]any{
			"forged visibility":     map[string]any{"visibility": "everyone"},
			"forged update id":      map[string]any{"visibility": "public", "publish_updates": []string{"'; DROP TABLE x"}},
			"another incident's":    map[string]any{"visibility": "public", "publish_updates": []string{other.Updates[0].ID}},
			"listed, not widening":  map[string]any{"publish_updates": []string{second.ID}},
			"public title too long": map[string]any{"public_title": strings.Repeat("x", 1000)},
			"wrong type":            map[string]any{"publish_updates": "all"},
		} {
			r := b.call(t, http.MethodPatch, path, body)
			require.True(t, r.Code == http.StatusBadRequest || r.Code == http.StatusUnprocessableEntity, "%s: %d %s", name, r.Code, r.Body)
		}
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.VisibilityCustomers, got.Visibility, "nothing changed")

		out := b.object(t, http.StatusOK, http.MethodPatch, path, map[string]any{"visibility": "public", "public_title": "Shop outage",
			"publish_updates": []string{second.ID}})
		require.Equal(t, "public", out["visibility"])
		require.Equal(t, "Shop outage", out["public_title"])
		auds := map[string]string{}
		for _, u := range out["updates"].([]any) {
			u := u.(map[string]any)
			auds[u["body"].(string)] = u["visibility"].(string)
		}
		require.Equal(t, map[string]string{"Acme only: first.": "customers", "Acme only: second.": "public"}, auds)
		b.refresh(t)
		pub := b.get(t, "", "/p/api-widen/api/v2/incidents.json").String()
		requireContains(t, pub, "Shop outage")
		requireContains(t, pub, "Acme only: second.")
		requireNotContains(t, pub, "Acme only: first.")
		requireNotContains(t, pub, "Acme's shop is down")

		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)
		b.must(t, http.StatusOK, http.MethodPatch, path, map[string]any{"visibility": "customers"})
		requireAPIError(t, b.call(t, http.MethodPatch, path, map[string]any{"visibility": "public"}), http.StatusConflict)
	})
}

// A PATCH may name the incident version it was based on with If-Match
// (the ETag of a GET): a stale one is refused with 412 and nothing changes.
func TestAdminAPIPatchIfMatch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Before"})
		path := "/api/v1/pages/" + p.ID + "/incidents/" + inc.ID
		r := b.call(t, http.MethodGet, path, nil)
		etag := r.Header.Get("ETag")
		require.Regexp(t, `^"\d+"$`, etag)

		patch := func(ifMatch, title string) reply {
			req := apiRequest(http.MethodPatch, path, b.token, map[string]any{"title": title})
			if ifMatch != "" {
				req.Header.Set("If-Match", ifMatch)
			}
			return b.do(t, req)
		}
		r = patch(etag, "First")
		require.Equal(t, http.StatusOK, r.Code, r.String())
		require.NotEqual(t, etag, r.Header.Get("ETag"), "a change is a new version")
		r = patch(etag, "Second, from a stale read")
		require.Equal(t, http.StatusPreconditionFailed, r.Code, r.String())
		requireContains(t, r.String(), "changed since the version If-Match names")
		for _, bad := range []string{`"abc"`, `"-1"`, "*x"} {
			require.Equal(t, http.StatusBadRequest, patch(bad, "Third").Code, bad)
		}
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "First", got.Title)
		cur := b.call(t, http.MethodGet, path, nil).Header.Get("ETag")
		require.Equal(t, http.StatusOK, patch("W/"+cur, "Weak").Code)
	})
}
