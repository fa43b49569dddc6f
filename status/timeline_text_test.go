package status_test

import (
	"html/template"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

type params = status.TimelineParams

// Every message renders its sentence, as the entries were written before
// they carried messages (except "Update update posted", now "Update
// posted", and "Scheduled a analysis update", now "an").
func TestTimelineText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg    status.TimelineMessage
		params params
		want   string
	}{
		{status.MsgIncidentStarted, nil, "The incident started."},
		{status.MsgIncidentDeclared, params{"severity": "business_continuity", "title": `Say "hi"`, "visibility": "customers"},
			`Declared business continuity incident "Say \"hi\"" (customers).`},
		{status.MsgUpdatePosted, params{"kind": "analysis", "silent": "false", "text": "Found it."}, "Analysis update posted: Found it."},
		{status.MsgUpdatePosted, params{"kind": "eta", "silent": "true", "text": "Soon."}, "Expected resolution update posted (silent): Soon."},
		{status.MsgUpdatePosted, params{"kind": "general", "silent": "false", "text": "Looking."}, "Update posted: Looking."},
		{status.MsgStateChanged, params{"from": "investigating", "to": "mitigating"}, "State changed from Investigating to Mitigating."},
		{status.MsgComponentChanged, params{"component": "API", "from": "operational", "to": "major_outage"}, "API: Operational → Major outage."},
		{status.MsgSeverityChanged, params{"from": "minor", "to": "business_continuity"}, "Severity changed from minor to business continuity."},
		{status.MsgVisibilityChanged, params{"from": "internal", "to": "public"}, "Visibility changed from internal to public."},
		{status.MsgUpdatesPublished, params{"count": "1", "visibility": "customers"}, "1 earlier update made visible to affected customers."},
		{status.MsgUpdatesPublished, params{"count": "3", "visibility": "public"}, "3 earlier updates made visible to public."},
		{status.MsgTitleChanged, params{"title": "API down"}, `Title changed to "API down".`},
		{status.MsgPublicTitleSet, params{"title": "Slow"}, `Public title set to "Slow".`},
		{status.MsgPublicTitleRemoved, nil, "Public title removed: the public sees the title."},
		{status.MsgStartCorrected, params{"at": "2026-12-07T11:20:00Z"}, "Start time corrected to Dec 7, 2026 11:20 UTC."},
		{status.MsgStartCorrected, params{"at": "2026-12-07T12:20:00.5+01:00"}, "Start time corrected to Dec 7, 2026 11:20 UTC."},
		{status.MsgStartCorrected, params{"at": "2026-12-07T11:20:00Z", "zone": "Europe/Berlin"}, "Start time corrected to Dec 7, 2026 12:20 CET."},
		{status.MsgAutoHoldingOn, nil, "Automatic holding update turned on: when an update falls due with nothing posted, Herald posts a holding update."},
		{status.MsgAutoHoldingOff, nil, "Automatic holding update turned off."},
		{status.MsgRecordEdited, nil, "Incident record edited."},
		{status.MsgRoleAssigned, params{"person": "Ann", "role": "comms"}, "Ann is now communication manager."},
		{status.MsgRoleTakenOver, params{"person": "Bob", "role": "commander", "previous": "Ann, Cem"}, "Bob took over as incident commander from Ann, Cem."},
		{status.MsgRoleRemoved, params{"person": "Cem", "role": "help"}, "Cem is no longer technical help."},
		{status.MsgServicesConfirmed, params{"by": "Wile", "source": "internal", "method": "meeting"},
			"Services confirmed back by Wile (team member, in a meeting or video call)."},
		{status.MsgServicesConfirmedByMessage, params{"by": "Wile", "method": "email", "message_at": "2026-12-07T11:20:59Z"},
			"Services confirmed back by Wile (customer contact, by email), by their message of Dec 7, 2026 11:20 UTC."},
		{status.MsgServicesConfirmedByMessage, params{"by": "Wile", "method": "phone", "message_at": "2026-12-07T11:20:59Z", "zone": "America/New_York"},
			"Services confirmed back by Wile (customer contact, by phone), by their message of Dec 7, 2026 06:20 EST."},
		{status.MsgConfirmationRequestedFromCustomers, params{"customers": "1", "contacts": "1", "not_asked": "0", "text": ""},
			"Confirmation that the services are back requested by email from 1 affected customer (1 primary contact)."},
		{status.MsgConfirmationRequestedFromCustomers, params{"customers": "2", "contacts": "3", "not_asked": "2", "text": "Please check."},
			"Confirmation that the services are back requested by email from 2 affected customers (3 primary contacts). " +
				"2 affected customers without a primary contact were not asked. Message: Please check."},
		{status.MsgConfirmationRequestedFromTeam, params{"person": "Jane", "text": ""},
			"Confirmation that the services are back requested from Jane (team member)."},
		{status.MsgConfirmationRequestedFromTeam, params{"person": "Jane", "text": "Queue depth?"},
			"Confirmation that the services are back requested from Jane (team member). Message: Queue depth?"},
		{status.MsgPostmortemInternalSaved, nil, "Internal post-mortem saved."},
		{status.MsgPostmortemDraftSaved, nil, "Public post-mortem draft saved."},
		{status.MsgPostmortemPublished, nil, "Public post-mortem published."},
		{status.MsgPostmortemWithdrawn, nil, "Public post-mortem withdrawn from the public page."},
		{status.MsgCustomersChanged, params{"added": "2", "removed": "0", "total": "2"}, "Affected customers changed: 2 added, 0 removed, 2 in all."},
		{status.MsgAMInformed, nil, "Account Management informed."},
		{status.MsgPostmortemDecisionYes, nil, "Post-mortem decision: a post-mortem will be written."},
		{status.MsgPostmortemDecisionNo, nil, "Post-mortem decision: no post-mortem."},
		{status.MsgContinuityPlanTriggered, nil, "Business continuity plan triggered."},
		{status.MsgAMInformedBy, params{"by": "Ada", "recorded_by": ""}, "Account Management informed: Ada."},
		{status.MsgAMInformedBy, params{"by": "Ada", "recorded_by": "Bob"}, "Account Management informed: Ada, recorded by Bob."},
		{status.MsgPostmortemDecided, params{"decision": "yes", "by": "Ada"}, "Post-mortem decision by Ada (Account Management): a post-mortem will be written."},
		{status.MsgPostmortemDecided, params{"decision": "no", "by": "Ada", "recorded_by": "Bob"},
			"Post-mortem decision by Ada (Account Management), recorded by Bob: no post-mortem."},
		{status.MsgContinuityNotNeeded, params{"reason": "One rack only, moved in 10 min."}, "Business continuity plan not needed: One rack only, moved in 10 min."},
		{status.MsgSecurityMarked, params{"from": "", "to": "incident"}, "Marked as an information-security incident."},
		{status.MsgSecurityMarked, params{"from": "", "to": "vulnerability"}, "Marked as a security vulnerability."},
		{status.MsgSecurityMarked, params{"from": "vulnerability", "to": ""}, "No longer marked as a security matter (was a security vulnerability)."},
		{status.MsgSecurityReported, nil, "Reported to the information-security officer."},
		{status.MsgOutOfHours, params{"hours": "mon, tue 09:00–17:00"}, "Declared outside office hours (mon, tue 09:00–17:00): the on-call guide applies."},
		{status.MsgContactAgreed, params{"channels": "ticket, phone", "next_at": "2026-12-07T13:30:00Z", "zone": "Europe/Berlin"},
			"Contact with the customers agreed: ticket, phone; next contact 7 Dec 14:30 CET."},
		{status.MsgContactAgreed, params{"channels": "", "next_at": "", "zone": ""}, "Contact with the customers agreed: none; next contact none set."},
		{status.MsgVideoRoomSet, params{"url": "https://meet.example/ops"}, "Video room for this incident: https://meet.example/ops"},
		{status.MsgVideoRoomSet, params{"url": ""}, "Video room: back to the team's standing room."},
		{status.MsgUpdateScheduled, params{"kind": "progress", "at": "2026-12-07T11:20:00Z", "zone": "Europe/Berlin", "text": "Rolling out."},
			"Scheduled a progress update for 7 Dec 12:20 CET: Rolling out."},
		{status.MsgUpdateScheduled, params{"kind": "analysis", "at": "2026-07-07T11:20:00Z", "zone": "Europe/Berlin", "text": "Why."},
			"Scheduled an analysis update for 7 Jul 13:20 CEST: Why."},
		{status.MsgUpdateScheduled, params{"kind": "general", "at": "2026-12-07T11:20:00Z", "zone": "", "text": "More."},
			"Scheduled an update for 7 Dec 11:20 UTC: More."},
		{status.MsgScheduledUpdateCancelled, params{"at": "2026-12-07T11:20:00Z"}, "Cancelled the update scheduled for Dec 7, 2026 11:20 UTC."},
		{status.MsgScheduledUpdateCancelled, params{"at": "2026-12-07T11:20:00Z", "zone": "Europe/Berlin"}, "Cancelled the update scheduled for Dec 7, 2026 12:20 CET."},
		{status.MsgScheduledUpdateFailed, params{"reason": "the incident was resolved before its time"},
			"The update scheduled for now was not published: the incident was resolved before its time."},
		{status.MsgCustomerMessage, params{"source": "email", "from": "Wile <wile@acme.example>", "title": "Re: API", "text": "Works: thanks."},
			"Email from Wile <wile@acme.example>: Re: API\n\nWorks: thanks."},
		{status.MsgCustomerMessage, params{"source": "phone", "from": "Jo", "title": "Checkout", "text": ""}, "Phone call from Jo: Checkout"},
		{status.MsgAlert, params{"text": "Alert firing: InstanceDown."}, "Alert firing: InstanceDown."},
		{status.MsgNote, params{"text": "Paged the on-call."}, "Paged the on-call."},
		{status.MsgLegacyText, params{"text": "Post-mortem published."}, "Post-mortem published."},
	}
	var tested []status.TimelineMessage
	for _, tc := range cases {
		e := &status.TimelineEntry{Message: tc.msg, Params: tc.params}
		require.Equal(t, tc.want, e.Text(), "%s %v", tc.msg, tc.params)
		tested = append(tested, tc.msg)
	}
	slices.Sort(tested)
	require.Equal(t, status.TimelineMessages(), slices.Compact(tested), "every message has a case here")
}

// TextIn shows the times of entries written without a zone (before
// entries carried one) in the zone it is given, and entries that carry a
// zone in theirs; times people read never come as RFC 3339.
func TestTimelineTextIn(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	cases := []struct {
		msg    status.TimelineMessage
		params params
		loc    *time.Location
		want   string
	}{
		{status.MsgStartCorrected, params{"at": "2026-12-07T11:20:00Z"}, berlin, "Start time corrected to Dec 7, 2026 12:20 CET."},
		{status.MsgStartCorrected, params{"at": "2026-12-07T11:20:00Z"}, nil, "Start time corrected to Dec 7, 2026 11:20 UTC."},
		{status.MsgStartCorrected, params{"at": "2026-12-07T11:20:00Z", "zone": "America/New_York"}, berlin,
			"Start time corrected to Dec 7, 2026 06:20 EST."},
		{status.MsgStartCorrected, params{"at": "2026-12-07T11:20:00Z", "zone": "No/Such_Zone"}, berlin,
			"Start time corrected to Dec 7, 2026 11:20 UTC."},
		{status.MsgStartCorrected, params{"at": "yesterday"}, berlin, "Start time corrected to yesterday."},
		{status.MsgScheduledUpdateCancelled, params{"at": "2026-07-07T11:20:00Z"}, berlin, "Cancelled the update scheduled for Jul 7, 2026 13:20 CEST."},
		{status.MsgServicesConfirmedByMessage, params{"by": "Wile", "method": "email", "message_at": "2026-12-07T11:20:59Z"}, berlin,
			"Services confirmed back by Wile (customer contact, by email), by their message of Dec 7, 2026 12:20 CET."},
		{status.MsgContactAgreed, params{"channels": "phone", "next_at": "2026-12-07T13:30:00Z", "zone": ""}, berlin,
			"Contact with the customers agreed: phone; next contact 7 Dec 14:30 CET."},
		{status.MsgNote, params{"text": "At 2026-12-07T11:20:00Z we paged."}, berlin, "At 2026-12-07T11:20:00Z we paged."},
	}
	for _, tc := range cases {
		e := &status.TimelineEntry{Message: tc.msg, Params: tc.params}
		require.Equal(t, tc.want, e.TextIn(tc.loc), "%s %v in %v", tc.msg, tc.params, tc.loc)
	}
}

// Parameters are text, whatever they hold: a renderer never panics, never
// interprets them, and the console's html/template escapes them.
func TestTimelineTextBadParams(t *testing.T) {
	t.Parallel()
	hostile := []string{"", "<script>alert(1)</script>", "%s %d %!", "{{.Params}}", "a\x00b", "\xff\xfe", "\u202eevil",
		"line\nbreak", strings.Repeat("x", 100_000), "not a time", "-1", "99999999999999999999"}
	page := template.Must(template.New("").Parse(`<li>{{.Text}}</li>`))
	for _, m := range status.TimelineMessages() {
		e := &status.TimelineEntry{Message: m}
		require.NotPanics(t, func() { _ = e.Text() }, "%s without parameters", m)
		for _, h := range hostile {
			p := params{}
			for _, k := range []string{"severity", "title", "visibility", "kind", "silent", "text", "from", "to", "component",
				"count", "at", "person", "role", "previous", "by", "source", "method", "message_at", "added", "removed",
				"total", "zone", "reason", "customers", "contacts", "not_asked"} {
				p[k] = h
			}
			e := &status.TimelineEntry{Message: m, Params: p}
			var got string
			require.NotPanics(t, func() { got = e.Text() }, "%s with %q", m, h)
			if m == status.MsgNote || m == status.MsgAlert || m == status.MsgLegacyText {
				require.Equal(t, h, got, "text from outside is shown as it is")
			}
			var b strings.Builder
			require.NoError(t, page.Execute(&b, e))
			require.NotContains(t, b.String(), "<script>", "%s: the console escapes parameters", m)
		}
	}
}

func TestTimelineTextUnknownMessage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		msg    status.TimelineMessage
		params params
		want   string
	}{
		{"a newer release's message shows its parameters", "incident_renamed", params{"to": "B", "from": "A"},
			`Unknown entry "incident_renamed" (from: A; to: B).`},
		{"with text, the text", "customer_call", params{"text": "Jo called.", "from": "Jo"}, "Jo called."},
		{"no message, no parameters", "", nil, "Unknown entry."},
		{"hostile message name", "<b>\x00", params{"x": "<i>"}, `Unknown entry "<b>\x00" (x: <i>).`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := &status.TimelineEntry{Message: tc.msg, Params: tc.params}
			require.Equal(t, tc.want, e.Text())
		})
	}
}

func TestTimelineParamsScan(t *testing.T) {
	t.Parallel()
	var p status.TimelineParams
	require.NoError(t, p.Scan(`{"from":"a","to":"<b>"}`))
	require.Equal(t, params{"from": "a", "to": "<b>"}, p)
	require.NoError(t, p.Scan([]byte(`{}`)))
	require.Empty(t, p)
	require.NoError(t, p.Scan(nil))
	require.Nil(t, p)
	require.Error(t, p.Scan(`{"from":1}`), "values are strings")
	require.Error(t, p.Scan(`not json`))
	require.Error(t, p.Scan(42))

	v, err := status.TimelineParams(nil).Value()
	require.NoError(t, err)
	require.Equal(t, "{}", v)
	v, err = params{"b": "2", "a": "\"1\""}.Value()
	require.NoError(t, err)
	require.Equal(t, `{"a":"\"1\"","b":"2"}`, v)
}
