package web

import (
	"fmt"
	"html/template"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// incidentPanel is what the incident page asks before something is
// recorded or becomes more public; at most one is set. It shows at the top
// of the page, so the answer is in the first screenful.
type incidentPanel struct {
	// Review shows what widening the incident's visibility makes visible,
	// and to whom.
	Review *status.Widening
	// Publish previews the public post-mortem exactly as it will be
	// published, with what looks like it should not be public.
	Publish *publishPreview
	// Confirm is a confirmation from a customer's message, to check.
	Confirm *status.Confirmation
}

type publishPreview struct {
	Text  string
	HTML  template.HTML
	Flags []status.PublicationFlag
}

// reviewWidening renders the review of a wider visibility that the edit
// form asked for; nothing is saved until it is confirmed.
func (s *Server) reviewWidening(c *fiber.Ctx, form url.Values, to status.Visibility) error {
	w, err := s.deps.Service.Incidents.ReviewWidening(c.UserContext(), c.Params("page"), c.Params("id"), to)
	if k := status.KindOf(err); k == status.KindInvalid || k == status.KindConflict {
		code, msg, _ := classify(err)
		return s.renderConsoleIncident(c, code, form, map[string]string{"edit": msg})
	}
	if err != nil {
		return err
	}
	if _, ok := form["public_title"]; !ok {
		form.Set("public_title", w.PublicTitle)
	}
	return s.renderIncidentPanel(c, fiber.StatusOK, form, nil, incidentPanel{Review: w})
}

// savePostmortem serves POST /console/pages/:page/incidents/:id/postmortem.
// kind says which post-mortem: "internal" is only ever saved; "public" is
// saved as a draft, published after a preview ("publish", then "confirm"),
// or withdrawn ("unpublish").
func (s *Server) savePostmortem(c *fiber.Ctx) error {
	form := formValues(c)
	kind, action := status.PostmortemKind(form.Get("kind")), status.PostmortemAction(form.Get("action"))
	field := "postmortem"
	if kind == status.PostmortemInternal {
		field = "postmortem_internal"
	}
	text := form.Get(field)
	if kind == status.PostmortemPublic && action == status.PostmortemPublish && form.Get("confirm") != "yes" {
		flags, err := s.deps.Service.Incidents.PublicationFlags(c.UserContext(), c.Params("page"), c.Params("id"), text)
		if err != nil {
			return err
		}
		return s.renderIncidentPanel(c, fiber.StatusOK, form, nil,
			incidentPanel{Publish: &publishPreview{Text: text, HTML: templates.Markdown(text), Flags: flags}})
	}
	var version int
	_, _ = fmt.Sscan(form.Get("version"), &version)
	_, err := s.deps.Service.Incidents.SavePostmortem(c.UserContext(), c.Params("page"), c.Params("id"),
		status.PostmortemInput{Kind: kind, Action: action, Text: text, Version: version})
	if k := status.KindOf(err); k == status.KindInvalid || k == status.KindConflict {
		code, msg, f := classify(err)
		if f == nil {
			f = map[string]string{}
		}
		// The form shows its errors under the text it kept.
		switch {
		case f["postmortem"] != "":
			f[field] = f["postmortem"]
		case f["kind"] != "":
			f[field] = "this form is for the internal or the public post-mortem: " + f["kind"]
		case f["action"] != "":
			f[field] = f["action"]
		default:
			f[field] = msg
		}
		return s.renderConsoleIncident(c, code, form, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id"))+"#postmortem", fiber.StatusSeeOther)
}

// confirmFromEntry serves
// POST /console/pages/:page/incidents/:id/timeline/:entry/confirm. Without
// confirm=yes it shows the confirmation the customer's message gives (the
// sender, how it came, what it said) to check; with it, it records the
// confirmation as checked, and the close form starts from it.
func (s *Server) confirmFromEntry(c *fiber.Ctx) error {
	form := formValues(c)
	ctx, svc := c.UserContext(), s.deps.Service
	if form.Get("confirm") != "yes" {
		conf, err := svc.Incidents.ConfirmationFrom(ctx, c.Params("page"), c.Params("id"), c.Params("entry"))
		if status.KindOf(err) == status.KindInvalid {
			return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, url.Values{}, map[string]string{"timeline": status.Message(err)})
		}
		if err != nil {
			return err
		}
		form.Set("confirmed_by", conf.By)
		form.Set("confirmation_method", conf.Method)
		return s.renderIncidentPanel(c, fiber.StatusOK, form, nil, incidentPanel{Confirm: conf})
	}
	err := svc.Incidents.ConfirmFromEntry(ctx, c.Params("page"), c.Params("id"), c.Params("entry"),
		status.ConfirmInput{By: form.Get("confirmed_by"), Method: form.Get("confirmation_method")})
	switch status.KindOf(err) {
	case status.KindInvalid:
		conf, cerr := svc.Incidents.ConfirmationFrom(ctx, c.Params("page"), c.Params("id"), c.Params("entry"))
		if cerr != nil {
			return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, url.Values{}, map[string]string{"timeline": status.Message(err)})
		}
		_, _, f := classify(err)
		return s.renderIncidentPanel(c, fiber.StatusUnprocessableEntity, form, f, incidentPanel{Confirm: conf})
	case status.KindConflict:
		return s.renderConsoleIncident(c, fiber.StatusConflict, url.Values{}, map[string]string{"timeline": status.Message(err)})
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id"))+"#close-h", fiber.StatusSeeOther)
}
