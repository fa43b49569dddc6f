package status

import (
	"strconv"
	"strings"
	"time"
)

// When to fetch help, by DESIGN.md §1: when an incident is not solved
// within 30–60 min or more than one customer is affected.
const (
	HelpAfter    = 30 * time.Minute // past this, suggest getting help
	HelpNowAfter = 60 * time.Minute // past this, insist on it
)

// NudgeKind names a suggestion made to the people running an incident.
type NudgeKind string

// Nudge kinds.
const (
	NudgeRaiseSeverity NudgeKind = "raise_severity"
	NudgeGetHelp       NudgeKind = "get_help"
)

// Nudge is a suggestion for an open incident. Message says it in words;
// Severity is the suggested severity of a NudgeRaiseSeverity; Urgent marks a
// NudgeGetHelp that should not wait any longer.
type Nudge struct {
	Kind     NudgeKind
	Message  string
	Severity Severity
	Urgent   bool
}

// ExpectedResolution describes how long an incident of severity sev is
// expected to take, for the declare form: "within 15 minutes", "15 minutes
// to 2 hours", "over 2 hours" or "business continuity plan". It returns ""
// for an unknown severity.
func ExpectedResolution(sev Severity) string {
	switch sev {
	case SeverityTrivial:
		return "within 15 minutes"
	case SeverityMinor:
		return "15 minutes to 2 hours"
	case SeverityMajor:
		return "over 2 hours"
	case SeverityBusinessContinuity:
		return "business continuity plan"
	}
	return ""
}

// raiseAfter maps a severity with an expected resolution time to that time
// and the severity to suggest once it has passed.
var raiseAfter = map[Severity]struct {
	after time.Duration
	label string
	to    Severity
}{
	SeverityTrivial: {15 * time.Minute, "15 min", SeverityMinor},
	SeverityMinor:   {2 * time.Hour, "2 h", SeverityMajor},
}

// Nudges returns the suggestions for inc at now, given how many customers
// are affected; nil for a resolved incident. Running longer than the
// severity's expected resolution time (trivial past 15 min, minor past 2 h;
// exactly the limit is not past it) suggests the next severity. Running
// longer than HelpAfter, or more than one affected customer, suggests
// getting help; running longer than HelpNowAfter makes that Urgent. There is
// at most one nudge of each kind, raising the severity first.
func Nudges(inc *Incident, affectedCustomers int, now time.Time) []Nudge {
	if inc.State == StateResolved || inc.ResolvedAt != nil {
		return nil
	}
	var nudges []Nudge
	d := elapsed(inc, now)
	if r, ok := raiseAfter[inc.Severity]; ok && d > r.after {
		nudges = append(nudges, Nudge{Kind: NudgeRaiseSeverity, Severity: r.to,
			Message: "Running for " + formatElapsed(d) + ", past the " + r.label + " a " +
				strings.ToLower(inc.Severity.Label()) + " incident should take: consider raising it to " +
				strings.ToLower(r.to.Label())})
	}
	var why []string
	if d > HelpAfter {
		why = append(why, "Not solved after "+formatElapsed(d))
	}
	if affectedCustomers > 1 {
		why = append(why, strconv.Itoa(affectedCustomers)+" customers affected")
	}
	if len(why) > 0 {
		urgent := d > HelpNowAfter
		msg := strings.Join(why, " and ") + ": get help"
		if urgent {
			msg += " now"
		}
		nudges = append(nudges, Nudge{Kind: NudgeGetHelp, Message: msg, Urgent: urgent})
	}
	return nudges
}
