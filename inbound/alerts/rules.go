package alerts

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
)

// Labels are an alert's labels, kept as a JSON object.
type Labels map[string]string

// Value stores the labels as JSON.
func (l Labels) Value() (driver.Value, error) { return status.Strings(l).Value() }

// Scan reads labels stored as JSON.
func (l *Labels) Scan(src any) error { return (*status.Strings)(l).Scan(src) }

// String is the labels as name="value" pairs in name order.
func (l Labels) String() string {
	names := make([]string, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, l[k])
	}
	return b.String()
}

// Rule maps alerts whose labels match to a component and a severity, and
// may declare an internal incident for a critical one.
type Rule struct {
	bun.BaseModel `bun:"table:alert_rules"`

	ID       string `bun:"id,pk"`
	Position int    `bun:"position"`
	// Matchers are Prometheus-style: service="postgres", env=~"prod.*".
	Matchers    string          `bun:"matchers"`
	ComponentID string          `bun:"component_id"` // "" maps to no component
	Severity    status.Severity `bun:"severity"`     // "" keeps the alert's own
	AutoDeclare bool            `bun:"auto_declare"`
	CreatedBy   string          `bun:"created_by"`
	CreatedAt   time.Time       `bun:"created_at"`
	UpdatedAt   time.Time       `bun:"updated_at"`

	parsed Matchers
}

// RuleInput is a new mapping rule.
type RuleInput struct {
	Matchers    string
	ComponentID string
	Severity    status.Severity
	AutoDeclare bool
}

// Rules returns the mapping rules in the order they apply.
func (s *Service) Rules(ctx context.Context) ([]*Rule, error) {
	return loadRules(ctx, s.db)
}

func loadRules(ctx context.Context, db bun.IDB) ([]*Rule, error) {
	var out []*Rule
	if err := db.NewSelect().Model(&out).OrderExpr("position, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load alert rules: %w", err)
	}
	for _, r := range out {
		r.parsed, _ = ParseMatchers(r.Matchers) // checked when stored
	}
	return out, nil
}

// check validates in inside tx, returning its parsed matchers.
func (s *Service) check(ctx context.Context, tx *status.Tx, in RuleInput) (Matchers, error) {
	f := status.FieldErrors{}
	ms, err := ParseMatchers(in.Matchers)
	if err != nil {
		f.Add("matchers", err.Error())
	}
	if in.Severity != "" && !in.Severity.Valid() {
		f.Add("severity", status.OneOf(status.Severities)+", or empty")
	}
	if in.AutoDeclare && in.ComponentID == "" {
		f.Add("component_id", "choose a component: an incident is declared on its page")
	}
	if in.ComponentID != "" {
		_, err := tx.Component(ctx, in.ComponentID)
		switch {
		case status.KindOf(err) == status.KindNotFound:
			f.Add("component_id", "there is no such component")
		case err != nil:
			return nil, err
		}
	}
	return ms, f.Err()
}

// AddRule stores a new mapping rule after the others. Alerts that fire
// in open items are mapped again.
func (s *Service) AddRule(ctx context.Context, in RuleInput) (*Rule, error) {
	var rule *Rule
	err := s.status.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		ms, err := s.check(ctx, tx, in)
		if err != nil {
			return err
		}
		var last int
		if err := tx.NewSelect().Model((*Rule)(nil)).ColumnExpr("coalesce(max(position), 0)").Scan(ctx, &last); err != nil {
			return fmt.Errorf("find last rule: %w", err)
		}
		now := s.status.Now()
		rule = &Rule{ID: status.NewID(), Position: last + 1, Matchers: ms.String(), ComponentID: in.ComponentID,
			Severity: in.Severity, AutoDeclare: in.AutoDeclare, CreatedBy: status.ActorFrom(ctx).Name, CreatedAt: now, UpdatedAt: now, parsed: ms}
		if _, err := tx.NewInsert().Model(rule).Exec(ctx); err != nil {
			return fmt.Errorf("store alert rule: %w", err)
		}
		if err := tx.Audit(ctx, status.Change{Action: "create", SubjectType: "alert_rule", SubjectID: rule.ID, After: rule}); err != nil {
			return err
		}
		return s.remap(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return rule, nil
}

// Rule returns one mapping rule or KindNotFound.
func (s *Service) Rule(ctx context.Context, id string) (*Rule, error) {
	return ruleByID(ctx, s.db, id)
}

func ruleByID(ctx context.Context, db bun.IDB, id string) (*Rule, error) {
	r := new(Rule)
	err := db.NewSelect().Model(r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, status.Errorf(status.KindNotFound, "There is no such rule.")
	}
	if err != nil {
		return nil, fmt.Errorf("load alert rule %s: %w", id, err)
	}
	r.parsed, _ = ParseMatchers(r.Matchers)
	return r, nil
}

// UpdateRule changes a mapping rule in its place. Alerts that fire in
// open items are mapped again.
func (s *Service) UpdateRule(ctx context.Context, id string, in RuleInput) (*Rule, error) {
	var rule *Rule
	err := s.status.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		var err error
		if rule, err = ruleByID(ctx, tx, id); err != nil {
			return err
		}
		ms, err := s.check(ctx, tx, in)
		if err != nil {
			return err
		}
		before := *rule
		rule.Matchers, rule.ComponentID, rule.Severity, rule.AutoDeclare = ms.String(), in.ComponentID, in.Severity, in.AutoDeclare
		rule.UpdatedAt, rule.parsed = s.status.Now(), ms
		if _, err := tx.NewUpdate().Model(rule).Column("matchers", "component_id", "severity", "auto_declare", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update alert rule: %w", err)
		}
		if err := tx.Audit(ctx, status.Change{Action: "update", SubjectType: "alert_rule", SubjectID: id, Before: before, After: rule}); err != nil {
			return err
		}
		return s.remap(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return rule, nil
}

// DeleteRule removes a mapping rule; alerts that fire in open items are
// mapped again without it.
func (s *Service) DeleteRule(ctx context.Context, id string) error {
	return s.status.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		old, err := ruleByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(old).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete alert rule: %w", err)
		}
		if err := tx.Audit(ctx, status.Change{Action: "delete", SubjectType: "alert_rule", SubjectID: id, Before: old}); err != nil {
			return err
		}
		return s.remap(ctx, tx)
	})
}

// MoveRule moves a rule one place up (earlier) or down; the first
// matching rule with a severity sets it, so order matters. Alerts that
// fire in open items are mapped again.
func (s *Service) MoveRule(ctx context.Context, id string, up bool) error {
	return s.status.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(rules, func(r *Rule) bool { return r.ID == id })
		if i < 0 {
			return status.Errorf(status.KindNotFound, "There is no such rule.")
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j < 0 || j >= len(rules) {
			return nil // first or last already
		}
		a, b := rules[i], rules[j]
		before := *a
		a.Position, b.Position = b.Position, a.Position
		if a.Position == b.Position { // never, unless written by hand
			a.Position += j - i
		}
		now := s.status.Now()
		for _, r := range []*Rule{a, b} {
			r.UpdatedAt = now
			if _, err := tx.NewUpdate().Model(r).Column("position", "updated_at").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("move alert rule: %w", err)
			}
		}
		if err := tx.Audit(ctx, status.Change{Action: "move", SubjectType: "alert_rule", SubjectID: id, Before: before, After: a}); err != nil {
			return err
		}
		return s.remap(ctx, tx)
	})
}

// Preview is what the rules make of an alert with some labels.
type Preview struct {
	Labels     map[string]string
	Matched    []*Rule         // the rules that match, in order
	Components []string        // ids
	Severity   status.Severity // suggested
	Declares   bool            // a critical alert would declare an incident
}

// Try shows what the rules make of an alert with the given labels,
// written as name="value" pairs (service="postgres", severity="critical");
// the severity label is the alert's own.
func (s *Service) Try(ctx context.Context, labels string) (*Preview, error) {
	f := status.FieldErrors{}
	ms, err := ParseMatchers(labels)
	if err != nil {
		f.Add("labels", err.Error())
	}
	p := &Preview{Labels: map[string]string{}}
	for _, m := range ms {
		if m.Op != "=" {
			f.Add("labels", "write labels as name=\"value\", not "+m.String())
		}
		p.Labels[m.Name] = m.Value
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	rules, err := s.Rules(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if len(r.parsed) > 0 && r.parsed.Matches(p.Labels) {
			p.Matched = append(p.Matched, r)
		}
	}
	m := apply(rules, p.Labels, p.Labels["severity"])
	p.Components, p.Severity, p.Declares = m.components, m.severity, m.declare != nil
	return p, nil
}

// mapping is what the rules make of an alert.
type mapping struct {
	components []string // ids, in rule order
	severity   status.Severity
	declare    *Rule // the first auto-declaring rule that matched, if any
}

// apply maps labels by rules: every matching rule adds its component,
// the first that sets a severity sets it; without one the alert's own
// severity is translated.
func apply(rules []*Rule, labels map[string]string, severity string) mapping {
	var m mapping
	for _, r := range rules {
		if len(r.parsed) == 0 || !r.parsed.Matches(labels) {
			continue
		}
		if r.ComponentID != "" && !contains(m.components, r.ComponentID) {
			m.components = append(m.components, r.ComponentID)
		}
		if m.severity == "" && r.Severity != "" {
			m.severity = r.Severity
		}
		if m.declare == nil && r.AutoDeclare {
			m.declare = r
		}
	}
	if m.severity == "" {
		m.severity = SuggestSeverity(severity)
	}
	return m
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// remap maps the alerts of open items again after the rules changed, and
// refreshes those items' components and suggested severity.
func (s *Service) remap(ctx context.Context, tx *status.Tx) error {
	if err := s.lockIngestion(ctx, tx); err != nil {
		return err
	}
	rules, err := loadRules(ctx, tx)
	if err != nil {
		return err
	}
	open, err := tx.OpenAlertItemIDs(ctx)
	if err != nil {
		return err
	}
	var recs []*Record
	if len(open) > 0 {
		if err := tx.NewSelect().Model(&recs).Where("intake_id IN (?)", bun.List(open)).Scan(ctx); err != nil {
			return fmt.Errorf("load alerts of open items: %w", err)
		}
	}
	items := map[string]bool{}
	for _, r := range recs {
		m := apply(rules, r.Labels, r.Severity)
		comps := strings.Join(m.components, ",")
		if comps == r.Components && m.severity == r.Suggested {
			continue
		}
		r.Components, r.Suggested = comps, m.severity
		if _, err := tx.NewUpdate().Model(r).Column("components", "suggested").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("map alert %s again: %w", r.ID, err)
		}
		items[r.IntakeID] = true
	}
	for id := range items {
		item, err := tx.IntakeItem(ctx, id)
		if err != nil {
			return fmt.Errorf("load intake item %s: %w", id, err)
		}
		if err := recount(ctx, tx, item); err != nil {
			return err
		}
		if err := s.summarise(ctx, tx, item, s.status.Now()); err != nil {
			return err
		}
	}
	return nil
}
