package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// A customer's private link shows the customer-facing updates of an
// incident that is not public, and nothing else; it stops working when it
// expires, when the customer is unlinked or the incident made internal.
func TestPrivateIncidentLink(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		secret := []byte("a secret of enough bytes for links")
		b := setup(t, bdb, func(d *web.Deps) { d.Secret = secret })
		tokens := comms.NewTokens(secret)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{Slug: "shop"})
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})
		globex := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Globex"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Acme's cluster", Visibility: status.VisibilityCustomers,
			Body: "Your cluster is degraded."})
		require.NoError(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{acme.ID}))
		_, err := b.svc.Incidents.AddNote(b.ctx, p.ID, inc.ID, "INTERNAL NOTE", "Casey", nil)
		require.NoError(t, err)
		b.refresh(t)

		link := comms.PrivateIncidentURL(tokens, nil, p, inc.ID, acme.ID, b.clock.Now())
		path := strings.TrimPrefix(link, "http://localhost:8080")
		r := b.get(t, "", path)
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "Your cluster is degraded.")
		requireNotContains(t, r.String(), "INTERNAL NOTE")
		require.Equal(t, "private, no-store", r.Header.Get("Cache-Control"))
		require.Equal(t, "no-referrer", r.Header.Get("Referrer-Policy"))
		require.Equal(t, http.StatusNotFound, b.get(t, "", "/p/shop/incidents/"+inc.ID).Code, "still not public")

		for name, bad := range map[string]string{
			"forged":          path[:len(path)-3] + "abc",
			"truncated":       path[:len(path)-10],
			"another page's":  strings.Replace(path, "/incidents/"+inc.ID, "/incidents/otherincide1", 1),
			"other customer":  strings.TrimPrefix(comms.PrivateIncidentURL(tokens, nil, p, inc.ID, globex.ID, b.clock.Now()), "http://localhost:8080"),
			"wrong purpose":   "/p/shop/incidents/" + inc.ID + "/private/" + tokens.Make(comms.PurposeManage, inc.ID+"."+acme.ID, time.Time{}),
			"other signature": strings.TrimPrefix(comms.PrivateIncidentURL(comms.NewTokens([]byte("another secret of enough bytes")), nil, p, inc.ID, acme.ID, b.clock.Now()), "http://localhost:8080"),
		} {
			r := b.get(t, "", bad)
			require.Equal(t, http.StatusNotFound, r.Code, name)
			requireNotContains(t, r.String(), "Your cluster is degraded.", name)
		}

		b.clock.Advance(31 * 24 * time.Hour)
		require.Equal(t, http.StatusGone, b.get(t, "", path).Code, "expired")
		b.clock.Advance(-31 * 24 * time.Hour)

		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityInternal)})
		require.NoError(t, err)
		require.Equal(t, http.StatusNotFound, b.get(t, "", path).Code, "an internal incident shows nothing")
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{Visibility: statustest.Ptr(status.VisibilityCustomers)})
		require.NoError(t, err)
		require.NoError(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, nil))
		require.Equal(t, http.StatusNotFound, b.get(t, "", path).Code, "an unlinked customer sees nothing")
	})
}
