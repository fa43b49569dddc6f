package alerts

import (
	"context"
	"time"

	"github.com/herald-status/herald/status"
)

// Demo adds the demo's alerts to the page with the given slug: a mapping
// rule for its database clusters (unless one maps to them already; rules
// left by replaced demo pages go) and an inbox item of three alerts from
// one Alertmanager group, one of them resolved. set moves the clock of
// the demo's status service; the alerts came in over the last twelve
// minutes before now.
func (as *Service) Demo(ctx context.Context, slug string, set func(time.Time), now time.Time) error {
	svc := as.status
	rules, err := as.Rules(ctx)
	if err != nil {
		return err
	}
	p, err := svc.Pages.BySlug(ctx, slug)
	if err != nil {
		return err
	}
	comps, err := svc.Pages.Components(ctx, p.ID)
	if err != nil {
		return err
	}
	mapped := map[string]bool{} // components a rule maps to
	for _, r := range rules {
		mapped[r.ComponentID] = true
		if r.ComponentID == "" {
			continue
		}
		// A rule for a demo page's component that -reset replaced goes.
		if _, err := svc.Pages.Component(ctx, r.ComponentID); status.KindOf(err) == status.KindNotFound {
			if err := as.DeleteRule(ctx, r.ID); err != nil {
				return err
			}
		}
	}
	for _, c := range comps {
		if c.Name == "PostgreSQL clusters" && !mapped[c.ID] {
			if _, err := as.AddRule(ctx, RuleInput{Matchers: `service="postgres"`, ComponentID: c.ID}); err != nil {
				return err
			}
		}
	}
	var batch []Alert
	for i, host := range []string{"pg-eu-1", "pg-eu-2", "pg-eu-3"} {
		batch = append(batch, Alert{Source: "alertmanager", Key: "demo-replication-" + host, Event: Firing,
			Title: "PostgresReplicationLag: replica " + host + " is behind", Severity: "warning", Group: `{}:{alertname="PostgresReplicationLag"}`,
			Description: "Replication lag above 30 s for 5 minutes.", StartsAt: now.Add(-time.Duration(12-i) * time.Minute),
			Labels: map[string]string{"alertname": "PostgresReplicationLag", "service": "postgres", "instance": host + ":9187", "severity": "warning"},
			Link:   "http://prometheus.northwind.example:9090/graph?g0.expr=pg_replication_lag_seconds+%3E+30"})
	}
	set(now.Add(-10 * time.Minute))
	if _, err := as.Ingest(ctx, batch); err != nil {
		return err
	}
	set(now.Add(-4 * time.Minute))
	resolved := batch[2]
	resolved.Event, resolved.EndsAt = Resolved, now.Add(-4*time.Minute)
	_, err = as.Ingest(ctx, []Alert{resolved})
	set(now)
	return err
}
