package status

import (
	"time"
)

// The update cadence of DESIGN.md §1: while an incident is open, customers
// get an update at least every 30 minutes.
const (
	// DefaultCadence is the longest time between two customer-facing updates
	// unless the communication manager chose another.
	DefaultCadence = 30 * time.Minute
	// CadenceReminder is how long before the due time an update counts as
	// due soon, which is when the reminder goes out.
	CadenceReminder = 5 * time.Minute
	// MaxNextUpdateAhead is how far ahead an explicit next-update time may be.
	MaxNextUpdateAhead = 24 * time.Hour
)

// NextUpdatePresets are the intervals offered for the next update, shortest
// first. DefaultCadence is one of them.
var NextUpdatePresets = []time.Duration{15 * time.Minute, 30 * time.Minute, 60 * time.Minute}

// CadenceStatus says whether an open incident's next update is on time.
type CadenceStatus string

// Cadence statuses, from relaxed to late.
const (
	CadenceOnTime  CadenceStatus = "on_time"  // more than CadenceReminder before due
	CadenceDueSoon CadenceStatus = "due_soon" // within CadenceReminder of due, or exactly due
	CadenceOverdue CadenceStatus = "overdue"  // after due
)

// CadenceState returns the status of an update due at due, seen at now:
// CadenceOverdue once now is after due, CadenceDueSoon from CadenceReminder
// before due up to and including due itself, and CadenceOnTime before that.
func CadenceState(due, now time.Time) CadenceStatus {
	switch left := due.Sub(now); {
	case left < 0:
		return CadenceOverdue
	case left <= CadenceReminder:
		return CadenceDueSoon
	}
	return CadenceOnTime
}

// NextUpdateDue returns when the update after one posted at lastUpdate is
// due, every later. A non-positive every means DefaultCadence.
func NextUpdateDue(lastUpdate time.Time, every time.Duration) time.Time {
	if every <= 0 {
		every = DefaultCadence
	}
	return lastUpdate.Add(every)
}

// Cadence is when an open incident's next customer-facing update is due.
type Cadence struct {
	// Last is when customers last heard about the incident: the newest update
	// that notified them, or the declaration if none did. Due is never
	// before Last.
	Last time.Time
	Due  time.Time
}

// State returns the cadence status at now; see CadenceState.
func (c Cadence) State(now time.Time) CadenceStatus { return CadenceState(c.Due, now) }

// CadenceOf returns the cadence of inc: the promised NextUpdateAt when one
// is recorded, else DefaultCadence after the newest update with Notify set
// (updates that told nobody do not count), or after the declaration
// (CreatedAt, else StartedAt) if there is none. It returns ok=false for a
// resolved incident, which has no next update.
func CadenceOf(inc *Incident) (c Cadence, ok bool) {
	if inc.State == StateResolved || inc.ResolvedAt != nil {
		return Cadence{}, false
	}
	last := inc.CreatedAt
	if last.IsZero() {
		last = inc.StartedAt
	}
	for _, u := range inc.Updates {
		if u.Notify && u.CreatedAt.After(last) {
			last = u.CreatedAt
		}
	}
	if inc.NextUpdateAt != nil {
		return Cadence{Last: last, Due: *inc.NextUpdateAt}, true
	}
	return Cadence{Last: last, Due: NextUpdateDue(last, DefaultCadence)}, true
}

// NextUpdate is the communication manager's choice of when the next update
// is due: one of NextUpdatePresets after now (Every), or an explicit time
// (At). The zero value means DefaultCadence.
type NextUpdate struct {
	Every time.Duration
	At    *time.Time
}

// Due validates the choice at now and returns when the next update is due.
// An explicit time must be after now and at most MaxNextUpdateAhead ahead
// (exactly 24 h is allowed); an interval must be one of NextUpdatePresets;
// giving both is an error. Errors are KindInvalid with the problem in
// Fields["next_update"].
func (n NextUpdate) Due(now time.Time) (time.Time, error) {
	f := FieldErrors{}
	switch {
	case n.At != nil && n.Every != 0:
		f.Add("next_update", "choose an interval or a time, not both")
	case n.At != nil && !n.At.After(now):
		f.Add("next_update", "must be in the future")
	case n.At != nil && n.At.Sub(now) > MaxNextUpdateAhead:
		f.Add("next_update", "must be at most 24 hours ahead")
	case n.At != nil:
		return *n.At, nil
	case n.Every == 0:
		return NextUpdateDue(now, DefaultCadence), nil
	case !isPreset(n.Every):
		f.Add("next_update", "must be 15, 30 or 60 minutes")
	default:
		return NextUpdateDue(now, n.Every), nil
	}
	return time.Time{}, f.Err()
}

func isPreset(d time.Duration) bool {
	for _, p := range NextUpdatePresets {
		if d == p {
			return true
		}
	}
	return false
}
