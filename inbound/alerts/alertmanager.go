package alerts

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/herald-status/herald/status"
)

// amPayload is Prometheus Alertmanager's webhook payload, version 4.
type amPayload struct {
	Version         string            `json:"version"`
	GroupKey        string            `json:"groupKey"`
	TruncatedAlerts int64             `json:"truncatedAlerts"`
	Status          string            `json:"status"`
	ExternalURL     string            `json:"externalURL"`
	Alerts          []json.RawMessage `json:"alerts"`
}

// amAlert is one alert of an amPayload.
type amAlert struct {
	Status       string                     `json:"status"`
	Labels       map[string]json.RawMessage `json:"labels"`
	Annotations  map[string]json.RawMessage `json:"annotations"`
	StartsAt     string                     `json:"startsAt"`
	EndsAt       string                     `json:"endsAt"`
	GeneratorURL string                     `json:"generatorURL"`
	Fingerprint  string                     `json:"fingerprint"`
}

// ParseAlertmanager reads Prometheus Alertmanager's webhook payload
// (version 4) into alerts with Source "alertmanager", keyed by their
// fingerprint and grouped by the payload's groupKey. An alert without a
// fingerprint is keyed by its labels, one without labels either by its
// content: it is kept, with a Problem saying so. Label and annotation
// values that are numbers or booleans are taken as their text. Invalid
// UTF-8 is replaced, and named in Problems.
//
// An alert that cannot be used (a status that is neither firing nor
// resolved, a label that is an object) comes back with only Dropped set;
// the others are kept. The error, if any, is a *PayloadError for the
// sender: the payload is no Alertmanager payload, or none of its alerts
// can be used.
func ParseAlertmanager(body []byte) ([]Alert, error) {
	var p amPayload
	if err := decodeJSON(body, &p, ""); err != nil {
		return nil, err
	}
	if len(p.Alerts) == 0 {
		return nil, refuse("no alerts in the payload")
	}
	if len(p.Alerts) > MaxAlerts {
		return nil, refuse("too many alerts: %d, at most %d", len(p.Alerts), MaxAlerts)
	}
	// The payload's own fields (groupKey, externalURL) are named on
	// each alert.
	bad := mangled(body)
	payload := &mender{}
	if bad {
		payload.mangledFields(body, "", "alerts")
	}
	out := make([]Alert, 0, len(p.Alerts))
	for i, raw := range p.Alerts {
		m := &mender{problems: slices.Clone(payload.problems)}
		a, err := amConvert(&p, raw, fmt.Sprintf("alerts[%d]", i), m, bad)
		if err != nil {
			a = Alert{Source: "alertmanager", Dropped: err.Error()}
		}
		out = append(out, a)
	}
	return usable(out)
}

// usable returns the alerts of a payload, or, when none of them can be
// used, a *PayloadError naming why.
func usable(as []Alert) ([]Alert, error) {
	var why []string
	for _, a := range as {
		if a.Dropped == "" {
			return as, nil
		}
		why = append(why, a.Dropped)
	}
	if len(why) == 1 {
		return nil, refuse("%s", why[0])
	}
	if len(why) > 3 {
		why = append(why[:3], fmt.Sprintf("and %d more", len(why)-3))
	}
	return nil, refuse("no alert in the payload can be used: %s", strings.Join(why, "; "))
}

// amEvent reads an Alertmanager status.
func amEvent(s string) (Event, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "firing":
		return Firing, true
	case "resolved":
		return Resolved, true
	}
	return "", false
}

// amConvert reads one alert of p into an Alert; m holds the problems
// found so far, and bad says the payload has strings encoding/json
// changed. The error is a *PayloadError.
func amConvert(p *amPayload, raw json.RawMessage, at string, m *mender, bad bool) (Alert, error) {
	if kind := rawKind(raw); kind != "an object" {
		return Alert{}, refuse("%s: must be an object, got %s", at, kind)
	}
	var in amAlert
	if err := decodeJSON(raw, &in, at+"."); err != nil {
		return Alert{}, err
	}
	labels, err := textMap(in.Labels, at+".labels")
	if err != nil {
		return Alert{}, err
	}
	ann, err := textMap(in.Annotations, at+".annotations")
	if err != nil {
		return Alert{}, err
	}
	if bad {
		m.mangledFields(raw, "")
	}
	a := Alert{Source: "alertmanager"}

	switch {
	case strings.TrimSpace(in.Status) != "":
		ev, ok := amEvent(in.Status)
		if !ok {
			return Alert{}, refuse("%s.status: must be \"firing\" or \"resolved\", got %q", at, status.CutTrim(in.Status, quoteLen, ellipsis))
		}
		a.Event = ev
	case strings.TrimSpace(p.Status) != "":
		ev, ok := amEvent(p.Status)
		if !ok {
			return Alert{}, refuse("status: must be \"firing\" or \"resolved\", got %q (%s has no status of its own)", status.CutTrim(p.Status, quoteLen, ellipsis), at)
		}
		a.Event = ev
	default:
		return Alert{}, refuse("%s.status is missing, and so is the payload's status: one of them must be \"firing\" or \"resolved\"", at)
	}

	fallback := "Alert without a name"
	a.Key = m.key("fingerprint", in.Fingerprint)
	if a.Key == "" {
		if len(labels) > 0 {
			a.Key = hashKey("labels:", labelLines(labels))
			m.notef("no fingerprint: the key is derived from the labels")
		} else {
			a.Key = hashKey("sha256:", string(raw))
			m.notef("no labels and no fingerprint: the key is derived from the alert's content")
			fallback = "Alert without labels"
		}
	}

	summary, name := strings.TrimSpace(ann["summary"]), strings.TrimSpace(labels["alertname"])
	switch {
	case summary != "" && name != "" && name != summary:
		a.Title = m.title("title", name+": "+summary)
	case summary != "":
		a.Title = m.title("title", summary)
	case strings.TrimSpace(ann["title"]) != "":
		a.Title = m.title("title", ann["title"])
	case name != "":
		a.Title = m.title("title", name)
	}
	if a.Title == "" {
		a.Title = fallback
	}
	desc := ann["description"]
	if strings.TrimSpace(desc) == "" {
		desc = ann["message"]
	}
	a.Description = m.text("description", desc, MaxDescriptionLen)
	sev := labels["severity"]
	if strings.TrimSpace(sev) == "" {
		sev = labels["priority"]
	}
	a.Severity = m.text("severity", sev, MaxLabelValueLen)
	a.Labels = m.labels(labels)
	for _, l := range []struct{ field, url string }{
		{"generatorURL", in.GeneratorURL},
		{"annotations.runbook_url", ann["runbook_url"]},
		{"externalURL", p.ExternalURL},
	} {
		if a.Link = m.link(l.field, l.url); a.Link != "" {
			break
		}
	}
	a.Group = m.key("groupKey", p.GroupKey)
	a.StartsAt = m.when("startsAt", in.StartsAt)
	if a.Event == Resolved {
		a.EndsAt = m.when("endsAt", in.EndsAt)
	}
	if p.TruncatedAlerts > 0 {
		m.notef("Alertmanager left %d more alerts of this group out of the payload", p.TruncatedAlerts)
	}
	a.Problems = m.problems
	return a, nil
}
