package alerts_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

type bundle struct {
	svc    *status.Service
	alerts *alerts.Service
	clock  *statustest.Clock
	page   *status.Page
	db     *bun.DB
}

func setup(t *testing.T, bdb *bun.DB) *bundle {
	clock := statustest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	svc := status.New(bdb, status.Options{Now: clock.Now})
	b := &bundle{svc: svc, clock: clock, db: bdb, alerts: alerts.New(bdb, svc, alerts.Options{Window: 5 * time.Minute})}
	b.page = statustest.Page(t, svc, nil)
	return b
}

func firing(key, title string, labels map[string]string) alerts.Alert {
	return alerts.Alert{Source: "alertmanager", Key: key, Event: alerts.Firing, Title: title, Labels: labels,
		Severity: labels["severity"], Link: "https://prometheus.example/graph?g0.expr=up"}
}

func (b *bundle) ingest(t *testing.T, batch ...alerts.Alert) *alerts.Result {
	t.Helper()
	res, err := b.alerts.Ingest(t.Context(), batch)
	require.NoError(t, err)
	return res
}

func (b *bundle) items(t *testing.T) []*status.IntakeItem {
	t.Helper()
	items, err := b.svc.Intake.Items(t.Context(), status.IntakeFilter{Limit: 500})
	require.NoError(t, err)
	return items
}

func TestResentAlertUpdatesItsItem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		a := firing("fp1", "HighLatency", map[string]string{"alertname": "HighLatency", "service": "api"})
		first := b.ingest(t, a)
		require.Equal(t, 1, first.New)
		require.Len(t, first.Items, 1)
		b.clock.Advance(time.Minute)
		a.Description = "p99 above 2 s"
		again := b.ingest(t, a)
		require.Equal(t, 0, again.New)
		require.Equal(t, 1, again.Updated)
		require.Equal(t, first.Items, again.Items)

		items := b.items(t)
		require.Len(t, items, 1)
		recs, err := b.alerts.Alerts(t.Context(), items[0].ID, 0)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Equal(t, 2, recs[0].Deliveries)
		require.Equal(t, "p99 above 2 s", recs[0].Description)
		require.Equal(t, "HighLatency", items[0].Title)
		require.Contains(t, items[0].Body, "1 alert, 1 firing, 0 resolved")
		require.Equal(t, status.IntakeAlert, items[0].Source)
		require.Equal(t, "https://prometheus.example/graph?g0.expr=up", items[0].Link)
	})
}

func TestAlertmanagerGroupIsOneItem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		var batch []alerts.Alert
		for i := range 3 {
			a := firing(fmt.Sprintf("fp%d", i), "InstanceDown", map[string]string{"alertname": "InstanceDown", "instance": fmt.Sprint("10.0.0.", i)})
			a.Group = `{}:{alertname="InstanceDown"}`
			batch = append(batch, a)
		}
		b.ingest(t, batch...)
		// The group goes on long after the window: a fourth alert joins.
		b.clock.Advance(time.Hour)
		late := firing("fp9", "InstanceDown", map[string]string{"alertname": "InstanceDown", "instance": "10.0.0.9"})
		late.Group = batch[0].Group
		b.ingest(t, late)
		items := b.items(t)
		require.Len(t, items, 1)
		require.Equal(t, "InstanceDown and 3 more alerts", items[0].Title)
		recs, err := b.alerts.Alerts(t.Context(), items[0].ID, 0)
		require.NoError(t, err)
		var order []string
		for _, r := range recs {
			order = append(order, r.Key)
		}
		require.Equal(t, []string{"fp0", "fp1", "fp2", "fp9"}, order, "in the order they came")
		require.Contains(t, items[0].Body, "4 alerts, 4 firing, 0 resolved")
		require.Contains(t, items[0].Body, `instance="10.0.0.9"`)
		entries, err := b.svc.Intake.Entries(t.Context(), items[0].ID)
		require.NoError(t, err)
		require.Len(t, entries, 2)
		require.Equal(t, "Alert firing: InstanceDown on 10.0.0.9.", entries[1].Body, "alerts of one title tell apart by instance")

		// Another group is another item.
		other := firing("fpx", "DiskFull", map[string]string{"alertname": "DiskFull"})
		other.Group = `{}:{alertname="DiskFull"}`
		b.ingest(t, other)
		require.Len(t, b.items(t), 2)
	})
}

func TestAlertStormIsOneItem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		db := statustest.Component(t, b.svc, b.page.ID, &statustest.ComponentOpts{Name: "Database"})
		_, err := b.alerts.AddRule(t.Context(), alerts.RuleInput{Matchers: `service="postgres"`, ComponentID: db.ID})
		require.NoError(t, err)
		// 200 alerts in a minute, from two monitoring systems, in
		// deliveries of 20: every one for the database.
		for d := range 10 {
			var batch []alerts.Alert
			for i := range 20 {
				n := d*20 + i
				a := alerts.Alert{Source: "icinga", Key: fmt.Sprintf("db%d/check", n), Event: alerts.Firing,
					Title: fmt.Sprintf("Check %d failed", n), Labels: map[string]string{"service": "postgres", "host": fmt.Sprint("db", n)}}
				if n%2 == 0 {
					a.Source = "alertmanager"
				}
				batch = append(batch, a)
			}
			b.ingest(t, batch...)
			b.clock.Advance(6 * time.Second)
		}
		items := b.items(t)
		require.Len(t, items, 1)
		require.Equal(t, 200, items[0].AlertCount)
		require.Equal(t, 200, items[0].AlertFiring)
		require.Equal(t, db.ID, items[0].Components)
		require.Contains(t, items[0].Body, "200 alerts, 200 firing")
		require.Contains(t, items[0].Body, "and 150 more")
		recs, err := b.alerts.Alerts(t.Context(), items[0].ID, 0)
		require.NoError(t, err)
		require.Len(t, recs, 200)
	})
}

func TestWindowEndsGrouping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		b.ingest(t, firing("a", "A", map[string]string{"alertname": "A"}))
		b.clock.Advance(4 * time.Minute)
		b.ingest(t, firing("b", "B", map[string]string{"alertname": "B"}))
		require.Len(t, b.items(t), 1, "within the window: the same item")
		b.clock.Advance(6 * time.Minute)
		b.ingest(t, firing("c", "C", map[string]string{"alertname": "C"}))
		require.Len(t, b.items(t), 2, "after the window: a new item")
		// Another source never joins.
		b.ingest(t, alerts.Alert{Source: "icinga", Key: "x", Event: alerts.Firing, Title: "X"})
		require.Len(t, b.items(t), 3)
	})
}

func TestResolvedAlertsGoOnTheIncidentTimeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := t.Context()
		a1 := firing("fp1", "HighLatency", map[string]string{"alertname": "HighLatency"})
		a2 := firing("fp2", "HighErrorRate", map[string]string{"alertname": "HighErrorRate"})
		res := b.ingest(t, a1, a2)
		item := res.Items[0]
		inc, err := b.svc.Incidents.Declare(ctx, b.page.ID, status.IncidentInput{Title: "API slow", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "Looking.", IntakeID: item})
		require.NoError(t, err)

		b.clock.Advance(10 * time.Minute)
		r1 := a1
		r1.Event, r1.EndsAt = alerts.Resolved, b.clock.Now().Add(-time.Minute)
		b.ingest(t, r1)
		n, err := b.alerts.IncidentCount(ctx, inc.ID)
		require.NoError(t, err)
		require.Equal(t, 2, n.All)
		require.Equal(t, 1, n.Firing)
		require.False(t, n.AllResolved())

		b.clock.Advance(time.Minute)
		r2 := a2
		r2.Event = alerts.Resolved
		b.ingest(t, r2)
		n, err = b.alerts.IncidentCount(ctx, inc.ID)
		require.NoError(t, err)
		require.True(t, n.AllResolved())
		require.Equal(t, b.clock.Now(), n.LastResolved.UTC())

		tl, err := b.svc.Incidents.Timeline(ctx, b.page.ID, inc.ID)
		require.NoError(t, err)
		var said []string
		for _, e := range tl {
			if e.Kind == status.TimelineAlert {
				said = append(said, e.Text())
				require.Equal(t, item, e.Ref)
			}
		}
		require.Equal(t, []string{"Alert firing: HighLatency; HighErrorRate.", "Alert resolved: HighLatency at 12:09 UTC.",
			"Alert resolved: HighErrorRate at 12:11 UTC."}, said, "what happened before the declaration too")

		// Resolved again (Alertmanager repeats): nothing more is written.
		b.ingest(t, r2)
		tl2, err := b.svc.Incidents.Timeline(ctx, b.page.ID, inc.ID)
		require.NoError(t, err)
		require.Len(t, tl2, len(tl))

		// Firing again while the incident is open: written too, same item.
		b.ingest(t, a1)
		tl3, err := b.svc.Incidents.Timeline(ctx, b.page.ID, inc.ID)
		require.NoError(t, err)
		require.Equal(t, "Alert firing again: HighLatency.", tl3[len(tl3)-1].Text())
		require.Len(t, b.items(t), 1)
	})
}

func TestOpenItemKeepsItsHistoryUntilAttached(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := t.Context()
		a := firing("fp1", "DiskFull", map[string]string{"alertname": "DiskFull"})
		res := b.ingest(t, a)
		b.clock.Advance(3 * time.Minute)
		r := a
		r.Event = alerts.Resolved
		b.ingest(t, r)
		b.clock.Advance(time.Minute)
		b.ingest(t, a)
		entries, err := b.svc.Intake.Entries(ctx, res.Items[0])
		require.NoError(t, err)
		var said []string
		for _, e := range entries {
			said = append(said, e.At.UTC().Format("15:04")+" "+e.Body)
		}
		require.Equal(t, []string{"12:00 Alert firing: DiskFull.", "12:03 Alert resolved: DiskFull at 12:03 UTC.",
			"12:04 Alert firing again: DiskFull."}, said)

		// Attached to an incident, the history goes on its timeline at
		// its times, after the item's own text.
		inc := statustest.Incident(t, b.svc, b.page.ID, nil)
		b.clock.Advance(time.Minute)
		require.NoError(t, b.svc.Intake.Attach(ctx, res.Items[0], b.page.ID, inc.ID))
		tl, err := b.svc.Incidents.Timeline(ctx, b.page.ID, inc.ID)
		require.NoError(t, err)
		var onTimeline []string
		for _, e := range tl {
			if e.Ref == res.Items[0] {
				onTimeline = append(onTimeline, e.At.UTC().Format("15:04")+" "+string(e.Kind)+" "+strings.SplitN(e.Text(), "\n", 2)[0])
			}
		}
		require.Equal(t, []string{"12:00 customer Alert from Monitoring (alertmanager): DiskFull",
			"12:00 alert Alert firing: DiskFull.", "12:03 alert Alert resolved: DiskFull at 12:03 UTC.",
			"12:04 alert Alert firing again: DiskFull."}, onTimeline)
	})
}

func TestAlertFiringAfterItsItemClosedStartsAnew(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		a := firing("fp1", "HighLatency", map[string]string{"alertname": "HighLatency"})
		res := b.ingest(t, a)
		_, err := b.svc.Intake.Dismiss(t.Context(), res.Items[0], "flapping check")
		require.NoError(t, err)
		again := b.ingest(t, a)
		require.Equal(t, 1, again.New)
		require.NotEqual(t, res.Items, again.Items)
		old, err := b.alerts.Alerts(t.Context(), res.Items[0], 0)
		require.NoError(t, err)
		require.Len(t, old, 1)
		require.False(t, old[0].Active)
		// And once more: the new item is updated, not a third made.
		b.ingest(t, a)
		require.Len(t, b.items(t), 2)
	})
}

func TestRulesMapComponentsAndSeverity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := t.Context()
		db := statustest.Component(t, b.svc, b.page.ID, &statustest.ComponentOpts{Name: "Database"})
		api := statustest.Component(t, b.svc, b.page.ID, &statustest.ComponentOpts{Name: "API"})
		res := b.ingest(t, firing("fp1", "Replication lag", map[string]string{"service": "postgres", "severity": "warning"}))
		item, err := b.svc.Intake.Item(ctx, res.Items[0])
		require.NoError(t, err)
		require.Empty(t, item.Components)
		require.Equal(t, status.SeverityMinor, item.Severity, "warning suggests minor")

		// A rule added later maps the open item's alerts again.
		_, err = b.alerts.AddRule(ctx, alerts.RuleInput{Matchers: `service="postgres"`, ComponentID: db.ID, Severity: status.SeverityMajor})
		require.NoError(t, err)
		_, err = b.alerts.AddRule(ctx, alerts.RuleInput{Matchers: `service=~"postgres|api"`, ComponentID: api.ID})
		require.NoError(t, err)
		item, err = b.svc.Intake.Item(ctx, item.ID)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{db.ID, api.ID}, item.ComponentIDs())
		require.Equal(t, status.SeverityMajor, item.Severity)

		rules, err := b.alerts.Rules(ctx)
		require.NoError(t, err)
		require.Len(t, rules, 2)
		require.NoError(t, b.alerts.DeleteRule(ctx, rules[0].ID))
		item, err = b.svc.Intake.Item(ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, []string{api.ID}, item.ComponentIDs())
		require.Equal(t, status.SeverityMinor, item.Severity)

		// Changed in its place, the rule maps the open item again.
		_, err = b.alerts.UpdateRule(ctx, rules[1].ID, alerts.RuleInput{Matchers: `service="postgres"`, ComponentID: db.ID,
			Severity: status.SeverityTrivial})
		require.NoError(t, err)
		item, err = b.svc.Intake.Item(ctx, item.ID)
		require.NoError(t, err)
		require.Equal(t, []string{db.ID}, item.ComponentIDs())
		require.Equal(t, status.SeverityTrivial, item.Severity)
		_, err = b.alerts.UpdateRule(ctx, rules[1].ID, alerts.RuleInput{Matchers: `service=="postgres"`})
		require.Equal(t, status.KindInvalid, status.KindOf(err))
		_, err = b.alerts.UpdateRule(ctx, "nope", alerts.RuleInput{Matchers: `a="b"`})
		require.Equal(t, status.KindNotFound, status.KindOf(err))
	})
}

func TestRuleOrderDecidesSeverity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := t.Context()
		minor, err := b.alerts.AddRule(ctx, alerts.RuleInput{Matchers: `service="postgres"`, Severity: status.SeverityMinor})
		require.NoError(t, err)
		bc, err := b.alerts.AddRule(ctx, alerts.RuleInput{Matchers: `env="prod"`, Severity: status.SeverityBusinessContinuity})
		require.NoError(t, err)
		res := b.ingest(t, firing("fp1", "Primary down", map[string]string{"service": "postgres", "env": "prod"}))
		severity := func() status.Severity {
			item, err := b.svc.Intake.Item(ctx, res.Items[0])
			require.NoError(t, err)
			return item.Severity
		}
		require.Equal(t, status.SeverityMinor, severity(), "the first matching rule with a severity")

		require.NoError(t, b.alerts.MoveRule(ctx, bc.ID, true))
		require.Equal(t, status.SeverityBusinessContinuity, severity(), "moved first, mapped again")
		require.NoError(t, b.alerts.MoveRule(ctx, bc.ID, true), "first already: nothing changes")
		rules, err := b.alerts.Rules(ctx)
		require.NoError(t, err)
		require.Equal(t, []string{bc.ID, minor.ID}, []string{rules[0].ID, rules[1].ID})
		require.NoError(t, b.alerts.MoveRule(ctx, minor.ID, false), "last already")
		require.NoError(t, b.alerts.MoveRule(ctx, bc.ID, false))
		require.Equal(t, status.SeverityMinor, severity())
		require.Equal(t, status.KindNotFound, status.KindOf(b.alerts.MoveRule(ctx, "nope", true)))
	})
}

func TestRuleInputIsChecked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for name, in := range map[string]alerts.RuleInput{
			"no matchers":         {Matchers: ""},
			"bad matcher":         {Matchers: `service=="x"`},
			"bad regex":           {Matchers: `service=~"("`},
			"unknown component":   {Matchers: `a="b"`, ComponentID: "zzzzzzzzzzzz"},
			"bad severity":        {Matchers: `a="b"`, Severity: "apocalyptic"},
			"declare, no compon.": {Matchers: `a="b"`, AutoDeclare: true},
			"NUL":                 {Matchers: "a=\"b\x00\""},
		} {
			_, err := b.alerts.AddRule(t.Context(), in)
			require.Equal(t, status.KindInvalid, status.KindOf(err), name)
		}
		rules, err := b.alerts.Rules(t.Context())
		require.NoError(t, err)
		require.Empty(t, rules)
		require.Equal(t, status.KindNotFound, status.KindOf(b.alerts.DeleteRule(t.Context(), "nope")))
	})
}

func TestCriticalAlertDeclaresAnInternalIncident(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := t.Context()
		db := statustest.Component(t, b.svc, b.page.ID, &statustest.ComponentOpts{Name: "Database"})
		_, err := b.alerts.AddRule(ctx, alerts.RuleInput{Matchers: `service="postgres"`, ComponentID: db.ID, AutoDeclare: true})
		require.NoError(t, err)

		warn := b.ingest(t, firing("w", "Slow queries", map[string]string{"service": "postgres", "severity": "warning"}))
		require.Empty(t, warn.Declared, "only critical alerts declare")
		other := b.ingest(t, alerts.Alert{Source: "icinga", Key: "k", Event: alerts.Firing, Title: "Web down", Severity: "critical",
			Labels: map[string]string{"service": "web"}})
		require.Empty(t, other.Declared, "only matching alerts declare")

		crit := b.ingest(t, firing("c", "Primary down", map[string]string{"service": "postgres", "severity": "critical"}))
		require.Len(t, crit.Declared, 1)
		inc, err := b.svc.Incidents.ByID(ctx, b.page.ID, crit.Declared[0])
		require.NoError(t, err)
		require.Equal(t, status.VisibilityInternal, inc.Visibility)
		require.Equal(t, status.SeverityMajor, inc.Severity)
		require.Equal(t, status.SourceMonitoring, inc.Source)
		require.Equal(t, "https://prometheus.example/graph?g0.expr=up", inc.SourceReference)
		require.Len(t, inc.Components, 1)
		require.Equal(t, db.ID, inc.Components[0].ComponentID)
		item, err := b.svc.Intake.Item(ctx, crit.Items[0])
		require.NoError(t, err)
		require.Equal(t, status.IntakeDeclared, item.State)
		require.Equal(t, inc.ID, item.IncidentID)
		require.Equal(t, warn.Items, crit.Items, "the warning and the critical alert share the database's item")

		// More critical alerts for the declared incident declare nothing.
		more := b.ingest(t, firing("c2", "Replica down", map[string]string{"service": "postgres", "severity": "critical"}))
		require.Empty(t, more.Declared)
		require.Equal(t, crit.Items, more.Items)

		// An alert already there that turns critical declares too.
		gen := alerts.Alert{Source: "icinga", Key: "db9/load", Event: alerts.Firing, Title: "Load high on db9", Severity: "warning",
			Labels: map[string]string{"service": "postgres"}}
		b.clock.Advance(time.Hour) // another item: the window has passed
		first := b.ingest(t, gen)
		require.Empty(t, first.Declared)
		gen.Severity = "critical"
		worse := b.ingest(t, gen)
		require.Len(t, worse.Declared, 1)
		require.Equal(t, first.Items, worse.Items)
	})
}

func TestAcknowledgements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := t.Context()
		a := alerts.Alert{Source: "opsgenie", Key: "cpu-db1", Event: alerts.Firing, Title: "CPU high on db1", Severity: "P2"}
		res := b.ingest(t, a)
		ack := alerts.Alert{Source: "opsgenie", Key: "cpu-db1", Event: alerts.Acknowledged, Title: "cpu-db1", By: "ann@example.com"}
		b.ingest(t, ack)
		recs, err := b.alerts.Alerts(ctx, res.Items[0], 0)
		require.NoError(t, err)
		require.Equal(t, "ann@example.com", recs[0].AcknowledgedBy)
		require.Equal(t, "CPU high on db1", recs[0].Title, "an acknowledgement keeps the alert's text")
		require.True(t, recs[0].Firing())

		// In Herald: who and when; the first stands.
		ann := status.WithActor(ctx, status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ann"})
		item, err := b.svc.Intake.Acknowledge(ann, res.Items[0])
		require.NoError(t, err)
		require.Equal(t, "Ann", item.AcknowledgedBy)
		at := *item.AcknowledgedAt
		require.Equal(t, b.clock.Now(), at)
		b.clock.Advance(time.Minute)
		bob := status.WithActor(ctx, status.Actor{Kind: status.ActorUser, ID: "u2", Name: "Bob"})
		item, err = b.svc.Intake.Acknowledge(bob, res.Items[0])
		require.NoError(t, err)
		require.Equal(t, "Ann", item.AcknowledgedBy)
		require.Equal(t, at, item.AcknowledgedAt.UTC())
		_, err = b.svc.Intake.Acknowledge(bob, "nope")
		require.Equal(t, status.KindNotFound, status.KindOf(err))
	})
}

func TestHookTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		ctx := t.Context()
		require.Equal(t, status.KindUnauthorized, status.KindOf(b.alerts.CheckToken(ctx, "generic", "anything")))
		tok, err := b.alerts.NewToken(ctx, "generic")
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(tok), 32)
		require.NoError(t, b.alerts.CheckToken(ctx, "generic", tok))
		for _, bad := range []string{"", tok[:len(tok)-1], tok + "x", strings.ToUpper(tok)} {
			require.Equal(t, status.KindUnauthorized, status.KindOf(b.alerts.CheckToken(ctx, "generic", bad)), bad)
		}
		require.Equal(t, status.KindUnauthorized, status.KindOf(b.alerts.CheckToken(ctx, "alertmanager", tok)), "each hook has its own")
		tokens, err := b.alerts.Tokens(ctx)
		require.NoError(t, err)
		require.Equal(t, tok[:4], tokens["generic"].Hint)
		require.Equal(t, b.clock.Now(), tokens["generic"].LastUsedAt.UTC(), "a delivery is noted")
		b.clock.Advance(30 * time.Second)
		require.NoError(t, b.alerts.CheckToken(ctx, "generic", tok))
		tokens, err = b.alerts.Tokens(ctx)
		require.NoError(t, err)
		require.Equal(t, b.clock.Now().Add(-30*time.Second), tokens["generic"].LastUsedAt.UTC(), "at most once a minute")
		require.Nil(t, tokens["alertmanager"], "no token")

		// A new token replaces the old one.
		tok2, err := b.alerts.NewToken(ctx, "generic")
		require.NoError(t, err)
		tokens, err = b.alerts.Tokens(ctx)
		require.NoError(t, err)
		require.Nil(t, tokens["generic"].LastUsedAt, "a new token was never used")
		require.Equal(t, status.KindUnauthorized, status.KindOf(b.alerts.CheckToken(ctx, "generic", tok)))
		require.NoError(t, b.alerts.CheckToken(ctx, "generic", tok2))
		require.NoError(t, b.alerts.RevokeToken(ctx, "generic"))
		require.Equal(t, status.KindUnauthorized, status.KindOf(b.alerts.CheckToken(ctx, "generic", tok2)))
		_, err = b.alerts.NewToken(ctx, "nagios")
		require.Equal(t, status.KindNotFound, status.KindOf(err))
	})
}

func TestConcurrentDeliveriesStoreOneAlert(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		a := firing("fp1", "HighLatency", map[string]string{"alertname": "HighLatency"})
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := b.alerts.Ingest(context.Background(), []alerts.Alert{a})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		items := b.items(t)
		require.Len(t, items, 1)
		recs, err := b.alerts.Alerts(t.Context(), items[0].ID, 0)
		require.NoError(t, err)
		require.Len(t, recs, 1)
		require.Equal(t, 8, recs[0].Deliveries)
	})
}

// The counts an item keeps as deliveries come agree with its alerts,
// whatever the order of firing, resolving and acknowledging.
func TestItemCountsFollowTheAlerts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		rng := rand.New(rand.NewPCG(1, 2))
		events := []alerts.Event{alerts.Firing, alerts.Resolved, alerts.Acknowledged}
		var itemID string
		for range 20 {
			var batch []alerts.Alert
			for range 15 {
				k := rng.IntN(25)
				batch = append(batch, alerts.Alert{Source: "generic", Key: fmt.Sprint("k", k), Event: events[rng.IntN(3)],
					Title: fmt.Sprint("Check ", k), Severity: []string{"info", "warning", "critical"}[k%3]})
			}
			res := b.ingest(t, batch...)
			require.Len(t, res.Items, 1)
			itemID = res.Items[0]
			b.clock.Advance(10 * time.Second)
		}
		item, err := b.svc.Intake.Item(t.Context(), itemID)
		require.NoError(t, err)
		recs, err := b.alerts.Alerts(t.Context(), itemID, 0)
		require.NoError(t, err)
		firing := 0
		for _, r := range recs {
			if r.Firing() {
				firing++
			}
		}
		require.Equal(t, len(recs), item.AlertCount)
		require.Equal(t, firing, item.AlertFiring)
		require.Equal(t, status.SeverityMajor, item.Severity, "the worst of its alerts")
	})
}

// What an item says of its alerts' times is in the console's zone (here
// the only page's), with the zone named: never UTC to people.
func TestAlertTimesInTheConsoleZone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		clock := statustest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
		svc := status.New(bdb, status.Options{Now: clock.Now})
		statustest.Page(t, svc, &statustest.PageOpts{TimeZone: "Asia/Kolkata"})
		b := &bundle{svc: svc, clock: clock, db: bdb, alerts: alerts.New(bdb, svc, alerts.Options{Window: 5 * time.Minute})}
		a := firing("fp1", "DiskFull", map[string]string{"alertname": "DiskFull"})
		a2 := firing("fp2", "DiskSlow", map[string]string{"alertname": "DiskSlow"})
		res := b.ingest(t, a, a2)
		b.clock.Advance(3 * time.Minute)
		r := a
		r.Event = alerts.Resolved
		b.ingest(t, r)
		entries, err := b.svc.Intake.Entries(t.Context(), res.Items[0])
		require.NoError(t, err)
		require.Equal(t, "Alert resolved: DiskFull at 17:33 IST.", entries[len(entries)-1].Body)
		item, err := b.svc.Intake.Item(t.Context(), res.Items[0])
		require.NoError(t, err)
		require.Contains(t, item.Body, "[resolved Nov 24, 2026 17:33 IST] DiskFull")
		require.NotContains(t, item.Body, "UTC")
	})
}
