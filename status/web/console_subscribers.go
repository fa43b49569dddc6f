package web

import (
	"bytes"
	"io"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
)

// subscribersPerScreen is how many subscribers the console lists at once.
const subscribersPerScreen = 100

type subscribersConsolePage struct {
	consoleBase
	Page       *status.Page
	Rows       []subscriberRowView
	Counts     map[string]int // by state
	Components []*status.Component
	Next       string // address to continue the list after; "" on the last screen
	IsAdmin    bool
	Form       url.Values
	Fields     map[string]string
	Warning    string
	Import     *comms.ImportReport
	Times      timeView
}

type subscriberRowView struct {
	*comms.SubscriberRow
	ScopeText string
}

// Checked reports whether the add form had component id ticked.
func (d subscribersConsolePage) Checked(id string) bool {
	for _, v := range d.Form["component"] {
		if v == id {
			return true
		}
	}
	return false
}

// showConsoleSubscribers serves GET /console/pages/:page/subscribers
// (?after=address for the next screen).
func (h *subscriberHandlers) showConsoleSubscribers(c *fiber.Ctx) error {
	d := subscribersConsolePage{}
	if c.Query("added") != "" {
		d.Flash = "The subscriber was added."
	}
	if c.Query("removed") != "" {
		d.Flash = "The subscriber was removed."
	}
	return h.renderSubscribers(c, fiber.StatusOK, d)
}

func (h *subscriberHandlers) renderSubscribers(c *fiber.Ctx, code int, d subscribersConsolePage) error {
	ctx, svc := c.UserContext(), h.s.deps.Service
	p, err := svc.Pages.ByID(ctx, c.Params("page"))
	if err != nil {
		return err
	}
	flash := d.Flash
	d.consoleBase, d.Page, d.Times = h.s.consoleBase(c), p, timeView{now: h.s.deps.Service.Now(), loc: p.Location()}
	d.Flash = flash
	d.IsAdmin = d.User != nil && d.User.Role == status.RoleAdmin
	if d.Components, err = svc.Pages.Components(ctx, p.ID); err != nil {
		return err
	}
	groups, err := svc.Pages.Groups(ctx, p.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, cm := range d.Components {
		names[cm.ID] = cm.Name
	}
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	after := c.Query("after")
	if len(after) > comms.MaxEmailLen {
		after = ""
	}
	rows, err := h.subs.List(ctx, p.ID, after, subscribersPerScreen+1)
	if err != nil {
		return err
	}
	if len(rows) > subscribersPerScreen {
		rows = rows[:subscribersPerScreen]
		d.Next = rows[len(rows)-1].Email
	}
	for _, r := range rows {
		d.Rows = append(d.Rows, subscriberRowView{SubscriberRow: r, ScopeText: scopeOf(&r.Subscriber, names)})
	}
	counts, err := h.subs.Counts(ctx, p.ID)
	if err != nil {
		return err
	}
	d.Counts = map[string]int{}
	for st, n := range counts {
		d.Counts[string(st)] = n
	}
	return h.s.renderConsole(c, code, "console/subscribers.html", d)
}

// addConsoleSubscriber serves POST /console/pages/:page/subscribers: an
// admin adds an address without double opt-in (recorded and audited).
func (h *subscriberHandlers) addConsoleSubscriber(c *fiber.Ctx) error {
	form := formValues(c)
	sub := comms.Subscription{Scope: comms.ScopeAll}
	if ids := form["component"]; len(ids) > 0 {
		sub = comms.Subscription{Scope: comms.ScopeComponents, ComponentIDs: ids}
	}
	added, err := h.subs.Add(c.UserContext(), c.Params("page"), form.Get("email"), sub, comms.AddedByAdmin)
	if code, fields, bad := refusedForm(err); bad {
		return h.renderSubscribers(c, code, subscribersConsolePage{Form: form, Fields: fields})
	}
	if err != nil {
		return err
	}
	if comms.LooksLikeList(added.Email) {
		return h.renderSubscribers(c, fiber.StatusOK, subscribersConsolePage{Warning: listWarning(added.Email),
			consoleBase: consoleBase{Flash: "The subscriber was added."}})
	}
	return c.Redirect("/console/pages/"+url.PathEscape(c.Params("page"))+"/subscribers?added=1", fiber.StatusSeeOther)
}

func listWarning(addr string) string {
	return addr + " looks like a distribution list or a shared mailbox: any one of its members could unsubscribe it for everyone."
}

// removeConsoleSubscriber serves POST
// /console/pages/:page/subscribers/:id/delete.
func (h *subscriberHandlers) removeConsoleSubscriber(c *fiber.Ctx) error {
	if err := h.subs.Remove(c.UserContext(), c.Params("page"), c.Params("id")); err != nil {
		return err
	}
	return c.Redirect("/console/pages/"+url.PathEscape(c.Params("page"))+"/subscribers?removed=1", fiber.StatusSeeOther)
}

// exportSubscribers serves GET /console/pages/:page/subscribers.csv.
func (h *subscriberHandlers) exportSubscribers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.s.deps.Service.Pages.ByID(ctx, c.Params("page"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := h.subs.Export(ctx, p.ID, &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subscribers-`+p.Slug+`.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// importSubscribers serves POST /console/pages/:page/subscribers/import: a
// CSV file (email[,components]) in the "file" field, or pasted into
// "csv". Every row is reported; bad rows do not stop the others.
func (h *subscriberHandlers) importSubscribers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.s.deps.Service.Pages.ByID(ctx, c.Params("page"))
	if err != nil {
		return err
	}
	var in io.Reader
	if fh, ferr := c.FormFile("file"); ferr == nil {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // an upload, only read
		in = f
	} else if text := c.FormValue("csv"); strings.TrimSpace(text) != "" {
		in = strings.NewReader(text)
	}
	if in == nil {
		return h.renderSubscribers(c, fiber.StatusUnprocessableEntity, subscribersConsolePage{
			Fields: map[string]string{"import": "Choose a CSV file or paste its rows."}})
	}
	rep, err := h.subs.Import(ctx, p.ID, in)
	if err != nil {
		return err
	}
	return h.renderSubscribers(c, fiber.StatusOK, subscribersConsolePage{Import: rep})
}
