package alerts_test

import (
	"testing"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
)

func TestSuggestSeverity(t *testing.T) {
	for _, c := range []struct {
		words []string
		want  status.Severity
	}{
		{[]string{"critical", "CRITICAL", " Crit ", "p1", "P1", "emergency", "emerg", "fatal", "disaster", "page", "high-urgency"}, status.SeverityMajor},
		{[]string{"error", "err", "high", "major", "p2", "P3", "warning", "Warn", "average", "moderate", "medium"}, status.SeverityMinor},
		{[]string{"info", "informational", "low", "P4", "p5", "notice", "debug", "none", "OK"}, status.SeverityTrivial},
		{[]string{"", "  ", "apocalyptic", "p0", "business_continuity"}, status.SeverityMinor},
	} {
		for _, w := range c.words {
			if got := alerts.SuggestSeverity(w); got != c.want {
				t.Errorf("SuggestSeverity(%q) = %s, want %s", w, got, c.want)
			}
		}
	}
}

func TestIsCritical(t *testing.T) {
	for _, w := range []string{"critical", "Crit", "P1", "emergency", "emerg", "fatal", "disaster", "PAGE", " critical\n"} {
		if !alerts.IsCritical(w) {
			t.Errorf("IsCritical(%q) = false", w)
		}
	}
	for _, w := range []string{"", "high-urgency", "error", "warning", "p2", "major", "info", "criticality"} {
		if alerts.IsCritical(w) {
			t.Errorf("IsCritical(%q) = true", w)
		}
	}
}
