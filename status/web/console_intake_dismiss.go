package web

import (
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// dismissIntakeItem serves POST /console/inbox/:id/dismiss: the item is
// not an incident; the note says why. Without confirm=1 it only asks:
// the item page shows where the item will be forwarded and a button to
// confirm. Confirmed, it dismisses and shows the item with where it went.
func (s *Server) dismissIntakeItem(c *fiber.Ctx) error {
	ctx, form := c.UserContext(), formValues(c)
	if form.Get("confirm") != "1" {
		plan, err := s.deps.Service.Intake.DismissalPlan(ctx, c.Params("id"), form.Get("note"))
		if status.KindOf(err) == status.KindInvalid {
			_, _, f := classify(err)
			return s.renderIntakeItem(c, fiber.StatusUnprocessableEntity, form, f)
		}
		if err != nil {
			return err
		}
		d, err := s.intakeItemData(c, form, nil)
		if err != nil {
			return err
		}
		d.Plan = plan
		return s.renderConsole(c, fiber.StatusOK, "console/intake_item.html", d)
	}
	item, err := s.deps.Service.Intake.Dismiss(ctx, c.Params("id"), form.Get("note"))
	if status.KindOf(err) == status.KindInvalid {
		_, _, f := classify(err)
		return s.renderIntakeItem(c, fiber.StatusUnprocessableEntity, form, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/console/inbox/"+item.ID+"?dismissed=1", fiber.StatusSeeOther)
}

// undoIntakeDismissal serves POST /console/inbox/:id/undo: a dismissal
// made less than 24 hours ago is taken back and the item is open again.
// Later, or for an item not dismissed, the item page says why not.
func (s *Server) undoIntakeDismissal(c *fiber.Ctx) error {
	item, err := s.deps.Service.Intake.UndoDismissal(c.UserContext(), c.Params("id"))
	if status.KindOf(err) == status.KindConflict {
		return s.renderIntakeItem(c, fiber.StatusConflict, nil, map[string]string{"form": status.Message(err)})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/console/inbox/"+item.ID+"?undone=1", fiber.StatusSeeOther)
}

// DismissWarning is what the confirmation of a dismissal says of where
// the item will go.
func (d intakeItemPage) DismissWarning() string {
	fw := d.Plan.Forwarding
	switch {
	case fw.To != "" && d.Item.Source == status.IntakeEmail && d.Item.InboundID != "":
		return "It will be forwarded to " + fw.To + ", with the original email attached."
	case fw.To != "":
		return "It will be forwarded to " + fw.To + "."
	case fw.Why != "":
		return upperFirst(fw.Why) + ": nothing will be forwarded."
	}
	return "Nothing will be forwarded."
}

// forwardedSentence says where a dismissed item went, and why nowhere
// when it went nowhere (as fw, the forwarding now, explains).
func forwardedSentence(item *status.IntakeItem, fw status.Forwarding) string {
	switch {
	case item.ForwardedTo != "":
		return "Forwarded to " + item.ForwardedTo + "."
	case fw.To == "" && fw.Why != "":
		return "Nothing was forwarded: " + fw.Why + "."
	}
	return "Nothing was forwarded."
}

// upperFirst upper-cases the first letter of s.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
