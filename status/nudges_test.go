package status_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

func TestNudges(t *testing.T) {
	t.Parallel()
	raise := func(msg string, to status.Severity) status.Nudge {
		return status.Nudge{Kind: status.NudgeRaiseSeverity, Message: msg, Severity: to}
	}
	help := func(msg string, urgent bool) status.Nudge {
		return status.Nudge{Kind: status.NudgeGetHelp, Message: msg, Urgent: urgent}
	}
	for _, tc := range []struct {
		name      string
		inc       *status.Incident
		customers int
		want      []status.Nudge
	}{
		{"fresh trivial incident for one customer: nothing", openFor(status.SeverityTrivial, 5*time.Minute), 1, nil},
		{"no affected customer recorded: nothing", openFor(status.SeverityTrivial, 5*time.Minute), 0, nil},
		{"trivial at exactly 15 min is not past it", openFor(status.SeverityTrivial, 15*time.Minute), 1, nil},
		{"trivial past 15 min suggests minor", openFor(status.SeverityTrivial, 15*time.Minute+time.Second), 1,
			[]status.Nudge{raise("Running for 15 min, past the 15 min a trivial incident should take: consider raising it to minor", status.SeverityMinor)}},
		{"minor at 20 min is within its expected time", openFor(status.SeverityMinor, 20*time.Minute), 1, nil},
		{"exactly 30 min does not suggest help", openFor(status.SeverityMinor, 30*time.Minute), 1, nil},
		{"unsolved after 30 min suggests help", openFor(status.SeverityMinor, 30*time.Minute+time.Second), 1,
			[]status.Nudge{help("Not solved after 30 min: get help", false)}},
		{"exactly 60 min is not yet urgent", openFor(status.SeverityMinor, time.Hour), 1,
			[]status.Nudge{help("Not solved after 1 h 00 min: get help", false)}},
		{"unsolved after 60 min: get help now", openFor(status.SeverityMinor, time.Hour+5*time.Minute), 1,
			[]status.Nudge{help("Not solved after 1 h 05 min: get help now", true)}},
		{"minor at exactly 2h is not past it", openFor(status.SeverityMinor, 2*time.Hour), 1,
			[]status.Nudge{help("Not solved after 2 h 00 min: get help now", true)}},
		{"minor past 2h suggests major and help now", openFor(status.SeverityMinor, 2*time.Hour+time.Minute), 1,
			[]status.Nudge{
				raise("Running for 2 h 01 min, past the 2 h a minor incident should take: consider raising it to major", status.SeverityMajor),
				help("Not solved after 2 h 01 min: get help now", true),
			}},
		{"trivial after 45 min suggests minor and help", openFor(status.SeverityTrivial, 45*time.Minute), 1,
			[]status.Nudge{
				raise("Running for 45 min, past the 15 min a trivial incident should take: consider raising it to minor", status.SeverityMinor),
				help("Not solved after 45 min: get help", false),
			}},
		{"major incident is never raised further", openFor(status.SeverityMajor, 10*time.Hour), 1,
			[]status.Nudge{help("Not solved after 10 h 00 min: get help now", true)}},
		{"business continuity is never raised further", openFor(status.SeverityBusinessContinuity, 10*time.Minute), 1, nil},
		{"two affected customers suggest help at once", openFor(status.SeverityTrivial, time.Minute), 2,
			[]status.Nudge{help("2 customers affected: get help", false)}},
		{"several customers and a long incident give one nudge with both reasons", openFor(status.SeverityMajor, 90*time.Minute), 5,
			[]status.Nudge{help("Not solved after 1 h 30 min and 5 customers affected: get help now", true)}},
		{"negative customer count is ignored", openFor(status.SeverityTrivial, time.Minute), -3, nil},
		{"start in the future is treated as just started", openFor(status.SeverityTrivial, -time.Hour), 1, nil},
		{"resolved incident gets no nudges", resolvedAfter(status.SeverityTrivial, 5*time.Hour), 9, nil},
		{"resolved state alone gets no nudges",
			&status.Incident{Severity: status.SeverityMinor, State: status.StateResolved, StartedAt: epoch.Add(-5 * time.Hour)}, 9, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, status.Nudges(tc.inc, tc.customers, epoch))
		})
	}
}

func TestExpectedResolution(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		sev  status.Severity
		want string
	}{
		{"trivial is resolved within 15 minutes", status.SeverityTrivial, "within 15 minutes"},
		{"minor takes 15 minutes to 2 hours", status.SeverityMinor, "15 minutes to 2 hours"},
		{"major takes over 2 hours", status.SeverityMajor, "over 2 hours"},
		{"business continuity triggers the plan", status.SeverityBusinessContinuity, "business continuity plan"},
		{"empty severity has none", "", ""},
		{"unknown severity has none", "critical", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, status.ExpectedResolution(tc.sev))
		})
	}
	for _, sev := range status.Severities {
		require.NotEmpty(t, status.ExpectedResolution(sev), "every known severity has an expected resolution")
	}
}
