package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Portal tickets become triage items once per reference; bad tickets are
// refused with the field named and nothing stored.
func TestAdminAPIPortalTickets(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"}})
		ticket := map[string]any{"reference": "T-1001", "title": "Checkout fails", "body": "Since 10:00.",
			"sender_name": "Wile", "sender_email": "wile@acme.example"}
		item := b.object(t, http.StatusCreated, http.MethodPost, "/api/v1/intake/tickets", ticket)
		require.Equal(t, "portal", item["source"])
		require.Equal(t, "open", item["state"])
		require.Equal(t, acme.ID, item["customer_id"])
		require.Equal(t, "domain", item["customer_match"])
		require.Nil(t, item["incident_id"])
		again := b.object(t, http.StatusOK, http.MethodPost, "/api/v1/intake/tickets", ticket)
		require.Equal(t, item["id"], again["id"], "sent twice, one item")
		got := b.object(t, http.StatusOK, http.MethodGet, "/api/v1/intake/"+item["id"].(string), nil)
		require.Equal(t, "Checkout fails", got["title"])
		require.Len(t, b.list(t, "/api/v1/intake?state=open"), 1)
		require.Empty(t, b.list(t, "/api/v1/intake?state=dismissed"))

		for _, tc := range []struct {
			name  string
			body  any
			field string
		}{
			{"no reference", map[string]any{"title": "x"}, "reference"},
			{"empty reference", map[string]any{"reference": "", "title": "x"}, "reference"},
			{"no title", map[string]any{"reference": "T-2"}, "title"},
			{"title wrong type", map[string]any{"reference": "T-2", "title": 7}, "title"},
			{"unknown field", map[string]any{"reference": "T-2", "title": "x", "priority": 1}, "priority"},
			{"NUL in body", map[string]any{"reference": "T-2", "title": "x", "body": "a\x00b"}, "body"},
			{"body too long", map[string]any{"reference": "T-2", "title": "x", "body": strings.Repeat("b", 40*1024)}, "body"},
			{"line break in sender", map[string]any{"reference": "T-2", "title": "x", "sender_email": "a@b\r\nBcc: c@d"}, "sender_email"},
		} {
			r := b.call(t, http.MethodPost, "/api/v1/intake/tickets", tc.body)
			fields := requireAPIError(t, r, http.StatusUnprocessableEntity)
			require.Contains(t, fields, tc.field, "%s: %s", tc.name, r.Body)
		}
		requireAPIError(t, b.call(t, http.MethodPost, "/api/v1/intake/tickets", "not json"), http.StatusBadRequest)
		require.Len(t, b.list(t, "/api/v1/intake"), 1, "nothing stored for bad tickets")
		requireAPIError(t, b.call(t, http.MethodGet, "/api/v1/intake?state=closed", nil), http.StatusUnprocessableEntity)
		requireAPIError(t, b.call(t, http.MethodGet, "/api/v1/intake/zzzzzzzzzzzz", nil), http.StatusNotFound)
		requireAPIError(t, b.call(t, http.MethodGet, "/api/v1/intake/..%2Fx", nil), http.StatusNotFound)

		// Acknowledging records the token's name and the time; the first
		// one stands.
		require.Nil(t, got["acknowledged_at"])
		acked := b.object(t, http.StatusOK, http.MethodPost, "/api/v1/intake/"+item["id"].(string)+"/acknowledge", nil)
		require.NotEmpty(t, acked["acknowledged_by"])
		require.Equal(t, b.clock.Now().Format(time.RFC3339Nano), acked["acknowledged_at"])
		b.clock.Advance(time.Minute)
		again = b.object(t, http.StatusOK, http.MethodPost, "/api/v1/intake/"+item["id"].(string)+"/acknowledge", nil)
		require.Equal(t, acked["acknowledged_at"], again["acknowledged_at"])
		requireAPIError(t, b.call(t, http.MethodPost, "/api/v1/intake/zzzzzzzzzzzz/acknowledge", nil), http.StatusNotFound)
	})
}
