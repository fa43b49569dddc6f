package alerts

import (
	"strings"

	"github.com/herald-status/herald/status"
)

// The words sources use for their severities, by the incident severity
// they suggest.
var (
	majorWords = []string{"critical", "crit", "p1", "emergency", "emerg", "fatal", "disaster", "page", "high-urgency"}
	minorWords = []string{"error", "err", "high", "major", "p2", "p3", "warning", "warn", "average", "moderate", "medium"}
	// trivialWords suggest a trivial incident.
	trivialWords = []string{"info", "informational", "low", "p4", "p5", "notice", "debug", "none", "ok"}
	// criticalWords are the severities that may declare an incident
	// without a person: those that page.
	criticalWords = []string{"critical", "crit", "p1", "emergency", "emerg", "fatal", "disaster", "page"}
)

func severityWord(sev string) string { return strings.ToLower(strings.TrimSpace(sev)) }

func oneOf(w string, words []string) bool {
	for _, x := range words {
		if w == x {
			return true
		}
	}
	return false
}

// SuggestSeverity maps a source's severity ("critical", "P2",
// "warning", in any case) to the incident severity it suggests: the
// paging words to major, errors and warnings to minor, information to
// trivial; "" and words it does not know to minor. It never suggests
// business_continuity: that takes a person.
func SuggestSeverity(sev string) status.Severity {
	w := severityWord(sev)
	switch {
	case oneOf(w, majorWords):
		return status.SeverityMajor
	case oneOf(w, minorWords):
		return status.SeverityMinor
	case oneOf(w, trivialWords):
		return status.SeverityTrivial
	}
	return status.SeverityMinor
}

// IsCritical reports whether a source's severity is one that pages
// someone: critical, crit, p1, emergency, emerg, fatal, disaster or
// page, in any case.
func IsCritical(sev string) bool {
	return oneOf(severityWord(sev), criticalWords)
}
