// Package alerts turns monitoring webhooks (Prometheus Alertmanager,
// OpsGenie and a small generic JSON) into triage items: alerts are
// deduplicated by their key at the source, grouped into one item per
// Alertmanager group or per component within a short window, mapped to
// components and a severity by rules set in the console, and their
// resolution is written where they went.
package alerts

import "time"

// Event is what a hook says happened to an alert.
type Event string

// Events: the alert fires (or fires still), it resolved, or someone
// acknowledged it at the source.
const (
	Firing       Event = "firing"
	Resolved     Event = "resolved"
	Acknowledged Event = "acknowledged"
)

// Alert is one alert as a hook received it, in Herald's terms. The
// parsers fill it from their payloads; every string in it is valid UTF-8
// without NUL bytes and within the limits below.
type Alert struct {
	// Source names the sender: "alertmanager", "opsgenie", or the generic
	// payload's source ("generic" when it names none), lower-case.
	Source string
	// Key identifies the alert at its source, across deliveries: the
	// fingerprint, the alias, the key. Never empty: parsers derive one
	// from the alert's content when the payload has none.
	Key   string
	Event Event
	// Title is one line: the summary or alert name.
	Title       string
	Description string
	// Severity is the source's own word for it: "critical", "P1",
	// "warning"; "" when it gives none. SuggestSeverity maps it.
	Severity string
	Labels   map[string]string
	// Link points at the alert at its source (generatorURL, the generic
	// link); only http and https URLs are kept.
	Link string
	// Group is the source's own group of alerts sent together
	// (Alertmanager's groupKey); "" when there is none.
	Group string
	// StartsAt is when the alert started firing, EndsAt when it resolved;
	// zero when the payload does not say.
	StartsAt time.Time
	EndsAt   time.Time
	// By is who acted at the source (OpsGenie's username), "" when unknown.
	By string
	// Problems lists what was wrong with the alert as received and was
	// mended to keep it: "no labels: the key is derived from its content".
	Problems []string
	// Dropped, when set, says why the alert could not be used at all
	// ("alerts[3].status: must be \"firing\" or \"resolved\""): Ingest
	// stores nothing of it and names it in the answer, and keeps the
	// other alerts of the delivery. Only Source is set beside it.
	Dropped string
}

// Limits on what an alert may carry, in bytes (keys and links in
// characters); longer values are cut on a character boundary, and the
// cut is named in Problems. A title fits an intake item's title
// (status.MaxNameLen).
const (
	MaxKeyLen         = 255
	MaxTitleLen       = 200
	MaxDescriptionLen = 8 * 1024
	MaxLabels         = 64
	MaxLabelNameLen   = 128
	MaxLabelValueLen  = 1024
	MaxLinkLen        = 2000
	// MaxAlerts is the most alerts one payload may carry.
	MaxAlerts = 1000
)
