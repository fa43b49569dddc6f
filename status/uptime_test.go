package status_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

// at returns a status change at the given time.
func at(tm time.Time, st status.ComponentStatus) status.StatusChange {
	return status.StatusChange{Status: st, ChangedAt: tm}
}

func TestUptime(t *testing.T) {
	t.Parallel()
	utc := time.UTC
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)

	// The fixed clock: noon UTC on 10 March 2026. "Yesterday" is a whole
	// day, "today" is half over.
	now := epoch
	today := time.Date(2026, time.March, 10, 0, 0, 0, 0, utc)
	yesterday := today.AddDate(0, 0, -1)
	h := func(day time.Time, hours float64) time.Time {
		return day.Add(time.Duration(hours * float64(time.Hour)))
	}

	cases := []struct {
		name    string
		history []status.StatusChange
		now     time.Time
		loc     *time.Location
		days    int
		want    []float64 // uptime per day, oldest first; -1 is no data
		worst   []status.ComponentStatus
	}{
		{
			name: "no history means no data",
			now:  now, loc: utc, days: 3,
			want:  []float64{-1, -1, -1},
			worst: []status.ComponentStatus{status.Operational, status.Operational, status.Operational},
		},
		{
			name:    "operational all along is 100%",
			history: []status.StatusChange{at(yesterday.AddDate(0, 0, -5), status.Operational)},
			now:     now, loc: utc, days: 2,
			want: []float64{1, 1},
		},
		{
			name: "major outage for 6h of a day is 75%",
			history: []status.StatusChange{
				at(yesterday.AddDate(0, 0, -1), status.Operational),
				at(h(yesterday, 6), status.MajorOutage),
				at(h(yesterday, 12), status.Operational),
			},
			now: now, loc: utc, days: 2,
			want:  []float64{0.75, 1},
			worst: []status.ComponentStatus{status.MajorOutage, status.Operational},
		},
		{
			name: "partial outage counts half",
			history: []status.StatusChange{
				at(yesterday.AddDate(0, 0, -1), status.Operational),
				at(h(yesterday, 12), status.PartialOutage),
				at(today, status.Operational),
			},
			now: now, loc: utc, days: 2,
			want:  []float64{0.75, 1},
			worst: []status.ComponentStatus{status.PartialOutage, status.Operational},
		},
		{
			name: "degraded performance and maintenance count as up",
			history: []status.StatusChange{
				at(yesterday, status.DegradedPerformance),
				at(h(yesterday, 12), status.UnderMaintenance),
			},
			now: now, loc: utc, days: 2,
			want:  []float64{1, 1},
			worst: []status.ComponentStatus{status.DegradedPerformance, status.Operational},
		},
		{
			name:    "status before the window carries into it",
			history: []status.StatusChange{at(today.AddDate(0, 0, -30), status.MajorOutage)},
			now:     now, loc: utc, days: 3,
			want:  []float64{0, 0, 0},
			worst: []status.ComponentStatus{status.MajorOutage, status.MajorOutage, status.MajorOutage},
		},
		{
			name: "an outage spanning midnight splits between the days",
			history: []status.StatusChange{
				at(yesterday.AddDate(0, 0, -1), status.Operational),
				at(h(yesterday, 18), status.MajorOutage),
				at(h(today, 3), status.Operational),
			},
			now: now, loc: utc, days: 2,
			want: []float64{0.75, 0.75}, // 6h of 24h, then 3h of the 12h so far
		},
		{
			name: "today counts only up to now",
			history: []status.StatusChange{
				at(yesterday, status.Operational),
				at(h(today, 6), status.MajorOutage),
			},
			now: now, loc: utc, days: 1,
			want: []float64{0.5},
		},
		{
			name: "time before the first change has no data",
			history: []status.StatusChange{
				at(h(yesterday, 18), status.Operational),
				at(h(yesterday, 21), status.MajorOutage),
				at(today, status.Operational),
			},
			now: now, loc: utc, days: 3,
			want: []float64{-1, 0.5, 1}, // 3h down of the 6h it existed
		},
		{
			name: "a change exactly at midnight belongs to the new day",
			history: []status.StatusChange{
				at(yesterday, status.Operational),
				at(today, status.MajorOutage),
			},
			now: now, loc: utc, days: 2,
			want: []float64{1, 0},
		},
		{
			name: "several changes in one day add up",
			history: []status.StatusChange{
				at(yesterday, status.Operational),
				at(h(yesterday, 1), status.MajorOutage),
				at(h(yesterday, 2), status.Operational),
				at(h(yesterday, 3), status.PartialOutage),
				at(h(yesterday, 5), status.DegradedPerformance),
				at(h(yesterday, 6), status.MajorOutage),
				at(h(yesterday, 7), status.Operational),
			},
			now: now, loc: utc, days: 2,
			want:  []float64{1 - 3.0/24, 1}, // 1h + 2h/2 + 1h
			worst: []status.ComponentStatus{status.MajorOutage, status.Operational},
		},
		{
			name: "days follow the page's time zone",
			// 15:00–21:00 UTC on 9 March is 00:00–06:00 on 10 March in Tokyo.
			history: []status.StatusChange{
				at(yesterday.AddDate(0, 0, -2), status.Operational),
				at(h(yesterday, 15), status.MajorOutage),
				at(h(yesterday, 21), status.Operational),
			},
			now: now, loc: tokyo, days: 2, // 21:00 in Tokyo
			want: []float64{1, 1 - 6.0/21},
		},
		{
			name: "a spring-forward day has 23 hours",
			// 29 March 2026 in Berlin: 00:00 CET is 23:00 UTC the day before,
			// 24:00 CEST is 22:00 UTC. Down from 12:00 CEST (10:00 UTC).
			history: []status.StatusChange{
				at(time.Date(2026, time.March, 1, 0, 0, 0, 0, utc), status.Operational),
				at(time.Date(2026, time.March, 29, 10, 0, 0, 0, utc), status.MajorOutage),
				at(time.Date(2026, time.March, 29, 22, 0, 0, 0, utc), status.Operational),
			},
			now: time.Date(2026, time.March, 30, 10, 0, 0, 0, utc), loc: berlin, days: 2,
			want: []float64{1 - 12.0/23, 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			days := status.Uptime(tc.history, tc.now, tc.loc, tc.days)
			require.Len(t, days, tc.days)
			local := tc.now.In(tc.loc)
			for i, d := range days {
				wantDate := time.Date(local.Year(), local.Month(), local.Day()-tc.days+1+i, 0, 0, 0, 0, tc.loc)
				require.True(t, wantDate.Equal(d.Date), "day %d: date %s, want %s", i, d.Date, wantDate)
				require.Equal(t, tc.loc, d.Date.Location(), "dates are in the page's time zone")
				require.InDelta(t, tc.want[i], d.Uptime, 1e-9, "day %d", i)
				require.Equal(t, tc.want[i] >= 0, d.HasData(), "day %d", i)
				if tc.worst != nil {
					require.Equal(t, tc.worst[i], d.Worst, "day %d", i)
				}
			}
		})
	}
}

func TestUptimePercent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		uptime []float64
		want   float64
	}{
		{"no days", nil, -1},
		{"no data at all", []float64{-1, -1}, -1},
		{"days without data are left out", []float64{-1, 1, 0.5}, 75},
		{"all up", []float64{1, 1, 1}, 100},
		{"all down", []float64{0, 0}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var days []status.UptimeDay
			for _, u := range tc.uptime {
				days = append(days, status.UptimeDay{Uptime: u})
			}
			require.InDelta(t, tc.want, status.UptimePercent(days), 1e-9)
		})
	}
}
