package status_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// alertItem makes an alert item as inbound/alerts does: created in
// triage, then given its alerts' summary, all in one transaction.
func alertItem(t *testing.T, b *testBundle, title, group, comps string, alerts int, at time.Time) *status.IntakeItem {
	t.Helper()
	var item *status.IntakeItem
	require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
		var err error
		if item, _, err = tx.CreateIntake(ctx, status.IntakeInput{Source: status.IntakeAlert, Title: title}); err != nil {
			return err
		}
		item.GroupKey, item.Components, item.AlertCount, item.AlertFiring, item.AlertAt = group, comps, alerts, alerts, &at
		return tx.UpdateAlertItem(ctx, item)
	}))
	return item
}

func idsOf(items []*status.IntakeItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.ID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// Live alert items are those still taking alerts: open in triage, or part
// of an incident that is not resolved; the filter narrows them by id,
// group, component and time of the last alert.
func TestLiveAlertItems(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		p := statustest.Page(t, b.svc, nil)
		t0 := b.clock.Now()

		grouped := alertItem(t, b, "Disk full", "group:alertmanager:disk", "c1,c2", 2, t0)
		b.clock.Advance(time.Minute)
		second := alertItem(t, b, "Latency", "", "c2", 1, t0.Add(time.Minute))
		b.clock.Advance(time.Minute)
		attached := alertItem(t, b, "Errors", "", "c1", 3, t0.Add(2*time.Minute))
		open := statustest.Incident(t, b.svc, p.ID, nil)
		require.NoError(t, b.svc.Intake.Attach(ctx, attached.ID, p.ID, open.ID))
		ofResolved := alertItem(t, b, "Old", "group:alertmanager:disk", "c1", 1, t0.Add(2*time.Minute))
		done := statustest.Incident(t, b.svc, p.ID, nil)
		require.NoError(t, b.svc.Intake.Attach(ctx, ofResolved.ID, p.ID, done.ID))
		_, err := b.svc.Incidents.PostUpdate(ctx, p.ID, done.ID, status.UpdateInput{State: status.StateResolved, Kind: status.KindResolution,
			Resolution: status.ResolutionPermanent, Body: "Fixed."})
		require.NoError(t, err)
		dismissed := alertItem(t, b, "Noise", "", "c1", 1, t0.Add(2*time.Minute))
		_, err = b.svc.Intake.Dismiss(ctx, dismissed.ID, "Noise.")
		require.NoError(t, err)
		email, _, err := b.svc.Intake.Create(ctx, status.IntakeInput{Source: status.IntakeEmail, Title: "c1 is down", SenderEmail: "a@b.example"})
		require.NoError(t, err)

		live := func(f status.AlertItemFilter) []string {
			t.Helper()
			items, err := b.svc.Intake.LiveAlertItems(b.ctx, f)
			require.NoError(t, err)
			return idsOf(items)
		}
		require.Equal(t, sorted(grouped.ID, second.ID, attached.ID), live(status.AlertItemFilter{}))
		require.Equal(t, []string{grouped.ID}, live(status.AlertItemFilter{IDs: []string{grouped.ID, ofResolved.ID, dismissed.ID, email.ID}}))
		require.Empty(t, live(status.AlertItemFilter{IDs: []string{}}), "an empty list selects none")
		require.Equal(t, []string{grouped.ID}, live(status.AlertItemFilter{GroupKey: "group:alertmanager:disk"}))
		require.Equal(t, sorted(grouped.ID, attached.ID), live(status.AlertItemFilter{Component: "c1"}))
		require.Empty(t, live(status.AlertItemFilter{Component: "c"}), "whole ids only")
		require.Equal(t, sorted(second.ID, attached.ID), live(status.AlertItemFilter{Since: statustest.Ptr(t0.Add(time.Minute))}))
		require.Equal(t, []string{second.ID}, live(status.AlertItemFilter{Component: "c2", Limit: 1}), "the newest")

		// Read through the caller's transaction.
		require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
			items, err := tx.LiveAlertItems(ctx, status.AlertItemFilter{Component: "c2", Since: &t0})
			require.NoError(t, err)
			require.Equal(t, sorted(grouped.ID, second.ID), idsOf(items))
			require.Equal(t, "Disk full", items[slices.IndexFunc(items, func(it *status.IntakeItem) bool { return it.ID == grouped.ID })].Title)
			return nil
		}))
	})
}

// The open alert items are those waiting in triage; an incident's alert
// items are those attached to it or declaring it that have alerts.
func TestOpenAndIncidentAlertItems(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		p := statustest.Page(t, b.svc, nil)
		now := b.clock.Now()
		first := alertItem(t, b, "Disk full", "", "c1", 2, now)
		second := alertItem(t, b, "Latency", "", "", 1, now)
		attached := alertItem(t, b, "Errors", "", "c1", 3, now)
		empty := alertItem(t, b, "Nothing yet", "", "", 0, now)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		require.NoError(t, b.svc.Intake.Attach(ctx, attached.ID, p.ID, inc.ID))
		require.NoError(t, b.svc.Intake.Attach(ctx, empty.ID, p.ID, inc.ID))
		email, _, err := b.svc.Intake.Create(ctx, status.IntakeInput{Source: status.IntakeEmail, Title: "Down?", SenderEmail: "a@b.example"})
		require.NoError(t, err)
		require.NoError(t, b.svc.Intake.Attach(ctx, email.ID, p.ID, inc.ID))

		ids, err := b.svc.Intake.OpenAlertItemIDs(b.ctx)
		require.NoError(t, err)
		require.Equal(t, sorted(first.ID, second.ID), ids)
		require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
			ids, err := tx.OpenAlertItemIDs(ctx)
			require.NoError(t, err)
			require.Equal(t, sorted(first.ID, second.ID), ids)
			return nil
		}))

		items, err := b.svc.Incidents.AlertItems(b.ctx, inc.ID)
		require.NoError(t, err)
		require.Len(t, items, 1)
		require.Equal(t, attached.ID, items[0].ID)
		require.Equal(t, 3, items[0].AlertCount)
		require.Equal(t, 3, items[0].AlertFiring)
		items, err = b.svc.Incidents.AlertItems(b.ctx, "zzzzzzzzzzzz")
		require.NoError(t, err)
		require.Empty(t, items)
	})
}

// UpdateAlertItem writes what the alerts make of an item and nothing
// else; IntakeItemWith reads an item through the caller's transaction.
func TestUpdateAlertItem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		item := alertItem(t, b, "Disk full", "", "", 1, b.clock.Now())
		b.clock.Advance(time.Minute)
		at := b.clock.Now()

		require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
			got, err := tx.IntakeItem(ctx, item.ID)
			require.NoError(t, err)
			got.Title, got.Body, got.Link, got.GroupKey = "Disk full and 1 more alerts", "2 alerts", "https://grafana.example/d/1", "source:generic"
			got.Components, got.Severity, got.AlertCount, got.AlertFiring, got.AlertAt, got.UpdatedAt =
				"c1,c2", status.SeverityMajor, 2, 1, &at, at
			got.State, got.Note = status.IntakeDismissed, "not written"
			require.NoError(t, tx.UpdateAlertItem(ctx, got))
			_, err = tx.IntakeItem(ctx, "zzzzzzzzzzzz")
			requireKind(t, err, status.KindNotFound)
			return nil
		}))

		got, err := b.svc.Intake.Item(b.ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, "Disk full and 1 more alerts", got.Title)
		require.Equal(t, "2 alerts", got.Body)
		require.Equal(t, "https://grafana.example/d/1", got.Link)
		require.Equal(t, "source:generic", got.GroupKey)
		require.Equal(t, []string{"c1", "c2"}, got.ComponentIDs())
		require.Equal(t, status.SeverityMajor, got.Severity)
		require.Equal(t, 2, got.AlertCount)
		require.Equal(t, 1, got.AlertFiring)
		require.NotNil(t, got.AlertAt)
		requireTime(t, at, *got.AlertAt)
		requireTime(t, at, got.UpdatedAt)
		require.Equal(t, status.IntakeOpen, got.State, "the triage decision is not the alerts'")
		require.Empty(t, got.Note)
	})
}
