package status_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/statustest"
)

// openFor returns an open incident of severity sev that started d before
// epoch, which the escalation and nudge tests use as now.
func openFor(sev status.Severity, d time.Duration) *status.Incident {
	return &status.Incident{Severity: sev, State: status.StateInvestigating, StartedAt: epoch.Add(-d), CreatedAt: epoch.Add(-d)}
}

// resolvedAfter returns an incident of severity sev that started at epoch
// and was resolved d later.
func resolvedAfter(sev status.Severity, d time.Duration) *status.Incident {
	return &status.Incident{Severity: sev, State: status.StateResolved, StartedAt: epoch, CreatedAt: epoch,
		ResolvedAt: statustest.Ptr(epoch.Add(d))}
}

func TestEscalations(t *testing.T) {
	t.Parallel()
	// api is a component whose other incidents started at the given offsets
	// from epoch (this incident's start in the repeat cases).
	api := func(offsets ...time.Duration) []status.ComponentHistory {
		h := status.ComponentHistory{ComponentID: "c_api", Name: "API"}
		for _, o := range offsets {
			h.Starts = append(h.Starts, epoch.Add(o))
		}
		return []status.ComponentHistory{h}
	}
	am := func(reason string, done bool) status.Flag {
		return status.Flag{Kind: status.FlagAccountManagement, Reason: reason, Done: done}
	}
	pm := func(reason string, done bool) status.Flag {
		return status.Flag{Kind: status.FlagPostmortemDecision, Reason: reason, Done: done}
	}
	const informAM = ": inform Account Management"
	const decidePM = ": Account Management decides whether to do a post-mortem"
	later := epoch.Add(10 * time.Hour)

	for _, tc := range []struct {
		name string
		inc  *status.Incident
		in   status.EscalationInput
		now  time.Time
		want []status.Flag
	}{
		{"fresh minor incident raises nothing", openFor(status.SeverityMinor, 10*time.Minute), status.EscalationInput{}, epoch, nil},
		{"exactly 2h is not over 2h", openFor(status.SeverityMinor, 2*time.Hour), status.EscalationInput{}, epoch, nil},
		{"2h and 1s open informs Account Management", openFor(status.SeverityMinor, 2*time.Hour+time.Second), status.EscalationInput{}, epoch,
			[]status.Flag{am("Running for 2 h 00 min"+informAM, false)}},
		{"2h 05min open informs Account Management", openFor(status.SeverityMinor, 2*time.Hour+5*time.Minute), status.EscalationInput{}, epoch,
			[]status.Flag{am("Running for 2 h 05 min"+informAM, false)}},
		{"account management already informed is done", openFor(status.SeverityMinor, 3*time.Hour),
			status.EscalationInput{AccountManagementInformedAt: statustest.Ptr(epoch)}, epoch,
			[]status.Flag{am("Running for 3 h 00 min"+informAM, true)}},
		{"resolved within 2h stays quiet later", resolvedAfter(status.SeverityMinor, 2*time.Hour), status.EscalationInput{}, later, nil},
		{"resolved after 2h 30min says lasted", resolvedAfter(status.SeverityMinor, 2*time.Hour+30*time.Minute), status.EscalationInput{}, later,
			[]status.Flag{am("Lasted 2 h 30 min"+informAM, false)}},

		{"exactly 4h is not over 4h", openFor(status.SeverityMinor, 4*time.Hour), status.EscalationInput{}, epoch,
			[]status.Flag{am("Running for 4 h 00 min"+informAM, false)}},
		{"over 4h asks for a post-mortem decision", openFor(status.SeverityMinor, 4*time.Hour+10*time.Minute), status.EscalationInput{}, epoch,
			[]status.Flag{am("Running for 4 h 10 min"+informAM, false), pm("Running for 4 h 10 min"+decidePM, false)}},
		{"post-mortem decided yes is done", openFor(status.SeverityMinor, 5*time.Hour),
			status.EscalationInput{PostmortemDecision: status.PostmortemYes, AccountManagementInformedAt: statustest.Ptr(epoch)}, epoch,
			[]status.Flag{am("Running for 5 h 00 min"+informAM, true), pm("Running for 5 h 00 min"+decidePM, true)}},
		{"post-mortem decided no is done", resolvedAfter(status.SeverityMinor, 26*time.Hour),
			status.EscalationInput{PostmortemDecision: status.PostmortemNo}, later.Add(48 * time.Hour),
			[]status.Flag{am("Lasted 26 h 00 min"+informAM, false), pm("Lasted 26 h 00 min"+decidePM, true)}},

		{"third incident in 48h escalates", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(-47*time.Hour, -time.Hour)}, later,
			[]status.Flag{am("3rd incident on API within 48 h"+informAM, false)}},
		{"second incident does not", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(-time.Hour)}, later, nil},
		{"incident exactly 48h earlier counts", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(-48*time.Hour, -time.Hour)}, later,
			[]status.Flag{am("3rd incident on API within 48 h"+informAM, false)}},
		{"incident 48h and 1s earlier does not count", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(-48*time.Hour-time.Second, -time.Hour)}, later, nil},
		{"incident starting at the same moment counts", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(0, -time.Hour)}, later,
			[]status.Flag{am("3rd incident on API within 48 h"+informAM, false)}},
		{"later incidents do not make this one the third", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(time.Hour, 2*time.Hour)}, later, nil},
		{"fourth incident in 48h escalates", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(-30*time.Hour, -20*time.Hour, -10*time.Hour)}, later,
			[]status.Flag{am("4th incident on API within 48 h"+informAM, false)}},
		{"two incidents on different components do not add up", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: []status.ComponentHistory{
				{ComponentID: "c_api", Name: "API", Starts: []time.Time{epoch.Add(-time.Hour)}},
				{ComponentID: "c_db", Name: "Database", Starts: []time.Time{epoch.Add(-2 * time.Hour)}},
			}}, later, nil},
		{"the busiest component is named", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: []status.ComponentHistory{
				{ComponentID: "c_api", Name: "API", Starts: []time.Time{epoch.Add(-time.Hour), epoch.Add(-2 * time.Hour)}},
				{ComponentID: "c_db", Name: "Database", Starts: []time.Time{epoch.Add(-time.Hour), epoch.Add(-2 * time.Hour), epoch.Add(-3 * time.Hour)}},
			}}, later,
			[]status.Flag{am("4th incident on Database within 48 h"+informAM, false)}},
		{"a component without a name is named by its id", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: []status.ComponentHistory{
				{ComponentID: "c_api", Starts: []time.Time{epoch.Add(-time.Hour), epoch.Add(-2 * time.Hour)}},
			}}, later,
			[]status.Flag{am("3rd incident on c_api within 48 h"+informAM, false)}},
		{"third incident already reported is done", resolvedAfter(status.SeverityTrivial, 5*time.Minute),
			status.EscalationInput{Components: api(-time.Hour, -2*time.Hour), AccountManagementInformedAt: statustest.Ptr(epoch)}, later,
			[]status.Flag{am("3rd incident on API within 48 h"+informAM, true)}},
		{"long third incident gives both reasons in one flag", openFor(status.SeverityMinor, 3*time.Hour),
			status.EscalationInput{Components: []status.ComponentHistory{
				{Name: "API", Starts: []time.Time{epoch.Add(-4 * time.Hour), epoch.Add(-5 * time.Hour)}},
			}}, epoch,
			[]status.Flag{am("Running for 3 h 00 min and 3rd incident on API within 48 h"+informAM, false)}},

		{"business continuity flags the plan at once", openFor(status.SeverityBusinessContinuity, 0), status.EscalationInput{}, epoch,
			[]status.Flag{{Kind: status.FlagBusinessContinuity, Reason: "Business continuity incident: trigger the business continuity plan"},
				pm("Business continuity incident"+decidePM, false)}},
		{"business continuity plan triggered is done, most urgent first", openFor(status.SeverityBusinessContinuity, 5*time.Hour),
			status.EscalationInput{ContinuityPlanAt: statustest.Ptr(epoch)}, epoch,
			[]status.Flag{
				{Kind: status.FlagBusinessContinuity, Reason: "Business continuity incident: trigger the business continuity plan", Done: true},
				am("Running for 5 h 00 min"+informAM, false),
				pm("Running for 5 h 00 min"+decidePM, false),
			}},
		{"major severity asks the post-mortem decision at once, as closing will", openFor(status.SeverityMajor, time.Hour),
			status.EscalationInput{}, epoch, []status.Flag{pm("Major incident"+decidePM, false)}},
		{"minor severity under 2 h raises nothing", openFor(status.SeverityMinor, time.Hour), status.EscalationInput{}, epoch, nil},
		{"start in the future is not negative", openFor(status.SeverityMinor, -time.Hour), status.EscalationInput{}, epoch, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, status.Escalations(tc.inc, tc.in, tc.now))
		})
	}
}

func TestEscalationPostmortemDecisionValid(t *testing.T) {
	t.Parallel()
	for _, d := range []status.PostmortemDecision{status.PostmortemUndecided, status.PostmortemYes, status.PostmortemNo} {
		require.True(t, d.Valid(), "%q", d)
	}
	for _, d := range []status.PostmortemDecision{"maybe", "Yes", " yes", "no\x00"} {
		require.False(t, d.Valid(), "%q", d)
	}
}

func TestPostmortemRequired(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		d    time.Duration
		sev  status.Severity
		want bool
	}{
		{"short minor incident needs none", time.Hour, status.SeverityMinor, false},
		{"short trivial incident needs none", time.Minute, status.SeverityTrivial, false},
		{"exactly 4h minor incident needs none", 4 * time.Hour, status.SeverityMinor, false},
		{"4h and 1s minor incident needs one", 4*time.Hour + time.Second, status.SeverityMinor, true},
		{"long trivial incident needs one", 5 * time.Hour, status.SeverityTrivial, true},
		{"short major incident needs one", time.Minute, status.SeverityMajor, true},
		{"short business continuity incident needs one", time.Minute, status.SeverityBusinessContinuity, true},
		{"unknown severity goes by duration", time.Minute, status.Severity("bogus"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, status.PostmortemRequired(tc.d, tc.sev))
		})
	}
}

func TestChannelName(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	lateUTC := time.Date(2026, time.March, 10, 23, 30, 0, 0, time.UTC) // already the 11th in Berlin
	for _, tc := range []struct {
		name string
		sev  status.Severity
		at   time.Time
		loc  *time.Location
		want string
	}{
		{"major incident gets a dated channel", status.SeverityMajor, epoch, time.UTC, "#incident-2026-03-10"},
		{"business continuity gets a dated channel", status.SeverityBusinessContinuity, epoch, time.UTC, "#incident-2026-03-10"},
		{"minor incident runs in operations", status.SeverityMinor, epoch, time.UTC, "#operations"},
		{"trivial incident runs in operations", status.SeverityTrivial, epoch, time.UTC, "#operations"},
		{"unknown severity runs in operations", status.Severity(""), epoch, time.UTC, "#operations"},
		{"date is taken in the page's zone", status.SeverityMajor, lateUTC, berlin, "#incident-2026-03-11"},
		{"nil zone means UTC, not local time", status.SeverityMajor, lateUTC, nil, "#incident-2026-03-10"},
		{"start stored in another zone is converted", status.SeverityMajor, lateUTC.In(berlin), time.UTC, "#incident-2026-03-10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inc := &status.Incident{Severity: tc.sev, StartedAt: tc.at}
			require.Equal(t, tc.want, status.ChannelName(inc, tc.loc))
		})
	}
}

// A given channel stands; a minor incident is in operations whatever it
// was given when it was major.
func TestChannelNameGiven(t *testing.T) {
	t.Parallel()
	inc := &status.Incident{Severity: status.SeverityMajor, StartedAt: epoch, Channel: "#incident-2026-03-10-2"}
	require.Equal(t, "#incident-2026-03-10-2", status.ChannelName(inc, time.UTC))
	inc.Severity = status.SeverityMinor
	require.Equal(t, status.OperationsChannel, status.ChannelName(inc, time.UTC))
}

func TestNextChannel(t *testing.T) {
	t.Parallel()
	base := "#incident-2026-03-10"
	for _, tc := range []struct {
		taken []string
		want  string
	}{
		{nil, base},
		{[]string{base}, base + "-2"},
		{[]string{base, base + "-2"}, base + "-3"},
		{[]string{base, base + "-3"}, base + "-2"},
		{[]string{base + "-2"}, base},
		{[]string{base + "-20", base + "-2x"}, base},
	} {
		require.Equal(t, tc.want, status.NextChannel(base, tc.taken), "%v", tc.taken)
	}
}
