package comms_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// An internal incident still owes the ticket its 30-minute status: its
// reminder and overdue notice speak of the internal update, while a
// customers-only incident's keep the customer update.
func TestWatchWordsTheNoticesByAudience(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, true)
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		svc := status.New(bdb, status.Options{Now: clock.Now})
		ctx := t.Context()
		w := &comms.Watch{Service: svc, Outbox: h.box}
		p := statustest.Page(t, svc, nil)
		casey := statustest.User(t, svc, &statustest.UserOpts{Email: "casey@northwind.example"})
		for title, vis := range map[string]status.Visibility{"Replica lag": status.VisibilityInternal, "Acme slow": status.VisibilityCustomers} {
			inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: title, Visibility: vis})
			require.NoError(t, svc.Incidents.AssignRole(ctx, p.ID, inc.ID, status.RoleCommander, casey.ID, "x"))
		}
		sent := func() map[string]string {
			var es []*comms.Email
			require.NoError(t, bdb.NewSelect().Model(&es).Scan(ctx))
			out := map[string]string{}
			for _, e := range es {
				out[e.Subject] = e.Text
			}
			return out
		}

		clock.Advance(26 * time.Minute) // due at 09:30
		require.NoError(t, w.Run(ctx))
		got := sent()
		require.Contains(t, got, "Internal update due at 09:30 UTC: Replica lag")
		require.Contains(t, got["Internal update due at 09:30 UTC: Replica lag"], `The next internal update of "Replica lag" is due at 09:30 UTC.`)
		require.Contains(t, got, "Customer update due at 09:30 UTC: Acme slow")
		require.Contains(t, got["Customer update due at 09:30 UTC: Acme slow"], `The next customer update of "Acme slow" is due at 09:30 UTC.`)

		clock.Advance(5 * time.Minute)
		require.NoError(t, w.Run(ctx))
		got = sent()
		internal := "Internal update overdue (the ticket needs its 30-minute status): Replica lag"
		require.Contains(t, got, internal)
		require.Contains(t, got[internal], `The internal update of "Replica lag" was due at 09:30 UTC and has not been posted.`)
		require.Contains(t, got, "Customer update overdue: Acme slow")
		require.Contains(t, got["Customer update overdue: Acme slow"], `The customer update of "Acme slow" was due at 09:30 UTC`)
		require.Len(t, got, 4)
	})
}
