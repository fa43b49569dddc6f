package web

import (
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

type templatesPage struct {
	consoleBase
	Templates    []*status.UpdateTemplate
	Template     *status.UpdateTemplate // nil when new
	Form         url.Values
	Fields       map[string]string
	Kinds        []status.UpdateKind
	States       []status.State
	Placeholders []struct{ Name, Meaning string }
	CanEdit      bool
}

// Value returns the submitted value of a form field.
func (d templatesPage) Value(name string) string { return d.Form.Get(name) }

func (s *Server) templatesPage(c *fiber.Ctx) templatesPage {
	d := templatesPage{consoleBase: s.consoleBase(c), Form: url.Values{}, Kinds: status.UpdateKinds, States: status.States,
		Placeholders: status.TemplatePlaceholders}
	d.CanEdit = d.User != nil && d.User.Role == status.RoleAdmin
	return d
}

// listUpdateTemplates serves GET /console/templates.
func (s *Server) listUpdateTemplates(c *fiber.Ctx) error {
	d := s.templatesPage(c)
	var err error
	if d.Templates, err = s.deps.Service.Templates.List(c.UserContext()); err != nil {
		return err
	}
	if c.Query("deleted") != "" {
		d.Flash = "The template was deleted."
	}
	return s.renderConsole(c, fiber.StatusOK, "console/update_templates.html", d)
}

// newUpdateTemplate serves GET /console/templates/new.
func (s *Server) newUpdateTemplate(c *fiber.Ctx) error {
	d := s.templatesPage(c)
	d.Form.Set("kind", string(status.KindGeneral))
	return s.renderConsole(c, fiber.StatusOK, "console/update_template.html", d)
}

// showUpdateTemplate serves GET /console/templates/:id.
func (s *Server) showUpdateTemplate(c *fiber.Ctx) error {
	tpl, err := s.deps.Service.Templates.ByID(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	d := s.templatesPage(c)
	d.Template = tpl
	d.Form = url.Values{"name": {tpl.Name}, "kind": {string(tpl.Kind)}, "state": {string(tpl.State)},
		"body": {tpl.Body}, "position": {fmt.Sprint(tpl.Position)}}
	if c.Query("saved") != "" {
		d.Flash = "Saved."
	}
	return s.renderConsole(c, fiber.StatusOK, "console/update_template.html", d)
}

// saveUpdateTemplate serves POST /console/templates and
// POST /console/templates/:id.
func (s *Server) saveUpdateTemplate(c *fiber.Ctx) error {
	form := formValues(c)
	id := c.Params("id")
	d := s.templatesPage(c)
	d.Form = form
	if id != "" {
		tpl, err := s.deps.Service.Templates.ByID(c.UserContext(), id)
		if err != nil {
			return err
		}
		d.Template = tpl
	}
	var pos int
	if v := form.Get("position"); v != "" {
		if _, err := fmt.Sscan(v, &pos); err != nil {
			d.Fields = map[string]string{"position": "must be a whole number"}
			return s.renderConsole(c, fiber.StatusUnprocessableEntity, "console/update_template.html", d)
		}
	}
	tpl, err := s.deps.Service.Templates.Save(c.UserContext(), id, status.UpdateTemplateInput{Name: form.Get("name"),
		Kind: status.UpdateKind(form.Get("kind")), State: status.State(form.Get("state")), Body: form.Get("body"), Position: pos})
	if k := status.KindOf(err); k == status.KindInvalid || k == status.KindConflict {
		code, msg, f := classify(err)
		if f == nil {
			f = map[string]string{"form": msg}
		}
		d.Fields = f
		return s.renderConsole(c, code, "console/update_template.html", d)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/console/templates/"+tpl.ID+"?saved=1", fiber.StatusSeeOther)
}

// deleteUpdateTemplate serves POST /console/templates/:id/delete.
func (s *Server) deleteUpdateTemplate(c *fiber.Ctx) error {
	if err := s.deps.Service.Templates.Delete(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/console/templates?deleted=1", fiber.StatusSeeOther)
}
