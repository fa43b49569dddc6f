package comms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The communication manager is reminded before an update is due, the
// incident commander told when it is overdue, Account Management at 2 h
// and for the post-mortem decision; each once, however often the clock
// ticks.
func TestWatchSendsInternalNoticesOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, true)
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		svc := status.New(bdb, status.Options{Now: clock.Now})
		ctx := t.Context()
		w := &comms.Watch{Service: svc, Outbox: h.box, AccountManagement: "am@northwind.example"}
		p := statustest.Page(t, svc, nil)
		casey := statustest.User(t, svc, &statustest.UserOpts{Email: "casey@northwind.example"})
		ic := statustest.User(t, svc, &statustest.UserOpts{Email: "ic@northwind.example"})
		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "Slow", Severity: status.SeverityMinor})
		require.NoError(t, svc.Incidents.AssignRole(ctx, p.ID, inc.ID, status.RoleComms, casey.ID, "x"))
		require.NoError(t, svc.Incidents.AssignRole(ctx, p.ID, inc.ID, status.RoleCommander, ic.ID, "x"))
		acme := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme", AccountManagerEmail: "acme-am@northwind.example"})

		sent := func() map[string]string {
			var es []*comms.Email
			require.NoError(t, bdb.NewSelect().Model(&es).Scan(ctx))
			out := map[string]string{}
			for _, e := range es {
				out[e.To+" "+e.Subject] = e.Text
			}
			return out
		}
		tick := func() {
			t.Helper()
			require.NoError(t, w.Run(ctx))
			require.NoError(t, w.Run(ctx), "a second tick changes nothing")
		}

		tick()
		require.Empty(t, sent(), "on time: nothing to say")

		clock.Advance(26 * time.Minute) // due at 09:30
		tick()
		require.Equal(t, []string{"casey@northwind.example Customer update due at 09:30 UTC: Slow"}, keys(sent()))

		clock.Advance(5 * time.Minute)
		tick()
		require.Contains(t, sent(), "ic@northwind.example Customer update overdue: Slow")
		require.Len(t, sent(), 2)

		// Past 2 h: Account Management, at the customer's own account
		// manager once a customer is linked.
		require.NoError(t, svc.Incidents.SetCustomers(ctx, p.ID, inc.ID, []string{acme.ID}))
		clock.Advance(90 * time.Minute)
		tick()
		got := sent()
		require.Contains(t, got, "acme-am@northwind.example Escalation: Slow")
		require.Contains(t, got["acme-am@northwind.example Escalation: Slow"], "inform Account Management")
		require.NotContains(t, keys(got), "am@northwind.example Escalation: Slow", "the customer's own manager is told instead")

		// Recorded as done: no more notices of that kind.
		require.NoError(t, svc.Incidents.RecordEscalation(ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordAMInformed, DecidedBy: "Casey"}))
		clock.Advance(3 * time.Hour) // past 4 h: the post-mortem decision
		tick()
		got = sent()
		require.Contains(t, got, "acme-am@northwind.example Post-mortem decision needed: Slow")
		n, err := bdb.NewSelect().Model((*comms.Email)(nil)).Where("dedupe_key LIKE ?", "escalation:%").Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 2, n, "one email per recipient, occasion and incident")
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// An incident that asks for it gets a holding update by itself when an
// update falls due with nothing posted, once, on its timeline and to its
// customers.
func TestWatchPostsTheHoldingUpdate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, true)
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		svc := status.New(bdb, status.Options{Now: clock.Now})
		ctx := t.Context()
		w := &comms.Watch{Service: svc, Outbox: h.box}
		p := statustest.Page(t, svc, nil)
		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Kind: status.KindAnalysis, Body: "A disk is failing."})
		clock.Advance(31 * time.Minute)
		require.NoError(t, w.Run(ctx))
		got, err := svc.Incidents.ByID(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 1, "not asked for: nothing posted")

		_, err = svc.Incidents.Update(ctx, p.ID, inc.ID, status.IncidentPatch{AutoHolding: statustest.Ptr(true)})
		require.NoError(t, err)
		require.NoError(t, w.Run(ctx))
		require.NoError(t, w.Run(ctx))
		got, err = svc.Incidents.ByID(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, got.Updates, 2, "one holding update, however often the clock ticks")
		require.Contains(t, got.Updates[0].Body, "What we know: A disk is failing.")
		require.Contains(t, got.Updates[0].Author, "automatic holding update")
		require.True(t, got.NextUpdateAt.After(clock.Now()), "the next update is due again later")
		tl, err := svc.Incidents.Timeline(ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var bodies []string
		for _, e := range tl {
			bodies = append(bodies, e.Text())
		}
		require.Contains(t, strings.Join(bodies, "\n"), "Automatic holding update turned on")
	})
}

// A security matter is told to the information-security officer once,
// until it is recorded as reported; every internal notice names the video
// room.
func TestWatchTellsTheSecurityOfficer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, true)
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		svc := status.New(bdb, status.Options{Now: clock.Now})
		ctx := t.Context()
		w := &comms.Watch{Service: svc, Outbox: h.box, Security: "iso@northwind.example"}
		p := statustest.Page(t, svc, nil)
		_, err := svc.Pages.Update(ctx, p.ID, status.PagePatch{VideoRoomURL: statustest.Ptr("https://meet.northwind.example/ops")})
		require.NoError(t, err)
		inc, err := svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{Title: "Odd logins", Severity: status.SeverityMinor,
			Body: "Looking.", Author: "Ann", Security: status.SecurityIncident})
		require.NoError(t, err)
		plain := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "Slow"})
		count := func(to string) (int, string) {
			var es []*comms.Email
			require.NoError(t, bdb.NewSelect().Model(&es).Where("to_addr = ?", to).Scan(ctx))
			if len(es) == 0 {
				return 0, ""
			}
			return len(es), es[0].Subject + "\n" + es[0].Text
		}
		require.NoError(t, w.Run(ctx))
		require.NoError(t, w.Run(ctx))
		n, text := count("iso@northwind.example")
		require.Equal(t, 1, n, "told once however often the watch runs")
		require.Contains(t, text, "Information-security incident: Odd logins")
		require.Contains(t, text, "report it to the information-security officer")
		require.Contains(t, text, "Video room: https://meet.northwind.example/ops")
		require.Contains(t, text, "/incidents/"+inc.ID)
		require.NotContains(t, text, plain.ID, "ordinary incidents are not the officer's")

		// A customer's reply notice names the room too.
		cm := statustest.User(t, svc, &statustest.UserOpts{Email: "cm@northwind.example"})
		require.NoError(t, svc.Incidents.AssignRole(ctx, p.ID, inc.ID, status.RoleComms, cm.ID, "x"))
		require.NoError(t, w.ReplyNotice(ctx, comms.ReplyNoticeArgs{PageID: p.ID, IncidentID: inc.ID, Ref: "r1",
			From: "wile@acme.example", Subject: "Still odd", Excerpt: "We see more odd logins."}))
		n, text = count("cm@northwind.example")
		require.Equal(t, 1, n)
		require.Contains(t, text, "We see more odd logins.")
		require.Contains(t, text, "Video room: https://meet.northwind.example/ops")

		// Recorded as reported on a second security incident: no notice.
		other, err := svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{Title: "Scan", Severity: status.SeverityMinor,
			Body: "Looking.", Security: status.SecurityVulnerability})
		require.NoError(t, err)
		require.NoError(t, svc.Incidents.RecordEscalation(ctx, p.ID, other.ID, status.EscalationStep{What: status.RecordSecurityReported}))
		require.NoError(t, w.Run(ctx))
		n, _ = count("iso@northwind.example")
		require.Equal(t, 1, n)
	})
}
