package status

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TimelineMessage names what a timeline entry says. Entries store the
// message and its parameters, never the sentence: Text renders the
// sentence when the entry is read, so wording can change (or be
// translated) for old entries too. Stored in timeline_entries.message;
// the values are stable, never reuse or rename one.
type TimelineMessage string

// Timeline messages. The comment after each names its parameters.
const (
	MsgIncidentStarted  TimelineMessage = "incident_started"  // none
	MsgIncidentDeclared TimelineMessage = "incident_declared" // severity, title, visibility
	MsgUpdatePosted     TimelineMessage = "update_posted"     // kind, silent ("true"/"false"), text (the update's first line)
	MsgStateChanged     TimelineMessage = "state_changed"     // from, to (states)
	MsgComponentChanged TimelineMessage = "component_changed" // component (its name then), from, to (component statuses)

	MsgSeverityChanged    TimelineMessage = "severity_changed"     // from, to (severities)
	MsgVisibilityChanged  TimelineMessage = "visibility_changed"   // from, to (visibilities)
	MsgUpdatesPublished   TimelineMessage = "updates_published"    // count, visibility
	MsgTitleChanged       TimelineMessage = "title_changed"        // title
	MsgPublicTitleSet     TimelineMessage = "public_title_set"     // title
	MsgPublicTitleRemoved TimelineMessage = "public_title_removed" // none
	MsgStartCorrected     TimelineMessage = "start_corrected"      // at (RFC 3339), zone (the page's; "" in old entries)
	MsgAutoHoldingOn      TimelineMessage = "auto_holding_on"      // none
	MsgAutoHoldingOff     TimelineMessage = "auto_holding_off"     // none
	MsgRecordEdited       TimelineMessage = "record_edited"        // none

	MsgRoleAssigned  TimelineMessage = "role_assigned"   // person, role
	MsgRoleTakenOver TimelineMessage = "role_taken_over" // person, role, previous (the former holders' names)
	MsgRoleRemoved   TimelineMessage = "role_removed"    // person, role

	MsgServicesConfirmed          TimelineMessage = "services_confirmed"            // by, source (customer, internal), method
	MsgServicesConfirmedByMessage TimelineMessage = "services_confirmed_by_message" // by, method, message_at (RFC 3339), zone (the page's; "" in old entries)

	// Confirmation requests: from the affected customers (counts only: the
	// timeline feeds the internal post-mortem, and names of customers stay
	// in the request itself) or from a team member; text is the request's
	// message, "" without one.
	MsgConfirmationRequestedFromCustomers TimelineMessage = "confirmation_requested_from_customers" // customers, contacts, not_asked (counts), text
	MsgConfirmationRequestedFromTeam      TimelineMessage = "confirmation_requested_from_team"      // person, text

	MsgPostmortemInternalSaved TimelineMessage = "postmortem_internal_saved" // none
	MsgPostmortemDraftSaved    TimelineMessage = "postmortem_draft_saved"    // none
	MsgPostmortemPublished     TimelineMessage = "postmortem_published"      // none
	MsgPostmortemWithdrawn     TimelineMessage = "postmortem_withdrawn"      // none

	MsgCustomersChanged TimelineMessage = "customers_changed" // added, removed, total

	MsgAMInformed              TimelineMessage = "am_informed"               // none
	MsgPostmortemDecisionYes   TimelineMessage = "postmortem_decision_yes"   // none
	MsgPostmortemDecisionNo    TimelineMessage = "postmortem_decision_no"    // none
	MsgContinuityPlanTriggered TimelineMessage = "continuity_plan_triggered" // none
	MsgAMInformedBy            TimelineMessage = "am_informed_by"            // by (who in Account Management), recorded_by ("" when by recorded it)
	MsgPostmortemDecided       TimelineMessage = "postmortem_decided"        // decision (yes, no), by, recorded_by
	MsgContinuityNotNeeded     TimelineMessage = "continuity_not_needed"     // reason
	MsgSecurityMarked          TimelineMessage = "security_marked"           // from, to (security kinds)
	MsgSecurityReported        TimelineMessage = "security_reported"         // none
	MsgOutOfHours              TimelineMessage = "out_of_hours"              // hours (the office hours in words)
	MsgContactAgreed           TimelineMessage = "contact_agreed"            // channels (comma-separated), next_at (RFC 3339 or ""), zone
	MsgVideoRoomSet            TimelineMessage = "video_room_set"            // url ("" when back to the page's)

	MsgUpdateScheduled          TimelineMessage = "update_scheduled"           // kind, at (RFC 3339), zone (the page's), text (first line)
	MsgScheduledUpdateCancelled TimelineMessage = "scheduled_update_cancelled" // at (RFC 3339), zone (the page's; "" in old entries)
	MsgScheduledUpdateFailed    TimelineMessage = "scheduled_update_failed"    // reason

	// Entries whose text came from outside Herald: typed by a person,
	// written by a customer, sent by monitoring.
	MsgCustomerMessage TimelineMessage = "customer_message" // source (intake source), from, title, text
	MsgAlert           TimelineMessage = "alert"            // text
	MsgNote            TimelineMessage = "note"             // text

	// MsgLegacyText is an entry from before entries carried a message whose
	// sentence the migration could not take apart; its one parameter, text,
	// is the sentence as it was written. New entries never use it.
	MsgLegacyText TimelineMessage = "legacy_text" // text
)

// TimelineParams are the values a timeline message is rendered with,
// stored as a JSON object of strings. Times are RFC 3339, counts decimal.
// A missing parameter reads as "".
type TimelineParams = Strings

// Strings is a map of strings stored as a JSON object (timeline
// parameters, alert labels).
type Strings map[string]string

// Value stores the map as a JSON object.
func (m Strings) Value() (driver.Value, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(m))
	return string(b), err
}

// Scan reads a map stored as a JSON object.
func (m *Strings) Scan(src any) error {
	out := Strings{}
	ok, err := scanJSON(src, &out, "JSON object of strings")
	if ok {
		*m = out
	} else if err == nil {
		*m = nil
	}
	return err
}

// scanJSON decodes a JSON column value into out; ok is false for NULL,
// which leaves out alone. what names the column's type in errors.
func scanJSON(src, out any, what string) (ok bool, err error) {
	var b []byte
	switch v := src.(type) {
	case nil:
		return false, nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return false, fmt.Errorf("%s: cannot scan %T", what, src)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return true, nil
}

// said is what a system-written entry says: a message and its
// parameters. The msg… functions below build one per message, from typed
// values, so the entry's writer never formats a sentence.
type said struct {
	msg    TimelineMessage
	params TimelineParams
}

func plain(m TimelineMessage) said { return said{msg: m} }

func msgIncidentDeclared(sev Severity, title string, vis Visibility) said {
	return said{MsgIncidentDeclared, TimelineParams{"severity": string(sev), "title": title, "visibility": string(vis)}}
}

func msgUpdatePosted(kind UpdateKind, silent bool, text string) said {
	return said{MsgUpdatePosted, TimelineParams{"kind": string(kind), "silent": strconv.FormatBool(silent), "text": text}}
}

func msgStateChanged(from, to State) said {
	return said{MsgStateChanged, TimelineParams{"from": string(from), "to": string(to)}}
}

func msgComponentChanged(name string, from, to ComponentStatus) said {
	return said{MsgComponentChanged, TimelineParams{"component": name, "from": string(from), "to": string(to)}}
}

func msgSeverityChanged(from, to Severity) said {
	return said{MsgSeverityChanged, TimelineParams{"from": string(from), "to": string(to)}}
}

func msgVisibilityChanged(from, to Visibility) said {
	return said{MsgVisibilityChanged, TimelineParams{"from": string(from), "to": string(to)}}
}

func msgUpdatesPublished(n int, to Visibility) said {
	return said{MsgUpdatesPublished, TimelineParams{"count": strconv.Itoa(n), "visibility": string(to)}}
}

func msgTitleChanged(title string) said {
	return said{MsgTitleChanged, TimelineParams{"title": title}}
}

func msgPublicTitleSet(title string) said {
	return said{MsgPublicTitleSet, TimelineParams{"title": title}}
}

func msgStartCorrected(at time.Time, zone string) said {
	return said{MsgStartCorrected, TimelineParams{"at": timeParam(at), "zone": zone}}
}

func msgRoleAssigned(person string, role IncidentRole) said {
	return said{MsgRoleAssigned, TimelineParams{"person": person, "role": string(role)}}
}

func msgRoleTakenOver(person string, role IncidentRole, previous []string) said {
	return said{MsgRoleTakenOver, TimelineParams{"person": person, "role": string(role), "previous": strings.Join(previous, ", ")}}
}

func msgRoleRemoved(person string, role IncidentRole) said {
	return said{MsgRoleRemoved, TimelineParams{"person": person, "role": string(role)}}
}

func msgServicesConfirmed(by, source, method string) said {
	return said{MsgServicesConfirmed, TimelineParams{"by": by, "source": source, "method": method}}
}

func msgServicesConfirmedByMessage(by, method string, messageAt time.Time, zone string) said {
	return said{MsgServicesConfirmedByMessage, TimelineParams{"by": by, "method": method, "message_at": timeParam(messageAt), "zone": zone}}
}

func msgConfirmationRequestedFromCustomers(customers, contacts, notAsked int, text string) said {
	return said{MsgConfirmationRequestedFromCustomers, TimelineParams{"customers": strconv.Itoa(customers),
		"contacts": strconv.Itoa(contacts), "not_asked": strconv.Itoa(notAsked), "text": text}}
}

func msgConfirmationRequestedFromTeam(person, text string) said {
	return said{MsgConfirmationRequestedFromTeam, TimelineParams{"person": person, "text": text}}
}

func msgCustomersChanged(added, removed, total int) said {
	return said{MsgCustomersChanged, TimelineParams{"added": strconv.Itoa(added), "removed": strconv.Itoa(removed),
		"total": strconv.Itoa(total)}}
}

func msgAMInformed(by, recordedBy string) said {
	return said{MsgAMInformedBy, TimelineParams{"by": by, "recorded_by": recordedBy}}
}

func msgPostmortemDecided(d PostmortemDecision, by, recordedBy string) said {
	return said{MsgPostmortemDecided, TimelineParams{"decision": string(d), "by": by, "recorded_by": recordedBy}}
}

func msgContinuityNotNeeded(reason string) said {
	return said{MsgContinuityNotNeeded, TimelineParams{"reason": reason}}
}

func msgSecurityMarked(from, to SecurityKind) said {
	return said{MsgSecurityMarked, TimelineParams{"from": string(from), "to": string(to)}}
}

func msgOutOfHours(h OfficeHours) said {
	return said{MsgOutOfHours, TimelineParams{"hours": h.String()}}
}

func msgContactAgreed(cs ContactChannels, next *time.Time, zone string) said {
	p := TimelineParams{"channels": lower(cs.String()), "next_at": "", "zone": zone}
	if next != nil {
		p["next_at"] = timeParam(*next)
	}
	return said{MsgContactAgreed, p}
}

func msgVideoRoomSet(url string) said {
	return said{MsgVideoRoomSet, TimelineParams{"url": url}}
}

// recordedBy is ", recorded by NAME" for an Account Management step
// recorded by someone else, "" otherwise.
func recordedBy(e *TimelineEntry) string {
	if r := e.param("recorded_by"); r != "" {
		return ", recorded by " + r
	}
	return ""
}

func msgUpdateScheduled(kind UpdateKind, at time.Time, zone, text string) said {
	return said{MsgUpdateScheduled, TimelineParams{"kind": string(kind), "at": timeParam(at), "zone": zone, "text": text}}
}

func msgScheduledUpdateCancelled(at time.Time, zone string) said {
	return said{MsgScheduledUpdateCancelled, TimelineParams{"at": timeParam(at), "zone": zone}}
}

func msgScheduledUpdateFailed(reason string) said {
	return said{MsgScheduledUpdateFailed, TimelineParams{"reason": reason}}
}

func msgCustomerMessage(source IntakeSource, from, title, text string) said {
	return said{MsgCustomerMessage, TimelineParams{"source": string(source), "from": from, "title": title, "text": text}}
}

// msgText is an entry that is only text from outside Herald: a note or
// what monitoring said.
func msgText(m TimelineMessage, text string) said {
	return said{m, TimelineParams{"text": text}}
}

func timeParam(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Text is the entry as a sentence, in English, with its times in the zone
// it was written with (UTC for entries written without one). Parameters
// are plain text: whoever shows it escapes it (the console's html/template
// does). An entry whose message this release does not know shows its
// parameters.
func (e *TimelineEntry) Text() string { return e.TextIn(nil) }

// TextIn is Text with loc (the page's zone) for the times of entries
// written without a zone; nil means UTC.
func (e *TimelineEntry) TextIn(loc *time.Location) string {
	if render, ok := timelineTexts[e.Message]; ok {
		r := *e
		r.loc = loc
		return render(&r)
	}
	return unknownText(e.Message, e.Params)
}

// PeopleTime is how a time reads to people: "Dec 7, 2026 12:20 CET".
// Machines get RFC 3339 (the API, datetime= attributes).
const PeopleTime = "Jan 2, 2006 15:04 MST"

// zone is where the entry's times are shown: its zone parameter, else the
// zone it is rendered in, else UTC.
func (e *TimelineEntry) zone() *time.Location {
	if z := e.param("zone"); z != "" {
		return (&Page{TimeZone: z}).Location()
	}
	if e.loc != nil {
		return e.loc
	}
	return time.UTC
}

// timelineTexts renders each message. Until translations exist, these are
// the sentences the entries were written with before they carried messages
// (the migration 20261207120000_timeline_params relies on that).
var timelineTexts = map[TimelineMessage]func(e *TimelineEntry) string{
	MsgIncidentStarted: fixed("The incident started."),
	MsgIncidentDeclared: func(e *TimelineEntry) string {
		return fmt.Sprintf("Declared %s incident %q (%s).", lower(Severity(e.param("severity")).Label()), e.param("title"), e.param("visibility"))
	},
	MsgUpdatePosted: func(e *TimelineEntry) string {
		silent := ""
		if e.param("silent") == "true" {
			silent = " (silent)"
		}
		return fmt.Sprintf("%s posted%s: %s", updatePhrase(UpdateKind(e.param("kind"))), silent, e.param("text"))
	},
	MsgStateChanged: func(e *TimelineEntry) string {
		return fmt.Sprintf("State changed from %s to %s.", State(e.param("from")).Label(), State(e.param("to")).Label())
	},
	MsgComponentChanged: func(e *TimelineEntry) string {
		return fmt.Sprintf("%s: %s → %s.", e.param("component"), ComponentStatus(e.param("from")).Label(), ComponentStatus(e.param("to")).Label())
	},
	MsgSeverityChanged: func(e *TimelineEntry) string {
		return fmt.Sprintf("Severity changed from %s to %s.", lower(Severity(e.param("from")).Label()), lower(Severity(e.param("to")).Label()))
	},
	MsgVisibilityChanged: func(e *TimelineEntry) string {
		return fmt.Sprintf("Visibility changed from %s to %s.", e.param("from"), e.param("to"))
	},
	MsgUpdatesPublished: func(e *TimelineEntry) string {
		n, _ := strconv.Atoi(e.param("count"))
		return fmt.Sprintf("%s earlier update%s made visible to %s.", e.param("count"), plural(n), lower(Visibility(e.param("visibility")).Label()))
	},
	MsgTitleChanged:       func(e *TimelineEntry) string { return fmt.Sprintf("Title changed to %q.", e.param("title")) },
	MsgPublicTitleSet:     func(e *TimelineEntry) string { return fmt.Sprintf("Public title set to %q.", e.param("title")) },
	MsgPublicTitleRemoved: fixed("Public title removed: the public sees the title."),
	MsgStartCorrected: func(e *TimelineEntry) string {
		return "Start time corrected to " + e.timeText("at", e.zone(), PeopleTime) + "."
	},
	MsgAutoHoldingOn:  fixed("Automatic holding update turned on: when an update falls due with nothing posted, Herald posts a holding update."),
	MsgAutoHoldingOff: fixed("Automatic holding update turned off."),
	MsgRecordEdited:   fixed("Incident record edited."),

	MsgRoleAssigned: func(e *TimelineEntry) string {
		return fmt.Sprintf("%s is now %s.", e.param("person"), lower(IncidentRole(e.param("role")).Label()))
	},
	MsgRoleTakenOver: func(e *TimelineEntry) string {
		return fmt.Sprintf("%s took over as %s from %s.", e.param("person"), lower(IncidentRole(e.param("role")).Label()), e.param("previous"))
	},
	MsgRoleRemoved: func(e *TimelineEntry) string {
		return fmt.Sprintf("%s is no longer %s.", e.param("person"), lower(IncidentRole(e.param("role")).Label()))
	},

	MsgServicesConfirmed: func(e *TimelineEntry) string {
		return fmt.Sprintf("Services confirmed back by %s (%s, %s).", e.param("by"), confirmerLabel(e.param("source")), methodLabel(e.param("method")))
	},
	MsgServicesConfirmedByMessage: func(e *TimelineEntry) string {
		return fmt.Sprintf("Services confirmed back by %s (customer contact, %s), by their message of %s.", e.param("by"),
			methodLabel(e.param("method")), e.timeText("message_at", e.zone(), PeopleTime))
	},

	MsgConfirmationRequestedFromCustomers: func(e *TimelineEntry) string {
		n, _ := strconv.Atoi(e.param("customers"))
		c, _ := strconv.Atoi(e.param("contacts"))
		out := fmt.Sprintf("Confirmation that the services are back requested by email from %s affected customer%s (%s primary contact%s).",
			e.param("customers"), plural(n), e.param("contacts"), plural(c))
		switch na, _ := strconv.Atoi(e.param("not_asked")); {
		case na == 1:
			out += " 1 affected customer without a primary contact was not asked."
		case na > 1:
			out += fmt.Sprintf(" %d affected customers without a primary contact were not asked.", na)
		}
		return withRequestText(out, e.param("text"))
	},
	MsgConfirmationRequestedFromTeam: func(e *TimelineEntry) string {
		return withRequestText(fmt.Sprintf("Confirmation that the services are back requested from %s (team member).", e.param("person")),
			e.param("text"))
	},

	MsgPostmortemInternalSaved: fixed("Internal post-mortem saved."),
	MsgPostmortemDraftSaved:    fixed("Public post-mortem draft saved."),
	MsgPostmortemPublished:     fixed("Public post-mortem published."),
	MsgPostmortemWithdrawn:     fixed("Public post-mortem withdrawn from the public page."),

	MsgCustomersChanged: func(e *TimelineEntry) string {
		return fmt.Sprintf("Affected customers changed: %s added, %s removed, %s in all.", e.param("added"), e.param("removed"), e.param("total"))
	},

	MsgAMInformed:              fixed("Account Management informed."),
	MsgPostmortemDecisionYes:   fixed("Post-mortem decision: a post-mortem will be written."),
	MsgPostmortemDecisionNo:    fixed("Post-mortem decision: no post-mortem."),
	MsgContinuityPlanTriggered: fixed("Business continuity plan triggered."),
	MsgAMInformedBy: func(e *TimelineEntry) string {
		return "Account Management informed: " + e.param("by") + recordedBy(e) + "."
	},
	MsgPostmortemDecided: func(e *TimelineEntry) string {
		what := "a post-mortem will be written"
		if e.param("decision") == string(PostmortemNo) {
			what = "no post-mortem"
		}
		return fmt.Sprintf("Post-mortem decision by %s (Account Management)%s: %s.", e.param("by"), recordedBy(e), what)
	},
	MsgContinuityNotNeeded: func(e *TimelineEntry) string {
		return "Business continuity plan not needed: " + e.param("reason")
	},
	MsgSecurityMarked: func(e *TimelineEntry) string {
		if to := SecurityKind(e.param("to")); to != SecurityNone {
			return "Marked as " + withArticle(lower(to.Label())) + "."
		}
		return "No longer marked as a security matter (was " + withArticle(lower(SecurityKind(e.param("from")).Label())) + ")."
	},
	MsgSecurityReported: fixed("Reported to the information-security officer."),
	MsgOutOfHours: func(e *TimelineEntry) string {
		return "Declared outside office hours (" + e.param("hours") + "): the on-call guide applies."
	},
	MsgContactAgreed: func(e *TimelineEntry) string {
		channels := e.param("channels")
		if channels == "" {
			channels = "none"
		}
		next := "none set"
		if e.param("next_at") != "" {
			next = e.timeText("next_at", e.zone(), "2 Jan 15:04 MST")
		}
		return "Contact with the customers agreed: " + channels + "; next contact " + next + "."
	},
	MsgVideoRoomSet: func(e *TimelineEntry) string {
		if e.param("url") == "" {
			return "Video room: back to the team's standing room."
		}
		return "Video room for this incident: " + e.param("url")
	},

	MsgUpdateScheduled: func(e *TimelineEntry) string {
		return fmt.Sprintf("Scheduled %s for %s: %s", withArticle(lower(updatePhrase(UpdateKind(e.param("kind"))))),
			e.timeText("at", e.zone(), "2 Jan 15:04 MST"), e.param("text"))
	},
	MsgScheduledUpdateCancelled: func(e *TimelineEntry) string {
		return "Cancelled the update scheduled for " + e.timeText("at", e.zone(), PeopleTime) + "."
	},
	MsgScheduledUpdateFailed: func(e *TimelineEntry) string {
		return "The update scheduled for now was not published: " + e.param("reason") + "."
	},

	MsgCustomerMessage: func(e *TimelineEntry) string {
		return strings.TrimSpace(fmt.Sprintf("%s from %s: %s\n\n%s", IntakeSource(e.param("source")).Label(), e.param("from"), e.param("title"), e.param("text")))
	},
	MsgAlert:      func(e *TimelineEntry) string { return e.param("text") },
	MsgNote:       func(e *TimelineEntry) string { return e.param("text") },
	MsgLegacyText: func(e *TimelineEntry) string { return e.param("text") },
}

// withRequestText adds a confirmation request's message to its sentence.
func withRequestText(sentence, text string) string {
	if text == "" {
		return sentence
	}
	return sentence + " Message: " + text
}

// param returns the entry's parameter name, "" when it has none.
func (e *TimelineEntry) param(name string) string { return e.Params[name] }

// timeText returns the entry's time parameter name in loc with layout, or the
// parameter as stored if it is not an RFC 3339 time.
func (e *TimelineEntry) timeText(name string, loc *time.Location, layout string) string {
	t, err := time.Parse(time.RFC3339Nano, e.param(name))
	if err != nil {
		return e.param(name)
	}
	return t.In(loc).Format(layout)
}

func fixed(s string) func(*TimelineEntry) string {
	return func(*TimelineEntry) string { return s }
}

func lower(s string) string { return strings.ToLower(s) }

// updatePhrase names an update of kind k: "Analysis update", or just
// "Update" for a general one (not "Update update").
func updatePhrase(k UpdateKind) string {
	if l := k.Label(); l != KindGeneral.Label() {
		return l + " update"
	}
	return "Update"
}

// withArticle puts "a" or "an" before a phrase in lower case.
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// unknownText shows an entry whose message this release does not know (one
// written by a newer release, say): its text if it has one, otherwise the
// message and its parameters.
func unknownText(m TimelineMessage, p TimelineParams) string {
	if t, ok := p["text"]; ok {
		return t
	}
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("Unknown entry")
	if m != "" {
		fmt.Fprintf(&b, " %q", string(m))
	}
	for i, k := range names {
		sep := "; "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%s%s: %s", sep, k, p[k])
	}
	if len(names) > 0 {
		b.WriteString(")")
	}
	return b.String() + "."
}
