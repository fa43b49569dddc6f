package status_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/statustest"
)

func TestNudges(t *testing.T) {
	t.Parallel()
	raise := func(msg string, to status.Severity) status.Nudge {
		return status.Nudge{Kind: status.NudgeRaiseSeverity, Message: msg, Severity: to}
	}
	help := func(msg string, urgent bool) status.Nudge {
		return status.Nudge{Kind: status.NudgeGetHelp, Message: msg, Urgent: urgent}
	}
	comms := func(msg string) status.Nudge {
		return status.Nudge{Kind: status.NudgeCommsManager, Message: msg + ": name a communication manager to keep customers informed"}
	}
	goPublic := func(msg string) status.Nudge {
		return status.Nudge{Kind: status.NudgeGoPublic, Message: msg + ": update the public status page (make the incident public)"}
	}
	// public is an open public incident of severity sev running for d.
	public := func(sev status.Severity, d time.Duration) *status.Incident {
		inc := openFor(sev, d)
		inc.Visibility = status.VisibilityPublic
		return inc
	}
	with := func(inc *status.Incident, change func(*status.Incident)) *status.Incident {
		change(inc)
		return inc
	}
	one := status.NudgeInput{Customers: 1}
	holding := func(customers int, roles ...status.IncidentRole) status.NudgeInput {
		in := status.NudgeInput{Customers: customers}
		for _, r := range roles {
			in.Roles = append(in.Roles, &status.RoleAssignment{Role: r, UserID: "u-" + string(r)})
		}
		return in
	}
	fix := &status.IncidentUpdate{Kind: status.KindResolution, Resolution: status.ResolutionTemporary}
	for _, tc := range []struct {
		name string
		inc  *status.Incident
		in   status.NudgeInput
		want []status.Nudge
	}{
		{"fresh trivial incident for one customer: nothing", public(status.SeverityTrivial, 5*time.Minute), one, nil},
		{"no affected customer recorded: nothing", public(status.SeverityTrivial, 5*time.Minute), status.NudgeInput{}, nil},
		{"trivial at exactly 15 min is not past it", public(status.SeverityTrivial, 15*time.Minute), one, nil},
		{"trivial past 15 min suggests minor", public(status.SeverityTrivial, 15*time.Minute+time.Second), one,
			[]status.Nudge{raise("Running for 15 min, past the 15 min a trivial incident should take: consider raising it to minor", status.SeverityMinor)}},
		{"minor at 20 min is within its expected time", public(status.SeverityMinor, 20*time.Minute), one, nil},
		{"exactly 30 min does not suggest help", public(status.SeverityMinor, 30*time.Minute), one, nil},
		{"unsolved after 30 min suggests help", public(status.SeverityMinor, 30*time.Minute+time.Second), one,
			[]status.Nudge{help("Not solved after 30 min: get help", false)}},
		{"exactly 60 min is not yet urgent", public(status.SeverityMinor, time.Hour), one,
			[]status.Nudge{help("Not solved after 1 h 00 min: get help", false)}},
		{"unsolved after 60 min: get help now", public(status.SeverityMinor, time.Hour+5*time.Minute), one,
			[]status.Nudge{help("Not solved after 1 h 05 min: get help now", true)}},
		{"technical help assigned: no get-help nudge", public(status.SeverityMinor, time.Hour+5*time.Minute), holding(1, status.RoleHelp), nil},
		{"a lead alone is not help", public(status.SeverityMinor, time.Hour+5*time.Minute), holding(1, status.RoleLead),
			[]status.Nudge{help("Not solved after 1 h 05 min: get help now", true)}},
		{"a fix posted: no get-help nudge",
			with(public(status.SeverityMinor, 50*time.Minute), func(i *status.Incident) { i.Updates = []*status.IncidentUpdate{fix} }), one, nil},
		{"observing: no get-help nudge, confirmation asked for",
			with(public(status.SeverityMinor, 50*time.Minute), func(i *status.Incident) { i.State = status.StateObserving }), one,
			[]status.Nudge{{Kind: status.NudgeRequestConfirmation,
				Message: "Observing: once the technical lead is confident, request confirmation that the services are back"}}},
		{"observing with a confirmation requested: nothing",
			with(public(status.SeverityMinor, 50*time.Minute), func(i *status.Incident) { i.State = status.StateObserving }),
			status.NudgeInput{Customers: 1, ConfirmationRequested: true}, nil},
		{"observing with a confirmation on record: nothing",
			with(public(status.SeverityMinor, 50*time.Minute), func(i *status.Incident) {
				i.State, i.ConfirmedAt = status.StateObserving, statustest.Ptr(epoch)
			}), one, nil},
		{"minor at exactly 2h is not past it", public(status.SeverityMinor, 2*time.Hour), one,
			[]status.Nudge{help("Not solved after 2 h 00 min: get help now", true)}},
		{"minor past 2h suggests major and help now", public(status.SeverityMinor, 2*time.Hour+time.Minute), one,
			[]status.Nudge{
				raise("Running for 2 h 01 min, past the 2 h a minor incident should take: consider raising it to major", status.SeverityMajor),
				help("Not solved after 2 h 01 min: get help now", true),
			}},
		{"trivial after 45 min suggests minor and help", public(status.SeverityTrivial, 45*time.Minute), one,
			[]status.Nudge{
				raise("Running for 45 min, past the 15 min a trivial incident should take: consider raising it to minor", status.SeverityMinor),
				help("Not solved after 45 min: get help", false),
			}},
		{"major incident is never raised further; it wants a communication manager", public(status.SeverityMajor, 10*time.Hour), one,
			[]status.Nudge{help("Not solved after 10 h 00 min: get help now", true), comms("Major incident")}},
		{"major incident with help and a communication manager: nothing", public(status.SeverityMajor, 10*time.Hour),
			holding(1, status.RoleHelp, status.RoleComms), nil},
		{"business continuity is never raised further", public(status.SeverityBusinessContinuity, 10*time.Minute), holding(1, status.RoleComms), nil},
		{"two affected customers suggest help and a communication manager at once", public(status.SeverityTrivial, time.Minute), holding(2),
			[]status.Nudge{help("2 customers affected: get help", false), comms("2 customers affected")}},
		{"several customers and a long incident give one nudge of each kind with both reasons", public(status.SeverityMajor, 90*time.Minute), holding(5),
			[]status.Nudge{help("Not solved after 1 h 30 min and 5 customers affected: get help now", true),
				comms("Major incident and 5 customers affected")}},
		{"negative customer count is ignored", public(status.SeverityTrivial, time.Minute), holding(-3), nil},
		{"start in the future is treated as just started", public(status.SeverityTrivial, -time.Hour), one, nil},
		{"customers-only incident for two customers: go public",
			with(openFor(status.SeverityMinor, 5*time.Minute), func(i *status.Incident) { i.Visibility = status.VisibilityCustomers }),
			holding(2, status.RoleHelp, status.RoleComms), []status.Nudge{goPublic("2 customers affected")}},
		{"internal major incident down exactly 15 min: not yet public", openFor(status.SeverityMajor, 15*time.Minute),
			holding(1, status.RoleComms), nil},
		{"internal major incident down past 15 min: go public", openFor(status.SeverityMajor, 16*time.Minute),
			holding(1, status.RoleComms), []status.Nudge{goPublic("Major impact for 16 min")}},
		{"security incident: go public only once the information-security officer agrees",
			with(openFor(status.SeverityBusinessContinuity, 20*time.Minute), func(i *status.Incident) { i.Security = status.SecurityIncident }),
			holding(1, status.RoleComms), []status.Nudge{{Kind: status.NudgeGoPublic,
				Message: "Business continuity impact for 20 min: update the public status page (make the incident public) once the information-security officer agrees"}}},
		{"internal minor incident for one customer: stays internal", openFor(status.SeverityMinor, time.Hour+time.Minute),
			holding(1, status.RoleHelp), nil},
		{"next contact time passed",
			with(public(status.SeverityMinor, 10*time.Minute), func(i *status.Incident) {
				i.NextContactAt = statustest.Ptr(epoch.Add(-time.Minute))
				i.ContactChannels = status.ContactChannels{status.ChannelTicket, status.ChannelPhone}
			}), one,
			[]status.Nudge{{Kind: status.NudgeContactDue, Urgent: true,
				Message: "The next contact with the customer was due at 11:59 UTC (ticket, phone): get in touch and set the next time"}}},
		{"next contact time exactly now is not past",
			with(public(status.SeverityMinor, 10*time.Minute), func(i *status.Incident) { i.NextContactAt = statustest.Ptr(epoch) }), one, nil},
		{"resolved incident gets no nudges", resolvedAfter(status.SeverityTrivial, 5*time.Hour), holding(9), nil},
		{"resolved state alone gets no nudges",
			&status.Incident{Severity: status.SeverityMinor, State: status.StateResolved, StartedAt: epoch.Add(-5 * time.Hour)}, holding(9), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, status.Nudges(tc.inc, tc.in, epoch))
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
