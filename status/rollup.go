package status

// Overall is a page's roll-up status: Statuspage's indicator and its words.
type Overall struct {
	Indicator   Impact
	Description string
}

// RollUp derives the page's overall status from the components and open
// incidents one audience sees: the worst component status on Statuspage's ladder
// (major outage ⇒ critical, partial ⇒ major, degraded ⇒ minor), raised to the
// impact of any open incident; "maintenance" when nothing is wrong but some
// component is under maintenance or a maintenance is in progress.
func RollUp(components []*Component, openIncidents []*IncidentView, maintenanceActive bool) Overall {
	worst := ImpactNone
	for _, c := range components {
		if c.Status == UnderMaintenance {
			maintenanceActive = true
		}
		if i := c.Status.Impact(); i.rank() > worst.rank() {
			worst = i
		}
	}
	for _, inc := range openIncidents {
		if i := inc.Severity.Impact(); i.rank() > worst.rank() {
			worst = i
		}
	}
	switch {
	case worst == ImpactCritical:
		return Overall{ImpactCritical, "Major Service Outage"}
	case worst == ImpactMajor:
		return Overall{ImpactMajor, "Partial System Outage"}
	case worst == ImpactMinor:
		return Overall{ImpactMinor, "Minor Service Outage"}
	case maintenanceActive:
		return Overall{ImpactMaintenance, "Service Under Maintenance"}
	case len(openIncidents) > 0:
		return Overall{ImpactNone, "Investigating an Issue"}
	}
	return Overall{ImpactNone, "All Systems Operational"}
}
