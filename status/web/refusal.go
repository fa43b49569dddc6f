package web

import (
	"slices"
	"strings"
)

// refusal sums up a refused form at the top of a console page (the
// error summary): people under stress see at once that nothing was saved
// and what to fix, each item linking to the form, with focus moved there.
type refusal struct {
	Section string // the id of the refused form's section, for the links
	Items   []refusalItem
}

type refusalItem struct {
	Label   string // the field in words; empty for a message about the whole form
	Message string
}

// generalFields are field keys that carry a message about a whole form,
// not one of its inputs.
var generalFields = []string{"form", "edit", "close", "flags", "process_form", "roles", "customers", "confirm", "request"}

// fieldLabels name the inputs whose key does not read well as words.
var fieldLabels = map[string]string{"body": "Message", "eta": "Expected resolution", "next_update": "Next update",
	"publish_at": "Publish at", "started_at": "Start", "close_resolution": "Resolution", "follow_ups": "Follow-up tickets",
	"next_contact_at": "Next contact", "contact_channels": "Channels agreed", "decided_by": "Who decided",
	allAffectedField: "All affected components"}

// refusalOf builds the summary of fields for the form in section; nil
// when there is nothing to say.
func refusalOf(section string, fields map[string]string) *refusal {
	if len(fields) == 0 {
		return nil
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r := &refusal{Section: section}
	for _, k := range keys {
		msg := fields[k]
		if msg == "" || strings.HasPrefix(k, "escalation_") {
			continue // shown beside its input; the form's message says it
		}
		if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") {
			msg += "." // field messages are phrases; the summary reads in sentences
		}
		item := refusalItem{Message: msg}
		if !slices.Contains(generalFields, k) {
			item.Label = fieldLabels[k]
			if item.Label == "" {
				item.Label = strings.ToUpper(k[:1]) + strings.ReplaceAll(k[1:], "_", " ")
			}
		}
		r.Items = append(r.Items, item)
	}
	return r
}
