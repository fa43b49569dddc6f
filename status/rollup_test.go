package status_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

func TestRollUp(t *testing.T) {
	t.Parallel()
	comps := func(ss ...status.ComponentStatus) []*status.Component {
		var out []*status.Component
		for _, s := range ss {
			out = append(out, &status.Component{Status: s})
		}
		return out
	}
	incs := func(ss ...status.Severity) []*status.IncidentView {
		var out []*status.IncidentView
		for _, s := range ss {
			out = append(out, &status.IncidentView{Severity: s, State: status.StateInvestigating})
		}
		return out
	}
	cases := []struct {
		name        string
		components  []*status.Component
		incidents   []*status.IncidentView
		maintenance bool
		indicator   status.Impact
		description string
	}{
		{"nothing at all is all systems operational", nil, nil, false, status.ImpactNone, "All Systems Operational"},
		{"operational components are all systems operational",
			comps(status.Operational, status.Operational), nil, false, status.ImpactNone, "All Systems Operational"},
		{"a degraded component is a minor outage",
			comps(status.Operational, status.DegradedPerformance), nil, false, status.ImpactMinor, "Minor Service Outage"},
		{"a partial outage is a major indicator",
			comps(status.PartialOutage), nil, false, status.ImpactMajor, "Partial System Outage"},
		{"a major outage is critical",
			comps(status.Operational, status.MajorOutage), nil, false, status.ImpactCritical, "Major Service Outage"},
		{"the worst component wins",
			comps(status.MajorOutage, status.DegradedPerformance, status.PartialOutage), nil, false, status.ImpactCritical, "Major Service Outage"},
		{"an open incident raises the indicator to its severity",
			comps(status.DegradedPerformance), incs(status.SeverityMajor), false, status.ImpactMajor, "Partial System Outage"},
		{"a business continuity incident is critical",
			comps(status.Operational), incs(status.SeverityBusinessContinuity), false, status.ImpactCritical, "Major Service Outage"},
		{"an incident never lowers the indicator",
			comps(status.MajorOutage), incs(status.SeverityMinor), false, status.ImpactCritical, "Major Service Outage"},
		{"a trivial open incident says investigating",
			comps(status.Operational), incs(status.SeverityTrivial), false, status.ImpactNone, "Investigating an Issue"},
		{"a component under maintenance shows maintenance",
			comps(status.Operational, status.UnderMaintenance), nil, false, status.ImpactMaintenance, "Service Under Maintenance"},
		{"a maintenance in progress shows maintenance",
			comps(status.Operational), nil, true, status.ImpactMaintenance, "Service Under Maintenance"},
		{"an outage outranks maintenance",
			comps(status.UnderMaintenance, status.PartialOutage), nil, true, status.ImpactMajor, "Partial System Outage"},
		{"a minor incident outranks maintenance",
			comps(status.UnderMaintenance), incs(status.SeverityMinor), false, status.ImpactMinor, "Minor Service Outage"},
		{"maintenance outranks a trivial incident",
			comps(status.Operational), incs(status.SeverityTrivial), true, status.ImpactMaintenance, "Service Under Maintenance"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := status.RollUp(tc.components, tc.incidents, tc.maintenance)
			require.Equal(t, status.Overall{Indicator: tc.indicator, Description: tc.description}, got)
		})
	}
}
