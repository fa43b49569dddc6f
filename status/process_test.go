package status_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestOfficeHours(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	weekdays := status.OfficeHours{Days: "mon,tue,wed,thu,fri", Opens: "08:00", Closes: "18:00", Holidays: "2026-12-24\n2026-12-25"}
	night := status.OfficeHours{Days: "fri", Opens: "22:00", Closes: "06:00"}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, berlin)
		require.NoError(t, err)
		return v.UTC()
	}
	for _, tc := range []struct {
		name  string
		hours status.OfficeHours
		at    time.Time
		open  bool
	}{
		{"no office hours kept: never out of hours", status.OfficeHours{}, at("2026-12-06 03:00"), true},
		{"Monday 10:00 is in", weekdays, at("2026-12-07 10:00"), true},
		{"opening minute is in", weekdays, at("2026-12-07 08:00"), true},
		{"one minute before opening is out", weekdays, at("2026-12-07 07:59"), false},
		{"closing minute is out", weekdays, at("2026-12-07 18:00"), false},
		{"Saturday is out", weekdays, at("2026-12-05 10:00"), false},
		{"a holiday is out", weekdays, at("2026-12-24 10:00"), false},
		{"the day after a holiday is in", weekdays, at("2026-12-28 10:00"), true},
		{"hours are the page's zone, not UTC (07:30 UTC is 08:30 in Berlin)", weekdays,
			time.Date(2026, 12, 7, 7, 30, 0, 0, time.UTC), true},
		{"overnight shift, evening part", night, at("2026-12-04 23:00"), true},
		{"overnight shift, morning part belongs to the day it opened", night, at("2026-12-05 05:00"), true},
		{"overnight shift, morning after another day is out", night, at("2026-12-04 05:00"), false},
		{"overnight shift, closing minute is out", night, at("2026-12-05 06:00"), false},
		{"hours that do not parse count as out of hours", status.OfficeHours{Days: "mon", Opens: "nine", Closes: "17:00"},
			at("2026-12-07 10:00"), false},
		{"days are read case-insensitively with spaces", status.OfficeHours{Days: " Mon , TUE", Opens: "09:00", Closes: "17:00"},
			at("2026-12-08 10:00"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.open, tc.hours.Open(tc.at, berlin))
		})
	}
}

func TestPageProcessSettings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		for field, patch := range map[string]status.PagePatch{
			"office_days":       {Office: &status.OfficeHours{Days: "mon,funday", Opens: "09:00", Closes: "17:00"}},
			"office_opens":      {Office: &status.OfficeHours{Days: "mon", Opens: "25:00", Closes: "17:00"}},
			"office_closes":     {Office: &status.OfficeHours{Days: "mon", Opens: "09:00", Closes: "09:00"}},
			"office_holidays":   {Office: &status.OfficeHours{Days: "mon", Opens: "09:00", Closes: "17:00", Holidays: "Christmas"}},
			"oncall_guide_url":  {OncallGuideURL: statustest.Ptr("javascript:alert(1)")},
			"video_room_url":    {VideoRoomURL: statustest.Ptr("meet me in the kitchen")},
			"vulnerability_url": {VulnerabilityURL: statustest.Ptr("https://" + strings.Repeat("x", status.MaxShortLen))},
		} {
			_, err := b.svc.Pages.Update(b.ctx, p.ID, patch)
			requireField(t, err, status.KindInvalid, field)
		}
		_, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{Office: &status.OfficeHours{Opens: "09:00"}})
		requireField(t, err, status.KindInvalid, "office_days")

		got, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{
			Office:         &status.OfficeHours{Days: "Mon, Tue", Opens: " 09:00", Closes: "17:00 ", Holidays: "2026-12-24  2026-12-25"},
			OncallGuideURL: statustest.Ptr(" https://wiki.example/oncall "), VideoRoomURL: statustest.Ptr("https://meet.example/ops"),
			VulnerabilityURL: statustest.Ptr("https://wiki.example/vulns")})
		require.NoError(t, err)
		got, err = b.svc.Pages.ByID(b.ctx, got.ID)
		require.NoError(t, err)
		require.Equal(t, status.OfficeHours{Days: "mon,tue", Opens: "09:00", Closes: "17:00", Holidays: "2026-12-24\n2026-12-25"}, got.Office)
		require.Equal(t, "https://wiki.example/oncall", got.OncallGuideURL)
		require.Equal(t, "https://meet.example/ops", got.VideoRoomURL)
		require.Equal(t, "https://wiki.example/vulns", got.VulnerabilityURL)
	})
}

func timelineTexts(t *testing.T, b *testBundle, pageID, incidentID string) []string {
	t.Helper()
	tl, err := b.svc.Incidents.Timeline(b.ctx, pageID, incidentID)
	require.NoError(t, err)
	var out []string
	for _, e := range tl {
		out = append(out, e.Text())
	}
	return out
}

func TestSecurityIncidentOutOfHours(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		// epoch is a Tuesday, 12:00 UTC: inside 09:00–17:00 Monday to
		// Friday, outside 13:00–17:00.
		_, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{Office: &status.OfficeHours{Days: "mon,tue,wed,thu,fri", Opens: "13:00", Closes: "17:00"}})
		require.NoError(t, err)

		in := status.IncidentInput{Title: "Odd logins", Severity: status.SeverityMinor, Body: "Looking.", Author: "Ann",
			Security: status.SecurityIncident}
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, in)
		require.NoError(t, err)
		require.Equal(t, status.VisibilityInternal, inc.Visibility, "a security matter is internal unless told otherwise")
		require.True(t, inc.OutOfHours)
		texts := timelineTexts(t, b, p.ID, inc.ID)
		require.Contains(t, texts, "Declared outside office hours (mon, tue, wed, thu, fri 13:00–17:00): the on-call guide applies.")
		require.Contains(t, texts, "Marked as an information-security incident.")

		flags, err := b.svc.Incidents.EscalationsOf(b.ctx, inc)
		require.NoError(t, err)
		require.Equal(t, status.FlagSecurityReport, flags[0].Kind)
		require.False(t, flags[0].Done)

		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, Name: "Ann"})
		require.NoError(t, b.svc.Incidents.RecordEscalation(ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordSecurityReported}))
		inc, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "Ann", inc.SecurityReportedBy)
		flags, err = b.svc.Incidents.EscalationsOf(b.ctx, inc)
		require.NoError(t, err)
		require.True(t, flags[0].Done)

		// An explicit visibility stands; inside office hours nothing is
		// marked.
		b.clock.Advance(2 * time.Hour)
		in.Security, in.Visibility = status.SecurityVulnerability, status.VisibilityCustomers
		vuln, err := b.svc.Incidents.Declare(b.ctx, p.ID, in)
		require.NoError(t, err)
		require.Equal(t, status.VisibilityCustomers, vuln.Visibility)
		require.False(t, vuln.OutOfHours)
		require.NotContains(t, strings.Join(timelineTexts(t, b, p.ID, vuln.ID), "\n"), "office hours")

		// Unmarking and marking again is on the timeline; a report on an
		// ordinary incident is refused.
		none := status.SecurityNone
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, vuln.ID, status.IncidentPatch{Security: &none})
		require.NoError(t, err)
		require.Contains(t, timelineTexts(t, b, p.ID, vuln.ID), "No longer marked as a security matter (was a security vulnerability).")
		err = b.svc.Incidents.RecordEscalation(ctx, p.ID, vuln.ID, status.EscalationStep{What: status.RecordSecurityReported})
		requireKind(t, err, status.KindConflict)

		for _, bad := range []status.SecurityKind{"maybe", "INCIDENT", "<script>"} {
			in.Security = bad
			_, err = b.svc.Incidents.Declare(b.ctx, p.ID, in)
			requireField(t, err, status.KindInvalid, "security")
		}
		// Without a security mark, a visibility must be chosen.
		in.Security, in.Visibility = status.SecurityNone, ""
		_, err = b.svc.Incidents.Declare(b.ctx, p.ID, in)
		requireField(t, err, status.KindInvalid, "visibility")
	})
}

func TestAccountManagementDecides(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		ada := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Ada", Role: status.RoleViewer})
		_, err := b.svc.Accounts.UpdateUser(b.ctx, ada.ID, status.UserPatch{AccountManagement: statustest.Ptr(true)})
		require.NoError(t, err)
		bob := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Bob"})
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityMajor})
		asAda := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: ada.ID, Name: "Ada"})
		asBob := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: bob.ID, Name: "Bob"})
		asToken := status.WithActor(b.ctx, status.Actor{Kind: status.ActorToken, ID: "tok", Name: "deploy bot"})

		// Anyone not in Account Management must name who decided.
		err = b.svc.Incidents.RecordEscalation(asBob, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemYes})
		requireField(t, err, status.KindInvalid, "decided_by")
		err = b.svc.Incidents.RecordEscalation(asToken, p.ID, inc.ID, status.EscalationStep{What: status.RecordAMInformed, DecidedBy: "  "})
		requireField(t, err, status.KindInvalid, "decided_by")
		err = b.svc.Incidents.RecordEscalation(asBob, p.ID, inc.ID, status.EscalationStep{What: status.RecordAMInformed,
			DecidedBy: strings.Repeat("A", status.MaxNameLen+1)})
		requireField(t, err, status.KindInvalid, "decided_by")
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Nil(t, got.AMInformedAt, "nothing recorded by a refusal")
		require.Equal(t, status.PostmortemUndecided, got.PostmortemDecision)

		require.NoError(t, b.svc.Incidents.RecordEscalation(asToken, p.ID, inc.ID, status.EscalationStep{What: status.RecordAMInformed, DecidedBy: "Carla"}))
		require.NoError(t, b.svc.Incidents.RecordEscalation(asBob, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Carla"}))
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "Carla", got.AMInformedBy)
		require.Equal(t, "deploy bot", got.AMInformedRecordedBy)
		require.Equal(t, "Carla", got.PostmortemDecidedBy)
		require.Equal(t, "Bob", got.PostmortemRecordedBy)

		// A member of Account Management records in their own name; a
		// name they give is not taken instead.
		require.NoError(t, b.svc.Incidents.RecordEscalation(asAda, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemYes, DecidedBy: "Mallory"}))
		got, err = b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.PostmortemYes, got.PostmortemDecision)
		require.Equal(t, "Ada", got.PostmortemDecidedBy)
		require.Empty(t, got.PostmortemRecordedBy)

		texts := timelineTexts(t, b, p.ID, inc.ID)
		require.Contains(t, texts, "Account Management informed: Carla, recorded by deploy bot.")
		require.Contains(t, texts, "Post-mortem decision by Carla (Account Management), recorded by Bob: no post-mortem.")
		require.Contains(t, texts, "Post-mortem decision by Ada (Account Management): a post-mortem will be written.")
	})
}

func TestBusinessContinuityClosing(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityBusinessContinuity})
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Ada"}))

		_, err := b.svc.Incidents.Close(b.ctx, p.ID, inc.ID, goodClose())
		requireField(t, err, status.KindConflict, "continuity_not_needed")
		_, err = b.svc.Incidents.PostUpdate(b.ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateResolved, Body: "Done."})
		requireField(t, err, status.KindConflict, "continuity_not_needed")
		err = b.svc.Incidents.RecordEscalation(b.ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordContinuityNotNeeded, Reason: " "})
		requireField(t, err, status.KindInvalid, "reason")
		in := goodClose()
		in.ContinuityNotNeeded = strings.Repeat("x", status.MaxShortLen+1)
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, inc.ID, in)
		requireField(t, err, status.KindInvalid, "continuity_not_needed")

		flags, err := b.svc.Incidents.EscalationsOf(b.ctx, inc)
		require.NoError(t, err)
		require.Equal(t, status.FlagBusinessContinuity, flags[0].Kind, "the checklist shows while open")

		in.ContinuityNotNeeded = "Only one rack was down; moved to the other site in 10 minutes."
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, inc.ID, in)
		require.NoError(t, err)
		got, err := b.svc.Incidents.ByID(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, status.StateResolved, got.State)
		require.Equal(t, in.ContinuityNotNeeded, got.ContinuityNotNeeded)
		require.Contains(t, timelineTexts(t, b, p.ID, inc.ID), "Business continuity plan not needed: "+in.ContinuityNotNeeded)
		flags, err = b.svc.Incidents.EscalationsOf(b.ctx, got)
		require.NoError(t, err)
		for _, f := range flags {
			require.NotEqual(t, status.FlagBusinessContinuity, f.Kind, "the checklist ends with the incident")
		}
		err = b.svc.Incidents.RecordEscalation(b.ctx, p.ID, inc.ID, status.EscalationStep{What: status.RecordContinuityPlan})
		requireKind(t, err, status.KindConflict)

		// Triggered: the close needs no reason.
		other := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Severity: status.SeverityBusinessContinuity})
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, other.ID, status.EscalationStep{What: status.RecordPostmortemNo, DecidedBy: "Ada"}))
		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, other.ID, status.EscalationStep{What: status.RecordContinuityPlan}))
		_, err = b.svc.Incidents.Close(b.ctx, p.ID, other.ID, goodClose())
		require.NoError(t, err)
	})
}

func TestContactAgreedWithCustomers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})
		p, err := b.svc.Pages.Update(b.ctx, p.ID, status.PagePatch{VideoRoomURL: statustest.Ptr("https://meet.example/ops")})
		require.NoError(t, err)
		inc := statustest.Incident(t, b.svc, p.ID, nil)

		bad := map[string]status.IncidentPatch{
			"contact_channels": {ContactChannels: &status.ContactChannels{"pigeon"}},
			"video_room":       {VideoRoom: statustest.Ptr("javascript:alert(1)")},
		}
		for field, patch := range bad {
			_, err := b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, patch)
			requireField(t, err, status.KindInvalid, field)
		}
		twice := status.ContactChannels{status.ChannelPhone, status.ChannelPhone}
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{ContactChannels: &twice})
		requireField(t, err, status.KindInvalid, "contact_channels")
		past := statustest.Ptr(epoch.Add(-time.Minute))
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{NextContactAt: &past})
		requireField(t, err, status.KindInvalid, "next_contact_at")
		far := statustest.Ptr(epoch.Add(8 * 24 * time.Hour))
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{NextContactAt: &far})
		requireField(t, err, status.KindInvalid, "next_contact_at")

		next := statustest.Ptr(epoch.Add(45 * time.Minute))
		channels := status.ContactChannels{status.ChannelTicket, status.ChannelPhone}
		got, err := b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{ContactChannels: &channels, NextContactAt: &next,
			VideoRoom: statustest.Ptr("https://meet.example/inc-1")})
		require.NoError(t, err)
		require.Equal(t, channels, got.ContactChannels)
		require.True(t, next.Equal(*got.NextContactAt))
		require.Equal(t, "https://meet.example/inc-1", status.VideoRoom(got, p))
		texts := timelineTexts(t, b, p.ID, inc.ID)
		require.Contains(t, texts, "Contact with the customers agreed: ticket, phone; next contact 10 Mar 13:45 CET.")
		require.Contains(t, texts, "Video room for this incident: https://meet.example/inc-1")

		desk, err := b.svc.Incidents.Desk(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		for _, n := range desk.Nudges {
			require.NotEqual(t, status.NudgeContactDue, n.Kind)
		}
		// The time passes: the desk says so; an unrelated edit does not
		// trip over the past time.
		b.clock.Advance(46 * time.Minute)
		desk, err = b.svc.Incidents.Desk(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var due *status.Nudge
		for _, n := range desk.Nudges {
			if n.Kind == status.NudgeContactDue {
				due = &n
			}
		}
		require.NotNil(t, due)
		require.Contains(t, due.Message, "13:45 CET (ticket, phone)")
		_, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{NextContactAt: &next, Summary: statustest.Ptr("Disk.")})
		require.NoError(t, err)
		var none *time.Time
		got, err = b.svc.Incidents.Update(b.ctx, p.ID, inc.ID, status.IncidentPatch{NextContactAt: &none, VideoRoom: statustest.Ptr("")})
		require.NoError(t, err)
		require.Nil(t, got.NextContactAt)
		require.Equal(t, "https://meet.example/ops", status.VideoRoom(got, p), "back to the page's room")
	})
}
