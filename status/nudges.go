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

// PublicAfter is the downtime after which a major incident belongs on the
// public status page (DESIGN.md §1: "downtime exceeds 10–15 min").
const PublicAfter = 15 * time.Minute

// NudgeKind names a suggestion made to the people running an incident.
type NudgeKind string

// Nudge kinds.
const (
	NudgeRaiseSeverity NudgeKind = "raise_severity"
	NudgeGetHelp       NudgeKind = "get_help"
	// NudgeCommsManager: name a communication manager.
	NudgeCommsManager NudgeKind = "comms_manager"
	// NudgeGoPublic: the status-page rule is met by an incident the
	// public does not see.
	NudgeGoPublic NudgeKind = "go_public"
	// NudgeContactDue: the next contact time agreed with the customers
	// has passed.
	NudgeContactDue NudgeKind = "contact_due"
	// NudgeRequestConfirmation: the incident is being observed and nobody
	// has been asked to confirm the services are back.
	NudgeRequestConfirmation NudgeKind = "request_confirmation"
)

// Nudge is a suggestion for an open incident. Message says it in words;
// Severity is the suggested severity of a NudgeRaiseSeverity; Urgent marks a
// nudge that should not wait any longer.
type Nudge struct {
	Kind     NudgeKind
	Message  string
	Severity Severity
	Urgent   bool
}

// NudgeInput is what the nudges need beyond the incident: how many
// customers it affects, who holds which role, and whether confirmation
// that the services are back was requested.
type NudgeInput struct {
	Customers             int
	Roles                 []*RoleAssignment
	ConfirmationRequested bool
	// Location is the page's time zone, for times in messages (UTC when
	// nil).
	Location *time.Location
}

func (in NudgeInput) has(r IncidentRole) bool {
	for _, a := range in.Roles {
		if a.Role == r {
			return true
		}
	}
	return false
}

// FixInPlace reports whether inc has a fix in place: it is being
// observed, or an update gave a (temporary or permanent) resolution.
func FixInPlace(inc *Incident) bool {
	if inc.State == StateObserving {
		return true
	}
	for _, u := range inc.Updates {
		if u.Kind == KindResolution {
			return true
		}
	}
	return false
}

// Nudges returns the suggestions for inc at now; nil for a resolved
// incident. At most one nudge of each kind, in this order:
//   - NudgeRaiseSeverity: running longer than the severity's expected
//     resolution time (trivial past 15 min, minor past 2 h; exactly the
//     limit is not past it) suggests the next severity;
//   - NudgeGetHelp: running longer than HelpAfter, or more than one
//     affected customer, while nobody holds technical help and no fix is
//     in place (see FixInPlace); Urgent past HelpNowAfter;
//   - NudgeCommsManager: a major or business-continuity incident, or more
//     than one affected customer, with no communication manager;
//   - NudgeGoPublic: an incident the public does not see, affecting more
//     than one customer, or major or worse and down longer than
//     PublicAfter;
//   - NudgeContactDue: the next contact time agreed with the customers
//     has passed (Urgent);
//   - NudgeRequestConfirmation: being observed, with no confirmation on
//     record and none requested.
func Nudges(inc *Incident, in NudgeInput, now time.Time) []Nudge {
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
	customers := ""
	if in.Customers > 1 {
		customers = strconv.Itoa(in.Customers) + " customers affected"
	}
	if !in.has(RoleHelp) && !FixInPlace(inc) {
		var why []string
		if d > HelpAfter {
			why = append(why, "Not solved after "+formatElapsed(d))
		}
		if customers != "" {
			why = append(why, customers)
		}
		if len(why) > 0 {
			urgent := d > HelpNowAfter
			msg := strings.Join(why, " and ") + ": get help"
			if urgent {
				msg += " now"
			}
			nudges = append(nudges, Nudge{Kind: NudgeGetHelp, Message: msg, Urgent: urgent})
		}
	}
	high := inc.Severity == SeverityMajor || inc.Severity == SeverityBusinessContinuity
	if !in.has(RoleComms) {
		var why []string
		if high {
			why = append(why, inc.Severity.Label()+" incident")
		}
		if customers != "" {
			why = append(why, customers)
		}
		if len(why) > 0 {
			nudges = append(nudges, Nudge{Kind: NudgeCommsManager,
				Message: strings.Join(why, " and ") + ": name a communication manager to keep customers informed"})
		}
	}
	if !inc.Public() {
		var why []string
		if customers != "" {
			why = append(why, customers)
		}
		if high && d > PublicAfter {
			why = append(why, strings.ToLower(inc.Severity.Label())+" impact for "+formatElapsed(d))
		}
		if len(why) > 0 {
			msg := capitalise(strings.Join(why, " and ")) + ": update the public status page (make the incident public)"
			if inc.Security != SecurityNone {
				msg += " once the information-security officer agrees"
			}
			nudges = append(nudges, Nudge{Kind: NudgeGoPublic, Message: msg})
		}
	}
	if inc.NextContactAt != nil && now.After(*inc.NextContactAt) {
		loc := in.Location
		if loc == nil {
			loc = time.UTC
		}
		msg := "The next contact with the customer was due at " + inc.NextContactAt.In(loc).Format("15:04 MST")
		if len(inc.ContactChannels) > 0 {
			msg += " (" + strings.ToLower(inc.ContactChannels.String()) + ")"
		}
		nudges = append(nudges, Nudge{Kind: NudgeContactDue, Message: msg + ": get in touch and set the next time", Urgent: true})
	}
	if inc.State == StateObserving && inc.ConfirmedAt == nil && !in.ConfirmationRequested {
		nudges = append(nudges, Nudge{Kind: NudgeRequestConfirmation,
			Message: "Observing: once the technical lead is confident, request confirmation that the services are back"})
	}
	return nudges
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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
