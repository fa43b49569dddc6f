package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/herald-status/herald/status"
)

// ogPayload is OpsGenie's outgoing webhook integration payload.
type ogPayload struct {
	Action *string         `json:"action"`
	Alert  json.RawMessage `json:"alert"`
}

// ogAlert is the alert of an ogPayload.
type ogAlert struct {
	AlertID     string                     `json:"alertId"`
	Alias       string                     `json:"alias"`
	Message     string                     `json:"message"`
	Description string                     `json:"description"`
	Tags        []string                   `json:"tags"`
	Entity      string                     `json:"entity"`
	Source      string                     `json:"source"`
	Team        string                     `json:"team"`
	Priority    string                     `json:"priority"`
	Username    string                     `json:"username"`
	Details     map[string]json.RawMessage `json:"details"`
	CreatedAt   json.RawMessage            `json:"createdAt"`
	UpdatedAt   json.RawMessage            `json:"updatedAt"`
}

// ParseOpsgenie reads OpsGenie's outgoing webhook payload into one
// alert with Source "opsgenie", keyed by its alias (else its alertId).
// The actions Create, Close and Acknowledge are Firing, Resolved and
// Acknowledged; for any other action (AddNote, Escalate, ...) it
// returns no alerts and, in ignored, why, for the hook to answer with.
// Invalid UTF-8 is replaced, and named in Problems.
//
// The error, if any, is a *PayloadError for the sender.
func ParseOpsgenie(body []byte) (alerts []Alert, ignored string, err error) {
	var p ogPayload
	if err := decodeJSON(body, &p, ""); err != nil {
		return nil, "", err
	}
	if p.Action == nil || strings.TrimSpace(*p.Action) == "" {
		return nil, "", refuse("action is required: Create, Close or Acknowledge")
	}
	var a Alert
	switch strings.ToLower(strings.TrimSpace(*p.Action)) {
	case "create":
		a.Event = Firing
	case "close":
		a.Event = Resolved
	case "acknowledge":
		a.Event = Acknowledged
	default:
		act, _ := valid(*p.Action)
		return nil, fmt.Sprintf("action %q is not one Herald acts on", status.CutTrim(act, quoteLen, ellipsis)), nil
	}
	if kind := rawKind(p.Alert); kind != "an object" {
		if kind == "null" || kind == "nothing" {
			return nil, "", refuse("alert is required")
		}
		return nil, "", refuse("alert: must be an object, got %s", kind)
	}
	var in ogAlert
	if err := decodeJSON(bytes.TrimSpace(p.Alert), &in, "alert."); err != nil {
		return nil, "", err
	}
	details, err := textMap(in.Details, "alert.details")
	if err != nil {
		return nil, "", err
	}
	m := &mender{}
	m.mangledFields(p.Alert, "alert.")
	a.Source = "opsgenie"
	a.Key = m.key("alert.alias", in.Alias)
	if a.Key == "" {
		a.Key = m.key("alert.alertId", in.AlertID)
	}
	if a.Key == "" {
		return nil, "", refuse("alert.alias or alert.alertId is required")
	}
	a.Title = m.title("title", in.Message)
	if a.Title == "" {
		if a.Event == Firing {
			return nil, "", refuse("alert.message is required for the Create action")
		}
		a.Title = m.title("title", a.Key)
	}
	a.Description = m.text("description", in.Description, MaxDescriptionLen)
	a.Severity = m.text("severity", in.Priority, MaxLabelValueLen)

	labels := make(map[string]string, len(details)+len(in.Tags)+3)
	for k, v := range details {
		labels[k] = v
	}
	for _, t := range in.Tags {
		if t = strings.TrimSpace(t); t != "" {
			labels["tag:"+t] = "true"
		}
	}
	for name, v := range map[string]string{"entity": in.Entity, "source": in.Source, "team": in.Team} {
		if strings.TrimSpace(v) != "" {
			labels[name] = v
		}
	}
	a.Labels = m.labels(labels)
	for _, f := range []string{"url", "link"} {
		if a.Link = m.link("alert.details."+f, details[f]); a.Link != "" {
			break
		}
	}
	if a.Event != Firing {
		a.By = m.text("alert.username", in.Username, MaxLabelValueLen)
	}
	a.StartsAt = m.epoch("alert.createdAt", in.CreatedAt)
	if a.Event == Resolved {
		a.EndsAt = m.epoch("alert.updatedAt", in.UpdatedAt)
	}
	a.Problems = m.problems
	return []Alert{a}, "", nil
}
