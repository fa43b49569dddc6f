package status_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/statustest"
)

func TestCadenceState(t *testing.T) {
	t.Parallel()
	due := epoch.Add(30 * time.Minute)
	for _, tc := range []struct {
		name string
		now  time.Time
		want status.CadenceStatus
	}{
		{"just updated is on time", epoch, status.CadenceOnTime},
		{"due in 5 min 1 s is on time", due.Add(-5*time.Minute - time.Second), status.CadenceOnTime},
		{"due in exactly 5 min is due soon", due.Add(-5 * time.Minute), status.CadenceDueSoon},
		{"due in 4 minutes is due soon", due.Add(-4 * time.Minute), status.CadenceDueSoon},
		{"exactly at due is due soon, not overdue", due, status.CadenceDueSoon},
		{"one nanosecond after due is overdue", due.Add(time.Nanosecond), status.CadenceOverdue},
		{"hours after due is overdue", due.Add(3 * time.Hour), status.CadenceOverdue},
		{"due in another zone compares by instant", due.In(time.FixedZone("X", -9*3600)).Add(-4 * time.Minute), status.CadenceDueSoon},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, status.CadenceState(due, tc.now))
			require.Equal(t, tc.want, status.Cadence{Last: epoch, Due: due}.State(tc.now))
		})
	}
}

func TestCadenceNextUpdateDue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		every time.Duration
		want  time.Time
	}{
		{"default cadence is 30 minutes", status.DefaultCadence, epoch.Add(30 * time.Minute)},
		{"15 minute cadence", 15 * time.Minute, epoch.Add(15 * time.Minute)},
		{"zero interval means the default", 0, epoch.Add(30 * time.Minute)},
		{"negative interval means the default", -time.Hour, epoch.Add(30 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			requireTime(t, tc.want, status.NextUpdateDue(epoch, tc.every))
		})
	}
}

func TestCadenceOf(t *testing.T) {
	t.Parallel()
	update := func(at time.Time, notify bool) *status.IncidentUpdate {
		return &status.IncidentUpdate{CreatedAt: at, DisplayAt: at, Notify: notify}
	}
	for _, tc := range []struct {
		name     string
		inc      status.Incident
		wantLast time.Time
	}{
		{"no updates: due 30 min after declaration",
			status.Incident{State: status.StateInvestigating, StartedAt: epoch.Add(-time.Hour), CreatedAt: epoch},
			epoch},
		{"no declaration time: due 30 min after start",
			status.Incident{State: status.StateInvestigating, StartedAt: epoch},
			epoch},
		{"due 30 min after the newest notified update",
			status.Incident{State: status.StateMitigating, CreatedAt: epoch, Updates: []*status.IncidentUpdate{
				update(epoch.Add(20*time.Minute), true), update(epoch.Add(10*time.Minute), true), update(epoch, true)}},
			epoch.Add(20 * time.Minute)},
		{"update order does not matter",
			status.Incident{State: status.StateMitigating, CreatedAt: epoch, Updates: []*status.IncidentUpdate{
				update(epoch, true), update(epoch.Add(20*time.Minute), true), update(epoch.Add(10*time.Minute), true)}},
			epoch.Add(20 * time.Minute)},
		{"an update that notified nobody does not reset the cadence",
			status.Incident{State: status.StateObserving, CreatedAt: epoch, Updates: []*status.IncidentUpdate{
				update(epoch.Add(25*time.Minute), false), update(epoch.Add(5*time.Minute), true)}},
			epoch.Add(5 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, ok := status.CadenceOf(&tc.inc)
			require.True(t, ok)
			requireTime(t, tc.wantLast, c.Last)
			requireTime(t, tc.wantLast.Add(30*time.Minute), c.Due)
		})
	}

	for _, tc := range []struct {
		name string
		inc  status.Incident
	}{
		{"resolved incident has no due time", status.Incident{State: status.StateResolved, CreatedAt: epoch, ResolvedAt: statustest.Ptr(epoch)}},
		{"resolved state alone has no due time", status.Incident{State: status.StateResolved, CreatedAt: epoch}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ok := status.CadenceOf(&tc.inc)
			require.False(t, ok)
		})
	}
}

func TestCadenceNextUpdateChoice(t *testing.T) {
	t.Parallel()
	now := epoch
	at := func(d time.Duration) *time.Time { return statustest.Ptr(now.Add(d)) }
	for _, tc := range []struct {
		name string
		in   status.NextUpdate
		want time.Time
	}{
		{"nothing chosen is the default 30 minutes", status.NextUpdate{}, now.Add(30 * time.Minute)},
		{"15 minute preset", status.NextUpdate{Every: 15 * time.Minute}, now.Add(15 * time.Minute)},
		{"30 minute preset", status.NextUpdate{Every: 30 * time.Minute}, now.Add(30 * time.Minute)},
		{"60 minute preset", status.NextUpdate{Every: time.Hour}, now.Add(time.Hour)},
		{"explicit time one second ahead", status.NextUpdate{At: at(time.Second)}, now.Add(time.Second)},
		{"explicit time in 3 hours", status.NextUpdate{At: at(3 * time.Hour)}, now.Add(3 * time.Hour)},
		{"explicit time exactly 24h ahead is allowed", status.NextUpdate{At: at(24 * time.Hour)}, now.Add(24 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.in.Due(now)
			require.NoError(t, err)
			requireTime(t, tc.want, got)
		})
	}

	for _, tc := range []struct {
		name string
		in   status.NextUpdate
		msg  string
	}{
		{"explicit time now is not in the future", status.NextUpdate{At: at(0)}, "must be in the future"},
		{"explicit time in the past", status.NextUpdate{At: at(-time.Minute)}, "must be in the future"},
		{"zero explicit time", status.NextUpdate{At: &time.Time{}}, "must be in the future"},
		{"explicit time 24h and 1s ahead is too far", status.NextUpdate{At: at(24*time.Hour + time.Second)}, "must be at most 24 hours ahead"},
		{"explicit time a year ahead is too far", status.NextUpdate{At: at(365 * 24 * time.Hour)}, "must be at most 24 hours ahead"},
		{"45 minutes is not a preset", status.NextUpdate{Every: 45 * time.Minute}, "must be 15, 30 or 60 minutes"},
		{"1 nanosecond is not a preset", status.NextUpdate{Every: 1}, "must be 15, 30 or 60 minutes"},
		{"negative interval is not a preset", status.NextUpdate{Every: -15 * time.Minute}, "must be 15, 30 or 60 minutes"},
		{"huge interval is not a preset", status.NextUpdate{Every: 1<<63 - 1}, "must be 15, 30 or 60 minutes"},
		{"interval and time together", status.NextUpdate{Every: 15 * time.Minute, At: at(time.Hour)}, "choose an interval or a time, not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.in.Due(now)
			requireField(t, err, status.KindInvalid, "next_update")
			var e *status.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.msg, e.Fields["next_update"])
			require.True(t, got.IsZero(), "no due time with an error")
		})
	}
}
