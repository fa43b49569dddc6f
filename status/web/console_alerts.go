package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
)

// ruleWriters may change the alert mapping rules (admins always).
var ruleWriters = []status.Role{status.RoleManager}

// componentChoice is a component offered by a rule form, with its page.
type componentChoice struct {
	Page      *status.Page
	Component *status.Component
}

// hookView is a hook as the alerts page shows it.
type hookView struct {
	Name  string
	Token *alerts.HookToken // nil when it has none
	URL   string
}

type alertsPage struct {
	consoleBase
	timeView
	Rules      []*alerts.Rule
	Components []componentChoice
	Names      map[string]string // component id → "Page · Component"
	Hooks      []hookView
	Severities []status.Severity
	CanWrite   bool // may change rules
	IsAdmin    bool
	// NewToken is shown once, right after it was made, for NewHook.
	NewToken, NewHook string
	// Preview is what the rules make of the labels tried (?try=).
	Preview *alerts.Preview
	// Editing is the rule the form changes (?edit=ID); nil adds one.
	Editing *alerts.Rule
	Form    url.Values
	Fields  map[string]string
}

// Value returns the submitted value of a form field.
func (d alertsPage) Value(name string) string { return d.Form.Get(name) }

// allComponents returns every component with its page, and their
// names by id.
func (s *Server) allComponents(c *fiber.Ctx) ([]componentChoice, map[string]string, error) {
	ctx := c.UserContext()
	pages, err := s.deps.Service.Pages.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	var all []componentChoice
	names := map[string]string{}
	for _, p := range pages {
		comps, err := s.deps.Service.Pages.Components(ctx, p.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, cm := range comps {
			all = append(all, componentChoice{Page: p, Component: cm})
			names[cm.ID] = p.Name + " · " + cm.Name
		}
	}
	return all, names, nil
}

func (s *Server) renderAlerts(c *fiber.Ctx, code int, d alertsPage) error {
	if s.deps.Alerts == nil {
		return status.Errorf(status.KindNotFound, "Alerts are not set up on this server.")
	}
	ctx := c.UserContext()
	base := s.consoleBase(c)
	d.consoleBase, d.timeView, d.Severities = base, s.timeView(c), status.Severities
	d.IsAdmin = base.User.Role == status.RoleAdmin
	d.CanWrite = d.IsAdmin || base.User.Role == status.RoleManager
	if d.Form == nil {
		d.Form = url.Values{}
	}
	var err error
	if d.Rules, err = s.deps.Alerts.Rules(ctx); err != nil {
		return err
	}
	if d.Components, d.Names, err = s.allComponents(c); err != nil {
		return err
	}
	tokens, err := s.deps.Alerts.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, h := range alerts.Hooks {
		d.Hooks = append(d.Hooks, hookView{Name: h, Token: tokens[h], URL: s.deps.BaseURL.JoinPath("hooks", h).String()})
	}
	return s.renderConsole(c, code, "console/alerts.html", d)
}

// showAlerts serves GET /console/alerts; with ?try=LABELS it shows what
// the rules make of an alert with those labels.
func (s *Server) showAlerts(c *fiber.Ctx) error {
	d := alertsPage{Form: url.Values{}}
	if id := c.Query("edit"); id != "" && s.deps.Alerts != nil {
		var err error
		if d.Editing, err = s.deps.Alerts.Rule(c.UserContext(), id); err != nil {
			return err
		}
		d.Form = ruleForm(d.Editing)
	}
	if try := c.Query("try"); try != "" && s.deps.Alerts != nil {
		d.Form.Set("try", try)
		var err error
		d.Preview, err = s.deps.Alerts.Try(c.UserContext(), try)
		if fields := fieldsOf(err); fields != nil {
			d.Fields = map[string]string{"try": fields["labels"]}
			return s.renderAlerts(c, fiber.StatusUnprocessableEntity, d)
		}
		if err != nil {
			return err
		}
	}
	switch {
	case c.Query("added") != "":
		d.Flash = "The rule was added; open alert items were mapped again."
	case c.Query("updated") != "":
		d.Flash = "The rule was changed; open alert items were mapped again."
	case c.Query("deleted") != "":
		d.Flash = "The rule was deleted; open alert items were mapped again."
	case c.Query("revoked") != "":
		d.Flash = "The token was revoked: the hook refuses everything until it has a new one."
	}
	return s.renderAlerts(c, fiber.StatusOK, d)
}

// ruleForm is a rule as the rule form shows it.
func ruleForm(r *alerts.Rule) url.Values {
	form := url.Values{"matchers": {r.Matchers}, "component_id": {r.ComponentID}, "severity": {string(r.Severity)}}
	if r.AutoDeclare {
		form.Set("auto_declare", "on")
	}
	return form
}

// ruleInput reads the rule form.
func ruleInput(form url.Values) alerts.RuleInput {
	return alerts.RuleInput{Matchers: form.Get("matchers"), ComponentID: form.Get("component_id"),
		Severity: status.Severity(form.Get("severity")), AutoDeclare: form.Get("auto_declare") == "on"}
}

// addAlertRule serves POST /console/alerts/rules.
func (s *Server) addAlertRule(c *fiber.Ctx) error {
	if s.deps.Alerts == nil {
		return status.Errorf(status.KindNotFound, "Alerts are not set up on this server.")
	}
	form := formValues(c)
	_, err := s.deps.Alerts.AddRule(c.UserContext(), ruleInput(form))
	if fields := fieldsOf(err); fields != nil {
		return s.renderAlerts(c, fiber.StatusUnprocessableEntity, alertsPage{Form: form, Fields: fields})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/console/alerts?added=1", fiber.StatusSeeOther)
}

// updateAlertRule serves POST /console/alerts/rules/:id: the rule form,
// changing a rule in its place.
func (s *Server) updateAlertRule(c *fiber.Ctx) error {
	if s.deps.Alerts == nil {
		return status.Errorf(status.KindNotFound, "Alerts are not set up on this server.")
	}
	form := formValues(c)
	_, err := s.deps.Alerts.UpdateRule(c.UserContext(), c.Params("id"), ruleInput(form))
	if fields := fieldsOf(err); fields != nil {
		editing, rerr := s.deps.Alerts.Rule(c.UserContext(), c.Params("id"))
		if rerr != nil {
			return rerr
		}
		return s.renderAlerts(c, fiber.StatusUnprocessableEntity, alertsPage{Form: form, Fields: fields, Editing: editing})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/console/alerts?updated=1", fiber.StatusSeeOther)
}

// deleteAlertRule serves POST /console/alerts/rules/:id/delete.
func (s *Server) deleteAlertRule(c *fiber.Ctx) error {
	if s.deps.Alerts == nil {
		return status.Errorf(status.KindNotFound, "Alerts are not set up on this server.")
	}
	if err := s.deps.Alerts.DeleteRule(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/console/alerts?deleted=1", fiber.StatusSeeOther)
}

// moveAlertRule serves POST /console/alerts/rules/:id/up and /down.
func (s *Server) moveAlertRule(up bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.deps.Alerts == nil {
			return status.Errorf(status.KindNotFound, "Alerts are not set up on this server.")
		}
		if err := s.deps.Alerts.MoveRule(c.UserContext(), c.Params("id"), up); err != nil {
			return err
		}
		return c.Redirect("/console/alerts#rules-h", fiber.StatusSeeOther)
	}
}

// newHookToken serves POST /console/alerts/hooks/:hook/token: a new
// token replaces the old one and is shown this once.
func (s *Server) newHookToken(c *fiber.Ctx) error {
	if s.deps.Alerts == nil {
		return status.Errorf(status.KindNotFound, "Alerts are not set up on this server.")
	}
	hook := c.Params("hook")
	token, err := s.deps.Alerts.NewToken(c.UserContext(), hook)
	if err != nil {
		return err
	}
	return s.renderAlerts(c, fiber.StatusOK, alertsPage{NewToken: token, NewHook: hook})
}

// revokeHookToken serves POST /console/alerts/hooks/:hook/revoke.
func (s *Server) revokeHookToken(c *fiber.Ctx) error {
	if s.deps.Alerts == nil || !alerts.ValidHook(c.Params("hook")) {
		return status.Errorf(status.KindNotFound, "There is no such hook.")
	}
	if err := s.deps.Alerts.RevokeToken(c.UserContext(), c.Params("hook")); err != nil {
		return err
	}
	return c.Redirect("/console/alerts?revoked=1", fiber.StatusSeeOther)
}

// acknowledgeIntakeItem serves POST /console/inbox/:id/acknowledge: the
// signed-in user says they have seen the item and are on it.
func (s *Server) acknowledgeIntakeItem(c *fiber.Ctx) error {
	item, err := s.deps.Service.Intake.Acknowledge(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.Redirect("/console/inbox/"+item.ID+"?acknowledged=1", fiber.StatusSeeOther)
}
