package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/herald-status/herald/status"
)

// genericAlert is one alert of the generic payload.
type genericAlert struct {
	Source      string                     `json:"source"`
	Key         string                     `json:"key"`
	Status      string                     `json:"status"`
	Title       string                     `json:"title"`
	Description string                     `json:"description"`
	Severity    string                     `json:"severity"`
	Labels      map[string]json.RawMessage `json:"labels"`
	Link        string                     `json:"link"`
	StartsAt    string                     `json:"starts_at"`
	EndsAt      string                     `json:"ends_at"`
}

// sourceName is what a generic payload's source must look like.
var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ParseGeneric reads Herald's generic payload: one JSON object, or an
// array of at most MaxAlerts of them, each
//
//	{"source":"icinga","key":"db1/disk","status":"firing",
//	 "title":"Disk almost full on db1","description":"...","severity":"critical",
//	 "labels":{"service":"postgres"},"link":"https://icinga.example/host/db1",
//	 "starts_at":"2024-05-01T10:00:00Z","ends_at":"..."}
//
// Only title is required. source defaults to "generic" (and may not be
// "alertmanager" or "opsgenie", which have hooks of their own); status
// to "firing", and "problem" is read as firing, "ok", "recovery" and
// "recovered" as resolved; a missing key is derived from the title and
// labels. Invalid UTF-8 is replaced, and named in Problems.
//
// In an array, an alert that cannot be used (no title, a status Herald
// does not know) comes back with only Dropped set; the others are kept.
// The error, if any, is a *PayloadError for the sender: the payload is
// none of the above, or none of its alerts can be used.
func ParseGeneric(body []byte) ([]Alert, error) {
	var raw json.RawMessage
	if err := decodeJSON(body, &raw, ""); err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	bad := mangled(raw)
	switch kind := rawKind(raw); kind {
	case "an object":
		a, err := genericConvert(raw, "", bad)
		if err != nil {
			return nil, err
		}
		return []Alert{a}, nil
	case "an array":
	default:
		return nil, refuse("the payload must be an alert object or an array of them, got %s", kind)
	}
	var items []json.RawMessage
	if err := decodeJSON(raw, &items, ""); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, refuse("no alerts in the payload")
	}
	if len(items) > MaxAlerts {
		return nil, refuse("too many alerts: %d, at most %d", len(items), MaxAlerts)
	}
	out := make([]Alert, 0, len(items))
	for i, item := range items {
		a, err := genericConvert(item, fmt.Sprintf("[%d]", i), bad)
		if err != nil {
			a = Alert{Source: "generic", Dropped: err.Error()}
		}
		out = append(out, a)
	}
	return usable(out)
}

// genericConvert reads one generic alert; at is its place in an array
// ("[2]"), "" for a lone object, and bad says the payload has strings
// encoding/json changed. The error is a *PayloadError.
func genericConvert(raw json.RawMessage, at string, bad bool) (Alert, error) {
	field := func(name string) string {
		if at == "" {
			return name
		}
		return at + "." + name
	}
	if kind := rawKind(raw); kind != "an object" {
		return Alert{}, refuse("%s: must be an alert object, got %s", at, kind)
	}
	var in genericAlert
	prefix := ""
	if at != "" {
		prefix = at + "."
	}
	if err := decodeJSON(raw, &in, prefix); err != nil {
		return Alert{}, err
	}
	labels, err := textMap(in.Labels, field("labels"))
	if err != nil {
		return Alert{}, err
	}
	m := &mender{}
	if bad {
		m.mangledFields(raw, "")
	}
	var a Alert

	src, _ := valid(in.Source)
	src = strings.ToLower(src)
	switch {
	case src == "":
		src = "generic"
	case src == "alertmanager" || src == "opsgenie":
		return Alert{}, refuse("%s: %q has a hook of its own: send its payloads there", field("source"), src)
	case !sourceName.MatchString(src):
		return Alert{}, refuse("%s: must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, got %q", field("source"), status.CutTrim(src, quoteLen, ellipsis))
	}
	a.Source = src

	switch st := strings.ToLower(strings.TrimSpace(in.Status)); st {
	case "", "firing", "problem":
		a.Event = Firing
	case "resolved", "ok", "recovery", "recovered":
		a.Event = Resolved
	default:
		st, _ = valid(in.Status)
		return Alert{}, refuse("%s: must be \"firing\" or \"resolved\", got %q", field("status"), status.CutTrim(st, quoteLen, ellipsis))
	}

	a.Title = m.title("title", in.Title)
	if a.Title == "" {
		return Alert{}, refuse("%s is required", field("title"))
	}
	a.Key = m.key("key", in.Key)
	if a.Key == "" {
		a.Key = hashKey("derived:", in.Title, "\n", labelLines(labels))
		m.notef("no key: derived from the title and labels")
	}
	a.Description = m.text("description", in.Description, MaxDescriptionLen)
	a.Severity = m.text("severity", in.Severity, MaxLabelValueLen)
	a.Labels = m.labels(labels)
	a.Link = m.link("link", in.Link)
	a.StartsAt = m.when("starts_at", in.StartsAt)
	if a.Event == Resolved {
		a.EndsAt = m.when("ends_at", in.EndsAt)
	}
	a.Problems = m.problems
	return a, nil
}
