package status

import (
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// MaintenanceState is where planned work stands.
type MaintenanceState string

// Maintenance states.
const (
	MaintenanceScheduled  MaintenanceState = "scheduled"
	MaintenanceInProgress MaintenanceState = "in_progress"
	MaintenanceCompleted  MaintenanceState = "completed"
)

// MaintenanceStates lists every maintenance state, in the order work
// goes through them.
var MaintenanceStates = []MaintenanceState{MaintenanceScheduled, MaintenanceInProgress, MaintenanceCompleted}

// Valid reports whether s is one of MaintenanceStates.
func (s MaintenanceState) Valid() bool { return slices.Contains(MaintenanceStates, s) }

// Label is the state in words.
func (s MaintenanceState) Label() string {
	switch s {
	case MaintenanceScheduled:
		return "Scheduled"
	case MaintenanceInProgress:
		return "In progress"
	case MaintenanceCompleted:
		return "Completed"
	}
	return string(s)
}

// Maintenance is planned work on some components within a window.
type Maintenance struct {
	bun.BaseModel `bun:"table:maintenances"`

	ID             string           `bun:"id,pk"`
	PageID         string           `bun:"page_id"`
	Title          string           `bun:"title"`
	Description    string           `bun:"description"`
	State          MaintenanceState `bun:"state"`
	ScheduledFor   time.Time        `bun:"scheduled_for"`
	ScheduledUntil time.Time        `bun:"scheduled_until"`
	StartedAt      *time.Time       `bun:"started_at"`
	CompletedAt    *time.Time       `bun:"completed_at"`
	CreatedAt      time.Time        `bun:"created_at"`
	UpdatedAt      time.Time        `bun:"updated_at"`

	ComponentIDs []string             `bun:"-"`
	Updates      []*MaintenanceUpdate `bun:"-" json:"-"` // newest first
}

// MaintenanceUpdate is one message about a maintenance.
type MaintenanceUpdate struct {
	bun.BaseModel `bun:"table:maintenance_updates"`

	ID            string           `bun:"id,pk"`
	MaintenanceID string           `bun:"maintenance_id"`
	State         MaintenanceState `bun:"state"`
	Body          string           `bun:"body"`
	Author        string           `bun:"author"`
	// Notify false keeps the update from subscribers (a typo fixed).
	Notify    bool      `bun:"notify"`
	CreatedAt time.Time `bun:"created_at"`
}

type maintenanceComponent struct {
	bun.BaseModel `bun:"table:maintenance_components"`

	MaintenanceID string `bun:"maintenance_id,pk"`
	ComponentID   string `bun:"component_id,pk"`
}
