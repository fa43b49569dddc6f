package status

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The escalation thresholds of DESIGN.md §1.
const (
	// AccountManagementAfter: an incident running longer than this is
	// reported to Account Management.
	AccountManagementAfter = 2 * time.Hour
	// PostmortemDecisionAfter: for an incident running longer than this,
	// Account Management decides whether a post-mortem is done.
	PostmortemDecisionAfter = 4 * time.Hour
	// RepeatWindow and RepeatCount: the RepeatCount-th incident on one
	// component within RepeatWindow is reported to Account Management.
	RepeatWindow = 48 * time.Hour
	RepeatCount  = 3
)

// PostmortemDecision is Account Management's answer to whether a
// post-mortem is done.
type PostmortemDecision string

// Post-mortem decisions; the empty value means not decided yet.
const (
	PostmortemUndecided PostmortemDecision = ""
	PostmortemYes       PostmortemDecision = "yes"
	PostmortemNo        PostmortemDecision = "no"
)

// Valid reports whether d is a known decision, including undecided.
func (d PostmortemDecision) Valid() bool {
	return d == PostmortemUndecided || d == PostmortemYes || d == PostmortemNo
}

// FlagKind names an escalation step.
type FlagKind string

// Escalation steps.
const (
	FlagSecurityReport     FlagKind = "security_report"
	FlagBusinessContinuity FlagKind = "business_continuity"
	FlagAccountManagement  FlagKind = "account_management"
	FlagPostmortemDecision FlagKind = "postmortem_decision"
)

// Flag is an escalation step an incident has reached. Reason says in words
// why and what to do; Done reports whether the step has been recorded.
type Flag struct {
	Kind   FlagKind
	Reason string
	Done   bool
}

// ComponentHistory is what escalation needs to know about one affected
// component: its name for the reason text and the start times of the other
// incidents on it (the incident being judged must not be among them).
type ComponentHistory struct {
	ComponentID string
	Name        string
	Starts      []time.Time
}

// EscalationInput is what escalation needs beyond the incident itself: the
// affected components' incident history and what has been recorded so far.
type EscalationInput struct {
	Components []ComponentHistory

	AccountManagementInformedAt *time.Time // nil: not informed yet
	PostmortemDecision          PostmortemDecision
	ContinuityPlanAt            *time.Time // nil: business continuity plan not triggered yet
	SecurityReportedAt          *time.Time // nil: not reported to the information-security officer yet
}

// Escalations returns the escalation steps inc has reached at now, most
// urgent first, each with Done set from in:
//   - FlagSecurityReport when inc is an information-security incident or
//     a vulnerability: report it to the information-security officer;
//   - FlagBusinessContinuity when the severity is business continuity,
//     until the incident is resolved (resolving needs the plan triggered or
//     the reason it was not needed, see Close);
//   - FlagAccountManagement when the incident has run longer than
//     AccountManagementAfter (exactly 2 h is not longer), or when it is at
//     least the RepeatCount-th incident on one of its components: counting
//     itself and every other incident that started within the RepeatWindow
//     ending at inc.StartedAt, both ends included;
//   - FlagPostmortemDecision when it has run longer than
//     PostmortemDecisionAfter, or is major or business continuity (the
//     closing gate asks the decision of those too, see PostmortemRequired).
//
// The duration runs from StartedAt to ResolvedAt, or to now while open. The
// result is nil when no step is reached.
func Escalations(inc *Incident, in EscalationInput, now time.Time) []Flag {
	var flags []Flag
	d := elapsed(inc, now)
	switch inc.Security {
	case SecurityIncident:
		flags = append(flags, Flag{Kind: FlagSecurityReport,
			Reason: "Information-security incident: report it to the information-security officer (or the governance role) if that has not happened yet",
			Done:   in.SecurityReportedAt != nil})
	case SecurityVulnerability:
		flags = append(flags, Flag{Kind: FlagSecurityReport,
			Reason: "Security vulnerability: follow the vulnerability process and report it to the information-security officer",
			Done:   in.SecurityReportedAt != nil})
	}
	if inc.Severity == SeverityBusinessContinuity && inc.State.Open() && inc.ResolvedAt == nil {
		flags = append(flags, Flag{Kind: FlagBusinessContinuity,
			Reason: "Business continuity incident: trigger the business continuity plan",
			Done:   in.ContinuityPlanAt != nil})
	}
	var why []string
	if d > AccountManagementAfter {
		why = append(why, runningFor(inc, d))
	}
	if name, n := busiestComponent(inc.StartedAt, in.Components); n >= RepeatCount {
		why = append(why, ordinal(n)+" incident on "+name+" within 48 h")
	}
	if len(why) > 0 {
		flags = append(flags, Flag{Kind: FlagAccountManagement,
			Reason: strings.Join(why, " and ") + ": inform Account Management",
			Done:   in.AccountManagementInformedAt != nil})
	}
	if PostmortemRequired(d, inc.Severity) {
		why := runningFor(inc, d)
		if d <= PostmortemDecisionAfter {
			why = inc.Severity.Label() + " incident"
		}
		flags = append(flags, Flag{Kind: FlagPostmortemDecision,
			Reason: why + ": Account Management decides whether to do a post-mortem",
			Done:   in.PostmortemDecision != PostmortemUndecided})
	}
	return flags
}

// busiestComponent returns the component with the most incidents in the
// RepeatWindow ending at start (counting the incident starting at start) and
// that count; the first listed wins a tie.
func busiestComponent(start time.Time, comps []ComponentHistory) (name string, count int) {
	from := start.Add(-RepeatWindow)
	for _, c := range comps {
		n := 1
		for _, s := range c.Starts {
			if !s.Before(from) && !s.After(start) {
				n++
			}
		}
		if n > count {
			name, count = c.Name, n
			if name == "" {
				name = c.ComponentID
			}
		}
	}
	return name, count
}

// PostmortemRequired reports whether an incident that lasted d at severity
// sev needs a post-mortem before it may be closed: when it lasted longer than
// PostmortemDecisionAfter or is major or business continuity.
func PostmortemRequired(d time.Duration, sev Severity) bool {
	return d > PostmortemDecisionAfter || sev == SeverityMajor || sev == SeverityBusinessContinuity
}

// OperationsChannel is where incidents below major are handled.
const OperationsChannel = "#operations"

// ownChannel reports whether incidents of sev get a chat channel of their
// own: major and business continuity ones do.
func ownChannel(sev Severity) bool {
	return sev == SeverityMajor || sev == SeverityBusinessContinuity
}

// ChannelName returns the internal chat channel for inc: for major and
// business continuity incidents their own, given when they became one
// ("#incident-YYYY-MM-DD", the date StartedAt falls on in the page's time
// zone, "-2", "-3"… for the next ones that day); for every other severity
// OperationsChannel. An incident from before channels were given gets the
// day's name in loc (UTC when nil).
func ChannelName(inc *Incident, loc *time.Location) string {
	if !ownChannel(inc.Severity) {
		return OperationsChannel
	}
	if inc.Channel != "" {
		return inc.Channel
	}
	return dayChannel(inc.StartedAt, loc)
}

func dayChannel(started time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return "#incident-" + started.In(loc).Format(time.DateOnly)
}

// NextChannel returns the first of base, base-2, base-3… not in taken.
func NextChannel(base string, taken []string) string {
	name := base
	for n := 2; slices.Contains(taken, name); n++ {
		name = fmt.Sprintf("%s-%d", base, n)
	}
	return name
}

// elapsed is inc's duration at now, never negative (a start in the future
// is a clock skew, not a negative incident).
func elapsed(inc *Incident, now time.Time) time.Duration {
	return max(inc.Duration(now), 0)
}

// runningFor describes d: "Running for 2 h 05 min" while inc is open,
// "Lasted 2 h 05 min" once it is resolved.
func runningFor(inc *Incident, d time.Duration) string {
	if inc.ResolvedAt != nil {
		return "Lasted " + formatElapsed(d)
	}
	return "Running for " + formatElapsed(d)
}

// formatElapsed formats d in whole minutes, rounded down: "45 min",
// "2 h 05 min", "26 h 00 min".
func formatElapsed(d time.Duration) string {
	m := int(max(d, 0) / time.Minute)
	if m < 60 {
		return strconv.Itoa(m) + " min"
	}
	mm := strconv.Itoa(m % 60)
	if len(mm) == 1 {
		mm = "0" + mm
	}
	return strconv.Itoa(m/60) + " h " + mm + " min"
}

// ordinal returns n as "3rd", "4th", "11th", "21st".
func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
