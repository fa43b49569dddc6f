package status

import (
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// ComponentStatus is a component's state, with Statuspage's values.
type ComponentStatus string

// Component statuses, from best to worst (under_maintenance aside).
const (
	Operational         ComponentStatus = "operational"
	DegradedPerformance ComponentStatus = "degraded_performance"
	PartialOutage       ComponentStatus = "partial_outage"
	MajorOutage         ComponentStatus = "major_outage"
	UnderMaintenance    ComponentStatus = "under_maintenance"
)

// ComponentStatuses lists every valid status, best first.
var ComponentStatuses = []ComponentStatus{Operational, DegradedPerformance, PartialOutage, MajorOutage, UnderMaintenance}

// Valid reports whether s is one of ComponentStatuses.
func (s ComponentStatus) Valid() bool { return slices.Contains(ComponentStatuses, s) }

// Label is the status in words for people.
func (s ComponentStatus) Label() string {
	switch s {
	case Operational:
		return "Operational"
	case DegradedPerformance:
		return "Degraded performance"
	case PartialOutage:
		return "Partial outage"
	case MajorOutage:
		return "Major outage"
	case UnderMaintenance:
		return "Under maintenance"
	}
	return string(s)
}

// Rank orders outages: 0 operational, 3 major outage. Maintenance ranks
// as 0; the roll-up handles it separately.
func (s ComponentStatus) Rank() int {
	switch s {
	case DegradedPerformance:
		return 1
	case PartialOutage:
		return 2
	case MajorOutage:
		return 3
	}
	return 0
}

// Impact maps a component status to the Statuspage impact ladder.
func (s ComponentStatus) Impact() Impact {
	return [...]Impact{ImpactNone, ImpactMinor, ImpactMajor, ImpactCritical}[s.Rank()]
}

// ComponentGroup gathers components under one heading on a page.
type ComponentGroup struct {
	bun.BaseModel `bun:"table:component_groups"`

	ID          string    `bun:"id,pk" json:"id"`
	PageID      string    `bun:"page_id" json:"page_id"`
	Name        string    `bun:"name" json:"name"`
	Description string    `bun:"description" json:"description"`
	Position    int       `bun:"position" json:"position"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at" json:"updated_at"`
}

// Component is a service shown on a page.
type Component struct {
	bun.BaseModel `bun:"table:components"`

	ID          string          `bun:"id,pk" json:"id"`
	PageID      string          `bun:"page_id" json:"page_id"`
	GroupID     *string         `bun:"group_id" json:"group_id"`
	Name        string          `bun:"name" json:"name"`
	Description string          `bun:"description" json:"description"`
	Status      ComponentStatus `bun:"status" json:"status"`
	Position    int             `bun:"position" json:"position"`
	// Hidden components are kept out of every public page and API.
	Hidden    bool      `bun:"hidden" json:"hidden"`
	StartDate time.Time `bun:"start_date" json:"start_date"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

// StatusChange is one entry in a component's status history.
type StatusChange struct {
	bun.BaseModel `bun:"table:component_status_changes"`

	ID          string          `bun:"id,pk"`
	ComponentID string          `bun:"component_id"`
	Status      ComponentStatus `bun:"status"`
	ChangedAt   time.Time       `bun:"changed_at"`
}
