package status

import (
	"sort"
	"time"
)

// UptimeDay is one day of a component's uptime bar, in the page's time
// zone.
type UptimeDay struct {
	Date time.Time // midnight in the page's time zone
	// Uptime is the fraction of the day's tracked time without an outage
	// (partial_outage counts half, major_outage fully; degraded and
	// maintenance count as up). -1 means no data (before the component
	// existed or in the future).
	Uptime float64
	// Worst is the worst status seen that day.
	Worst     ComponentStatus
	Incidents []*IncidentView // incidents the audience sees affecting the component that day
}

// HasData reports whether the day had tracked time.
func (d UptimeDay) HasData() bool { return d.Uptime >= 0 }

// Uptime computes days bars ending with today (in loc) from a component's
// status history, which must be sorted by time. The status before the first
// change is unknown, so time before it has no data.
func Uptime(history []StatusChange, now time.Time, loc *time.Location, days int) []UptimeDay {
	now = now.In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	out := make([]UptimeDay, days)
	for i := range out {
		dayStart := today.AddDate(0, 0, i-days+1)
		dayEnd := dayStart.AddDate(0, 0, 1)
		if dayEnd.After(now) {
			dayEnd = now
		}
		out[i] = dayUptime(history, dayStart, dayEnd)
		out[i].Date = dayStart
	}
	return out
}

func dayUptime(history []StatusChange, start, end time.Time) UptimeDay {
	d := UptimeDay{Uptime: -1, Worst: Operational}
	if !end.After(start) {
		return d
	}
	// Find the status in force at start: the last change at or before it.
	i := sort.Search(len(history), func(i int) bool { return history[i].ChangedAt.After(start) })
	var tracked, down time.Duration
	cur := ComponentStatus("")
	if i > 0 {
		cur = history[i-1].Status
	}
	at := start
	for ; ; i++ {
		next := end
		if i < len(history) && history[i].ChangedAt.Before(end) {
			next = history[i].ChangedAt
		}
		if cur != "" && next.After(at) {
			span := next.Sub(at)
			tracked += span
			switch cur {
			case MajorOutage:
				down += span
			case PartialOutage:
				down += span / 2
			}
			if cur.Rank() > d.Worst.Rank() {
				d.Worst = cur
			}
		}
		if next.Equal(end) {
			break
		}
		cur, at = history[i].Status, next
	}
	if tracked > 0 {
		d.Uptime = 1 - float64(down)/float64(tracked)
	}
	return d
}

// UptimePercent is the overall uptime across days with data, or -1.
func UptimePercent(days []UptimeDay) float64 {
	var sum float64
	n := 0
	for _, d := range days {
		if d.HasData() {
			sum += d.Uptime
			n++
		}
	}
	if n == 0 {
		return -1
	}
	return 100 * sum / float64(n)
}
