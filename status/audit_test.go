package status_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Every change is in the audit log with who made it and the subject before
// and after; a change that fails leaves no entry.
func TestAuditLogRecordsChanges(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleManager})
		ctx := status.WithActor(b.ctx, status.UserActor(u))

		p, err := b.svc.Pages.Create(ctx, status.PageInput{Slug: "audited", Name: "Audited"})
		require.NoError(t, err)
		c, err := b.svc.Pages.CreateComponent(ctx, p.ID, status.ComponentInput{Name: "API"})
		require.NoError(t, err)
		inc, err := b.svc.Incidents.Declare(ctx, p.ID, status.IncidentInput{Title: "Slow API", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "We are looking into it.",
			Components: []status.ComponentStatusInput{{ComponentID: c.ID, Status: status.DegradedPerformance}}})
		require.NoError(t, err)
		_, err = b.svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{State: status.StateMitigating, Kind: status.KindProgress, Body: "Fix under way."})
		require.NoError(t, err)
		_, err = b.svc.Incidents.Update(ctx, p.ID, inc.ID, status.IncidentPatch{Severity: statustest.Ptr(status.SeverityMajor)})
		require.NoError(t, err)

		// Refused changes leave nothing behind.
		_, err = b.svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Body: "stale", Version: 1})
		require.Equal(t, status.KindConflict, status.KindOf(err))

		entries, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "incident", SubjectID: inc.ID})
		require.NoError(t, err)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			require.Equal(t, status.ActorUser, e.ActorKind)
			require.Equal(t, u.ID, e.ActorID)
			require.Equal(t, p.ID, e.PageID)
		}
		require.Equal(t, []string{"update", "post_update", "create"}, actions, "newest first")

		var before, after map[string]any
		require.NoError(t, json.Unmarshal([]byte(entries[0].Before), &before))
		require.NoError(t, json.Unmarshal([]byte(entries[0].After), &after))
		require.Equal(t, "minor", before["Severity"])
		require.Equal(t, "major", after["Severity"])

		var upd map[string]any
		require.NoError(t, json.Unmarshal([]byte(entries[1].After), &upd))
		require.Equal(t, "mitigating", upd["State"])
		require.Equal(t, "Fix under way.", upd["Update"].(map[string]any)["Body"])

		// Without an actor in the context, Herald itself made the change.
		require.NoError(t, b.svc.Pages.DeleteComponent(b.ctx, p.ID, c.ID))
		entries, err = b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "component", SubjectID: c.ID})
		require.NoError(t, err)
		require.Len(t, entries, 2)
		require.Equal(t, "delete", entries[0].Action)
		require.Equal(t, status.ActorSystem, entries[0].ActorKind)
		require.Contains(t, entries[0].Before, `"API"`)
		require.Empty(t, entries[0].After)
	})
}

// The audit log pages with Before and never holds a secret.
func TestAuditLogPagesAndHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		for range 7 {
			statustest.Group(t, b.svc, p.ID, nil)
		}
		var seen []string
		before := ""
		for {
			page, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "group", Limit: 3, Before: before})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				seen = append(seen, e.ID)
			}
			before = page[len(page)-1].ID
		}
		require.Len(t, seen, 7)
		uniq := map[string]bool{}
		for _, id := range seen {
			uniq[id] = true
		}
		require.Len(t, uniq, 7, "no entry twice across pages")

		_, err := b.svc.AuditLog(b.ctx, status.AuditFilter{Before: "nope"})
		require.Equal(t, status.KindNotFound, status.KindOf(err))

		statustest.User(t, b.svc, nil) // creating a user is audited too
		var all []string
		require.NoError(t, bdb.NewSelect().Table("audit_log").Column("before_json").Scan(b.ctx, &all))
		var after []string
		require.NoError(t, bdb.NewSelect().Table("audit_log").Column("after_json").Scan(b.ctx, &after))
		for _, doc := range append(all, after...) {
			require.NotContains(t, doc, "argon2id")
			require.NotContains(t, strings.ToLower(doc), "passwordhash")
		}
	})
}
