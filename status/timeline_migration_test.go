package status_test

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
)

// timelineParamsMigration is the migration that gave timeline entries
// messages and parameters.
const timelineParamsMigration = "20261207120000_timeline_params"

// oldTimelineEntry is a timeline entry as stored before
// timelineParamsMigration: a sentence in body.
type oldTimelineEntry struct {
	bun.BaseModel `bun:"table:timeline_entries"`

	ID         string    `bun:"id,pk"`
	IncidentID string    `bun:"incident_id"`
	Kind       string    `bun:"kind"`
	Body       string    `bun:"body"`
	Actor      string    `bun:"actor"`
	At         time.Time `bun:"at"`
	CreatedAt  time.Time `bun:"created_at"`
	Ref        string    `bun:"ref"`
	Channel    string    `bun:"channel"`
}

// oldPage is the least of a page the old incident needs.
type oldPage struct {
	bun.BaseModel `bun:"table:pages"`

	ID        string    `bun:"id,pk"`
	Slug      string    `bun:"slug"`
	Name      string    `bun:"name"`
	TimeZone  string    `bun:"time_zone"`
	Version   int64     `bun:"version"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

// oldIncident is the least of an incident the old entries need.
type oldIncident struct {
	bun.BaseModel `bun:"table:incidents"`

	ID         string    `bun:"id,pk"`
	PageID     string    `bun:"page_id"`
	Title      string    `bun:"title"`
	Severity   string    `bun:"severity"`
	State      string    `bun:"state"`
	Visibility string    `bun:"visibility"`
	StartedAt  time.Time `bun:"started_at"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

// migrationsBefore returns the dialect's migrations older than name.
func migrationsBefore(t *testing.T, dialect, name string) fs.FS {
	t.Helper()
	all, err := db.Migrations(dialect)
	require.NoError(t, err)
	files, err := fs.ReadDir(all, ".")
	require.NoError(t, err)
	out := fstest.MapFS{}
	for _, f := range files {
		if f.Name() < name {
			b, err := fs.ReadFile(all, f.Name())
			require.NoError(t, err)
			out[f.Name()] = &fstest.MapFile{Data: b}
		}
	}
	require.NotEmpty(t, out)
	return out
}

// Entries written before messages existed keep reading as they did: each
// sentence Herald wrote is taken apart into its message and parameters,
// anything else is kept as legacy text; rolling back gives every sentence
// back.
func TestTimelineMigration(t *testing.T) {
	t.Parallel()
	q := func(s string) string { return fmt.Sprintf("%q", s) }
	type row struct {
		kind, body string
		message    status.TimelineMessage
		params     status.TimelineParams // checked when set
		text       string                // when it reads otherwise than body
		channel    string
	}
	rows := []row{
		{kind: "declared", body: "The incident started.", message: status.MsgIncidentStarted},
		{kind: "declared", body: "Declared major incident " + q("API down") + " (public).", message: status.MsgIncidentDeclared,
			params: status.TimelineParams{"severity": "major", "title": "API down", "visibility": "public"}},
		{kind: "declared", body: "Declared business continuity incident " + q("Zahlungen: Ausfall €") + " (customers).",
			message: status.MsgIncidentDeclared},
		{kind: "declared", body: "Declared minor incident " + q(`Say "hi"`) + " (internal).", message: status.MsgLegacyText},
		{kind: "declared", body: "Declared minor incident " + q("tab\there") + " (internal).", message: status.MsgLegacyText},
		{kind: "update", body: "Analysis update posted: Found it.", message: status.MsgUpdatePosted,
			params: status.TimelineParams{"kind": "analysis", "silent": "false", "text": "Found it."}},
		{kind: "update", body: "Expected resolution update posted (silent): Within the hour: maybe.", message: status.MsgUpdatePosted,
			params: status.TimelineParams{"kind": "eta", "silent": "true", "text": "Within the hour: maybe."}},
		{kind: "update", body: "Resolution update posted: ", message: status.MsgUpdatePosted},
		{kind: "update", body: "Update update posted: Investigating.", message: status.MsgUpdatePosted,
			text: "Update posted: Investigating."},
		{kind: "state", body: "State changed from Investigating to Mitigating.", message: status.MsgStateChanged,
			params: status.TimelineParams{"from": "investigating", "to": "mitigating"}},
		{kind: "component", body: "API: Operational → Major outage.", message: status.MsgComponentChanged,
			params: status.TimelineParams{"component": "API", "from": "operational", "to": "major_outage"}},
		{kind: "component", body: "EU: API: Degraded performance → Operational.", message: status.MsgComponentChanged,
			params: status.TimelineParams{"component": "EU: API", "from": "degraded_performance", "to": "operational"}},
		{kind: "severity", body: "Severity changed from minor to business continuity.", message: status.MsgSeverityChanged,
			params: status.TimelineParams{"from": "minor", "to": "business_continuity"}},
		{kind: "change", body: "Visibility changed from internal to customers.", message: status.MsgVisibilityChanged},
		{kind: "change", body: "1 earlier update made visible to affected customers.", message: status.MsgUpdatesPublished,
			params: status.TimelineParams{"count": "1", "visibility": "customers"}},
		{kind: "change", body: "12 earlier updates made visible to public.", message: status.MsgUpdatesPublished},
		{kind: "change", body: "1 earlier updates made visible to public.", message: status.MsgLegacyText},
		{kind: "change", body: "Title changed to " + q("<script>alert(1)</script>") + ".", message: status.MsgTitleChanged,
			params: status.TimelineParams{"title": "<script>alert(1)</script>"}},
		{kind: "change", body: "Public title set to " + q("Checkout slow") + ".", message: status.MsgPublicTitleSet},
		{kind: "change", body: "Public title removed: the public sees the title.", message: status.MsgPublicTitleRemoved},
		{kind: "change", body: "Start time corrected to 2026-03-10T11:40:00Z.", message: status.MsgStartCorrected,
			params: status.TimelineParams{"at": "2026-03-10T11:40:00Z"}, text: "Start time corrected to Mar 10, 2026 11:40 UTC."},
		{kind: "change", body: "Automatic holding update turned on: when an update falls due with nothing posted, Herald posts a holding update.",
			message: status.MsgAutoHoldingOn},
		{kind: "change", body: "Automatic holding update turned off.", message: status.MsgAutoHoldingOff},
		{kind: "change", body: "Incident record edited.", message: status.MsgRecordEdited},
		{kind: "change", body: "Internal post-mortem saved.", message: status.MsgPostmortemInternalSaved},
		{kind: "change", body: "Public post-mortem draft saved.", message: status.MsgPostmortemDraftSaved},
		{kind: "change", body: "Public post-mortem published.", message: status.MsgPostmortemPublished},
		{kind: "change", body: "Public post-mortem withdrawn from the public page.", message: status.MsgPostmortemWithdrawn},
		{kind: "change", body: "Account Management informed.", message: status.MsgAMInformed},
		{kind: "change", body: "Post-mortem decision: a post-mortem will be written.", message: status.MsgPostmortemDecisionYes},
		{kind: "change", body: "Post-mortem decision: no post-mortem.", message: status.MsgPostmortemDecisionNo},
		{kind: "change", body: "Business continuity plan triggered.", message: status.MsgContinuityPlanTriggered},
		{kind: "role", body: "Ann is now technical lead.", message: status.MsgRoleAssigned,
			params: status.TimelineParams{"person": "Ann", "role": "lead"}},
		{kind: "role", body: "Bob took over as incident commander from Ann, Cem.", message: status.MsgRoleTakenOver,
			params: status.TimelineParams{"person": "Bob", "role": "commander", "previous": "Ann, Cem"}},
		{kind: "role", body: "cem@example.com is no longer technical help.", message: status.MsgRoleRemoved},
		{kind: "change", body: "Services confirmed back by Wile (team member, in chat).", message: status.MsgServicesConfirmed,
			params: status.TimelineParams{"by": "Wile", "source": "internal", "method": "chat"}},
		{kind: "change", body: "Services confirmed back by Wile <wile@acme.example> (customer contact, by email), by their message of 2026-03-10 11:55 UTC.",
			message: status.MsgServicesConfirmedByMessage,
			params:  status.TimelineParams{"by": "Wile <wile@acme.example>", "method": "email", "message_at": "2026-03-10T11:55:00Z"},
			text:    "Services confirmed back by Wile <wile@acme.example> (customer contact, by email), by their message of Mar 10, 2026 11:55 UTC."},
		{kind: "change", body: "Affected customers changed: 2 added, 0 removed, 2 in all.", message: status.MsgCustomersChanged,
			params: status.TimelineParams{"added": "2", "removed": "0", "total": "2"}},
		{kind: "change", body: "Scheduled a progress update for 10 Mar 13:30 CET: Rolling out.", message: status.MsgLegacyText},
		{kind: "change", body: "Cancelled the update scheduled for 2026-03-10T13:30:00Z.", message: status.MsgScheduledUpdateCancelled,
			text: "Cancelled the update scheduled for Mar 10, 2026 13:30 UTC."},
		{kind: "change", body: "The update scheduled for now was not published: the incident was resolved before its time.",
			message: status.MsgScheduledUpdateFailed},
		{kind: "customer", channel: "email", body: "Email from Wile <wile@acme.example>: Re: [Page] API errors\n\nWorks again: thanks.\n\n> quoted",
			message: status.MsgCustomerMessage, params: status.TimelineParams{"source": "email", "from": "Wile <wile@acme.example>",
				"title": "Re: [Page] API errors", "text": "Works again: thanks.\n\n> quoted"}},
		{kind: "customer", channel: "phone", body: "Phone call from Jo Caller: Checkout\n\nSince 9:00 every call fails.", message: status.MsgCustomerMessage},
		{kind: "customer", body: "Portal ticket from Ann: T-7 Orders fail", message: status.MsgCustomerMessage,
			params: status.TimelineParams{"source": "portal", "from": "Ann", "title": "T-7 Orders fail", "text": ""}},
		{kind: "customer", body: "Alert from Monitoring: InstanceDown\n\n", message: status.MsgLegacyText},
		{kind: "alert", body: "Alert firing: InstanceDown on 10.0.0.9.", message: status.MsgAlert},
		{kind: "note", body: "Paged the <b>database</b> on-call.", message: status.MsgNote},
		{kind: "note", body: "Incident record edited.", message: status.MsgNote},
		{kind: "change", body: "Post-mortem draft saved.", message: status.MsgLegacyText},
		{kind: "change", body: "Services confirmed back by Ann (customer).", message: status.MsgLegacyText},
		{kind: "state", body: "State changed from Investigating to Sleeping.", message: status.MsgLegacyText},
	}
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			bdb, err := db.Open(ctx, dbtest.EmptyURL(t, d))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, bdb.Close()) })
			require.NoError(t, db.NewMigratorFS(bdb, migrationsBefore(t, d, timelineParamsMigration), nil).Up(ctx))

			svc := status.New(bdb, status.Options{Now: func() time.Time { return epoch.Add(3 * time.Hour) }})
			p := &oldPage{ID: status.NewID(), Slug: "old", Name: "Old", TimeZone: "Etc/UTC", Version: 1, CreatedAt: epoch, UpdatedAt: epoch}
			_, err = bdb.NewInsert().Model(p).Exec(ctx)
			require.NoError(t, err)
			inc := &oldIncident{ID: status.NewID(), PageID: p.ID, Title: "Old", Severity: "major", State: "resolved",
				Visibility: "public", StartedAt: epoch, CreatedAt: epoch, UpdatedAt: epoch}
			_, err = bdb.NewInsert().Model(inc).Exec(ctx)
			require.NoError(t, err)
			olds := make([]*oldTimelineEntry, len(rows))
			for i, r := range rows {
				at := epoch.Add(time.Duration(i) * time.Minute)
				olds[i] = &oldTimelineEntry{ID: status.NewID(), IncidentID: inc.ID, Kind: r.kind, Body: r.body, Actor: "Ann",
					At: at, CreatedAt: at, Channel: r.channel}
			}
			_, err = bdb.NewInsert().Model(&olds).Exec(ctx)
			require.NoError(t, err)

			m, err := db.NewMigrator(bdb, nil)
			require.NoError(t, err)
			require.NoError(t, m.Up(ctx))
			tl, err := svc.Incidents.Timeline(ctx, p.ID, inc.ID)
			require.NoError(t, err)
			require.Len(t, tl, len(rows))
			for i, r := range rows {
				e := tl[i]
				require.Equal(t, olds[i].ID, e.ID)
				require.Equal(t, r.message, e.Message, "%q", r.body)
				want := r.body
				if r.text != "" {
					want = r.text
				}
				require.Equal(t, want, e.Text(), "%q reads as before", r.body)
				if r.params != nil {
					require.Equal(t, r.params, e.Params, "%q", r.body)
				}
				if r.message == status.MsgLegacyText {
					require.Equal(t, status.TimelineParams{"text": r.body}, e.Params)
				}
			}

			// New entries go in beside the old ones.
			_, err = svc.Incidents.AddNote(ctx, p.ID, inc.ID, "After the upgrade.", "Ann", nil)
			require.NoError(t, err)

			names, err := m.Down(ctx)
			require.NoError(t, err)
			require.Equal(t, versionsFrom(t, d, timelineParamsMigration), names, "this migration and those after it are rolled back")
			var bodies []string
			require.NoError(t, bdb.NewSelect().Table("timeline_entries").Column("body").Order("at", "created_at", "id").
				Scan(ctx, &bodies))
			require.Len(t, bodies, len(rows)+1)
			for i, r := range rows {
				require.Equal(t, r.body, bodies[i], "rolled back, the old release reads its sentence")
			}
			require.Equal(t, "After the upgrade.", bodies[len(rows)], "a note written since keeps its text")
			require.NoError(t, m.Up(ctx), "and up again")
			tl, err = svc.Incidents.Timeline(ctx, p.ID, inc.ID)
			require.NoError(t, err)
			require.Equal(t, "After the upgrade.", tl[len(tl)-1].Text())
			require.True(t, strings.HasPrefix(tl[0].Text(), "The incident started."))
		})
	}
}

// versionsFrom returns the versions of the dialect's migrations from name
// on, oldest first: those one Up applies after migrationsBefore(name).
func versionsFrom(t *testing.T, dialect, name string) []string {
	t.Helper()
	all, err := db.Migrations(dialect)
	require.NoError(t, err)
	files, err := fs.ReadDir(all, ".")
	require.NoError(t, err)
	var out []string
	for _, f := range files {
		v, _, _ := strings.Cut(f.Name(), "_")
		if f.Name() >= name && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	require.NotEmpty(t, out)
	return out
}
