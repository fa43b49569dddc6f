package status

import (
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"
)

// OfficeHours are when the team running a page is in the office
// (DESIGN.md §1: outside them the on-call guide applies). Days are
// three-letter weekdays separated by commas ("mon,tue,wed,thu,fri"); Opens
// and Closes are "15:04" in the page's time zone (a Closes not after Opens
// runs past midnight); Holidays are dates (YYYY-MM-DD) the office is closed,
// one per line. No days means the team keeps no office hours: it is never
// out of hours.
type OfficeHours struct {
	Days     string `bun:"days"`
	Opens    string `bun:"opens"`
	Closes   string `bun:"closes"`
	Holidays string `bun:"holidays"`
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Kept reports whether office hours are set.
func (h OfficeHours) Kept() bool { return strings.TrimSpace(h.Days) != "" }

// Open reports whether t falls within the office hours in loc: on one of
// Days (the day the office opened, for hours past midnight), from Opens up
// to but not including Closes, and not on a holiday. It is always true
// when no office hours are kept, and false when they do not parse (the
// on-call guide is the safe side).
func (h OfficeHours) Open(t time.Time, loc *time.Location) bool {
	if !h.Kept() {
		return true
	}
	opens, err1 := clockMinutes(h.Opens)
	closes, err2 := clockMinutes(h.Closes)
	if err1 != nil || err2 != nil {
		return false
	}
	t = t.In(loc)
	now := t.Hour()*60 + t.Minute()
	day := t
	switch {
	case opens < closes:
		if now < opens || now >= closes {
			return false
		}
	case now >= opens:
		// An overnight shift, evening part.
	case now < closes:
		// An overnight shift, morning part: it opened the day before.
		day = t.AddDate(0, 0, -1)
	default:
		return false
	}
	return slices.Contains(h.days(), weekdays[day.Weekday()]) && !slices.Contains(h.holidays(), day.Format(time.DateOnly))
}

func (h OfficeHours) days() []string {
	var out []string
	for _, d := range strings.Split(h.Days, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			out = append(out, d)
		}
	}
	return out
}

func (h OfficeHours) holidays() []string { return strings.Fields(h.Holidays) }

// String describes the office hours: "mon–fri 09:00–17:00", or "none
// kept".
func (h OfficeHours) String() string {
	if !h.Kept() {
		return "none kept"
	}
	return strings.Join(h.days(), ", ") + " " + h.Opens + "–" + h.Closes
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("not a time of day (HH:MM): %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// check adds field errors under office_days, office_opens, office_closes
// and office_holidays.
func (h OfficeHours) check(f FieldErrors) {
	if len(h.Days)+len(h.Opens)+len(h.Closes) > 200 {
		f.Add("office_days", "is too long")
		return
	}
	if len(h.Holidays) > 10000 {
		f.Add("office_holidays", "at most 10,000 characters")
	}
	for _, d := range h.holidays() {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			f.Add("office_holidays", "must be dates like 2026-12-25, one per line")
			break
		}
	}
	if !h.Kept() {
		if strings.TrimSpace(h.Opens+h.Closes) != "" {
			f.Add("office_days", "must name the days the office hours are for")
		}
		return
	}
	for _, d := range h.days() {
		if !slices.Contains(weekdays, d) {
			f.Add("office_days", "must be days like mon,tue,wed,thu,fri")
			break
		}
	}
	opens, err := clockMinutes(h.Opens)
	if err != nil {
		f.Add("office_opens", "must be a time of day like 09:00")
	}
	closes, err := clockMinutes(h.Closes)
	if err != nil {
		f.Add("office_closes", "must be a time of day like 17:00")
	}
	if f["office_opens"] == "" && f["office_closes"] == "" && opens == closes {
		f.Add("office_closes", "must differ from the opening time")
	}
}

// normalised is h with days in lower case and holidays one per line.
func (h OfficeHours) normalised() OfficeHours {
	return OfficeHours{Days: strings.Join(h.days(), ","), Opens: strings.TrimSpace(h.Opens),
		Closes: strings.TrimSpace(h.Closes), Holidays: strings.Join(h.holidays(), "\n")}
}

// SecurityKind marks an incident that touches information security
// (DESIGN.md §1): it is reported to the information-security officer, and
// a vulnerability follows the vulnerability process.
type SecurityKind string

// Security kinds; the empty value is an ordinary incident.
const (
	SecurityNone          SecurityKind = ""
	SecurityIncident      SecurityKind = "incident"
	SecurityVulnerability SecurityKind = "vulnerability"
)

// SecurityKinds lists the kinds a person can choose.
var SecurityKinds = []SecurityKind{SecurityIncident, SecurityVulnerability}

// Valid reports whether k is one of SecurityKinds or none.
func (k SecurityKind) Valid() bool { return k == SecurityNone || slices.Contains(SecurityKinds, k) }

// Label is the kind in words.
func (k SecurityKind) Label() string {
	switch k {
	case SecurityIncident:
		return "Information-security incident"
	case SecurityVulnerability:
		return "Security vulnerability"
	}
	return "Not a security matter"
}

// DefaultVisibility is the visibility an incident is declared with when
// the form does not say: internal for a security matter (nothing about it
// goes out before the information-security officer agrees), public
// otherwise.
func DefaultVisibility(k SecurityKind) Visibility {
	if k != SecurityNone {
		return VisibilityInternal
	}
	return VisibilityPublic
}

// ContactChannels is a set of channels, stored comma-separated.
type ContactChannels []ContactChannel

// Has reports whether c is among the channels.
func (cs ContactChannels) Has(c ContactChannel) bool { return slices.Contains(cs, c) }

// String lists the channels in words: "Ticket, Phone".
func (cs ContactChannels) String() string {
	labels := make([]string, len(cs))
	for i, c := range cs {
		labels[i] = c.Label()
	}
	return strings.Join(labels, ", ")
}

// Value stores the channels comma-separated.
func (cs ContactChannels) Value() (driver.Value, error) {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ","), nil
}

// Scan reads channels stored comma-separated.
func (cs *ContactChannels) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("contact channels: cannot scan %T", src)
	}
	*cs = nil
	for _, c := range strings.Split(s, ",") {
		if c != "" {
			*cs = append(*cs, ContactChannel(c))
		}
	}
	return nil
}

// checkContactChannels adds a field error for an unknown or repeated
// channel.
func checkContactChannels(f FieldErrors, cs ContactChannels) {
	seen := map[ContactChannel]bool{}
	for _, c := range cs {
		if !c.Valid() || seen[c] {
			f.Add("contact_channels", OneOf(AllContactChannels))
			return
		}
		seen[c] = true
	}
}

// VideoRoom is where the team meets about inc: the incident's own room,
// else the page's standing one; "" when neither is set.
func VideoRoom(inc *Incident, page *Page) string {
	if inc.VideoRoom != "" {
		return inc.VideoRoom
	}
	if page != nil {
		return page.VideoRoomURL
	}
	return ""
}
