package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
)

// alertRuleJSON is a mapping rule in the admin API.
type alertRuleJSON struct {
	ID          string          `json:"id"`
	Position    int             `json:"position"`
	Matchers    string          `json:"matchers"`
	ComponentID *string         `json:"component_id"`
	Severity    status.Severity `json:"severity"`
	AutoDeclare bool            `json:"auto_declare"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
}

func toAlertRuleJSON(r *alerts.Rule) alertRuleJSON {
	out := alertRuleJSON{ID: r.ID, Position: r.Position, Matchers: r.Matchers, Severity: r.Severity, AutoDeclare: r.AutoDeclare,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt}
	if r.ComponentID != "" {
		out.ComponentID = &r.ComponentID
	}
	return out
}

// alertJSON is one alert of an inbox item in the admin API.
type alertJSON struct {
	ID             string            `json:"id"`
	Source         string            `json:"source"`
	Key            string            `json:"key"`
	Status         alerts.Event      `json:"status"`
	Title          string            `json:"title"`
	Description    string            `json:"description"`
	Severity       string            `json:"severity"`
	Suggested      status.Severity   `json:"suggested_severity"`
	Labels         map[string]string `json:"labels"`
	Link           string            `json:"link"`
	Components     []string          `json:"components"`
	StartsAt       *time.Time        `json:"starts_at"`
	ResolvedAt     *time.Time        `json:"resolved_at"`
	FirstSeenAt    time.Time         `json:"first_seen_at"`
	LastSeenAt     time.Time         `json:"last_seen_at"`
	Deliveries     int               `json:"deliveries"`
	AcknowledgedBy string            `json:"acknowledged_by"`
	AcknowledgedAt *time.Time        `json:"acknowledged_at"`
}

func (s *Server) alertService() (*alerts.Service, error) {
	if s.deps.Alerts == nil {
		return nil, status.Errorf(status.KindNotFound, "Alerts are not set up on this server.")
	}
	return s.deps.Alerts, nil
}

// listAlertRules serves GET /api/v1/alerts/rules, in the order they apply.
func (s *Server) listAlertRules(c *fiber.Ctx) error {
	as, err := s.alertService()
	if err != nil {
		return err
	}
	rules, err := as.Rules(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]alertRuleJSON, 0, len(rules))
	for _, r := range rules {
		out = append(out, toAlertRuleJSON(r))
	}
	return c.JSON(out)
}

// alertRuleRequest is a new mapping rule.
type alertRuleRequest struct {
	Matchers    *string          `json:"matchers"`
	ComponentID *string          `json:"component_id"`
	Severity    *status.Severity `json:"severity"`
	AutoDeclare *bool            `json:"auto_declare"`
}

// ruleRequest reads a rule's JSON body: matchers are required.
func ruleRequest(c *fiber.Ctx) (alerts.RuleInput, error) {
	var req alertRuleRequest
	if err := decodeJSON(c, &req); err != nil {
		return alerts.RuleInput{}, err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"matchers": req.Matchers != nil})
	if err := f.Err(); err != nil {
		return alerts.RuleInput{}, err
	}
	return alerts.RuleInput{Matchers: *req.Matchers, ComponentID: deref(req.ComponentID), Severity: deref(req.Severity),
		AutoDeclare: deref(req.AutoDeclare)}, nil
}

// createAlertRule serves POST /api/v1/alerts/rules: the rule applies after
// the others.
func (s *Server) createAlertRule(c *fiber.Ctx) error {
	as, err := s.alertService()
	if err != nil {
		return err
	}
	in, err := ruleRequest(c)
	if err != nil {
		return err
	}
	rule, err := as.AddRule(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toAlertRuleJSON(rule))
}

// updateAlertRuleAPI serves PUT /api/v1/alerts/rules/:id: the whole rule,
// in its place.
func (s *Server) updateAlertRuleAPI(c *fiber.Ctx) error {
	as, err := s.alertService()
	if err != nil {
		return err
	}
	if _, err := as.Rule(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	in, err := ruleRequest(c)
	if err != nil {
		return err
	}
	rule, err := as.UpdateRule(c.UserContext(), c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.JSON(toAlertRuleJSON(rule))
}

// deleteAlertRuleAPI serves DELETE /api/v1/alerts/rules/:id.
func (s *Server) deleteAlertRuleAPI(c *fiber.Ctx) error {
	as, err := s.alertService()
	if err != nil {
		return err
	}
	if err := as.DeleteRule(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// listItemAlerts serves GET /api/v1/intake/:id/alerts: an item's alerts in
// the order they came in.
func (s *Server) listItemAlerts(c *fiber.Ctx) error {
	as, err := s.alertService()
	if err != nil {
		return err
	}
	item, err := s.deps.Service.Intake.Item(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	recs, err := as.Alerts(c.UserContext(), item.ID, 0)
	if err != nil {
		return err
	}
	out := make([]alertJSON, 0, len(recs))
	for _, r := range recs {
		labels := map[string]string(r.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		out = append(out, alertJSON{ID: r.ID, Source: r.Source, Key: r.Key, Status: r.Status, Title: r.Title,
			Description: r.Description, Severity: r.Severity, Suggested: r.Suggested, Labels: labels, Link: r.Link,
			Components: append([]string{}, r.ComponentIDs()...), StartsAt: r.StartsAt, ResolvedAt: r.ResolvedAt,
			FirstSeenAt: r.FirstSeenAt, LastSeenAt: r.LastSeenAt, Deliveries: r.Deliveries, AcknowledgedBy: r.AcknowledgedBy,
			AcknowledgedAt: r.AcknowledgedAt})
	}
	return c.JSON(out)
}
