package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// pageManagers may change pages, groups and components; everyone signed in
// reads them.
var pageManagers = []status.Role{status.RoleManager}

// commonTimeZones are offered as suggestions in the page settings; any
// IANA zone is accepted.
var commonTimeZones = []string{
	"Etc/UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Berlin", "Europe/Vienna", "Europe/Zurich",
	"Europe/Amsterdam", "Europe/Brussels", "Europe/Paris", "Europe/Madrid", "Europe/Rome", "Europe/Stockholm",
	"Europe/Warsaw", "Europe/Prague", "Europe/Helsinki", "Europe/Athens", "Europe/Istanbul", "Europe/Moscow",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Toronto",
	"America/Sao_Paulo", "America/Mexico_City", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai",
	"Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "Africa/Johannesburg",
}

// sentForm is the submitted form that failed, so that a screen with
// several forms shows the typed values and the errors in the one sent.
type sentForm struct {
	Sent   string // key of the form that was sent; "" when none
	Form   url.Values
	Fields map[string]string
}

// Val returns what was typed into field of form, or current when another
// form (or none) was sent.
func (f sentForm) Val(form, field, current string) string {
	if f.Sent == form && f.Form != nil {
		return f.Form.Get(field)
	}
	return current
}

// Checked reports whether the checkbox field of form with value is ticked:
// as sent, or current.
func (f sentForm) Checked(form, field, value string, current bool) bool {
	if f.Sent != form || f.Form == nil {
		return current
	}
	for _, v := range f.Form[field] {
		if v == value {
			return true
		}
	}
	return false
}

// Err returns the error message of field in form, if form was the one sent.
func (f sentForm) Err(form, field string) string {
	if f.Sent == form {
		return f.Fields[field]
	}
	return ""
}

// IsSent reports whether form was the one sent.
func (f sentForm) IsSent(form string) bool { return f.Sent == form }

// refusedForm reports whether err is one a form shows beside its fields and,
// if so, the answer's status code and the messages by field ("form" for
// one without a field).
func refusedForm(err error) (int, map[string]string, bool) {
	switch status.KindOf(err) {
	case status.KindInvalid, status.KindConflict:
	default:
		return 0, nil, false
	}
	code, msg, f := classify(err)
	out := map[string]string{}
	for k, v := range f {
		out[k] = v
	}
	if len(out) == 0 {
		out["form"] = msg
	}
	return code, out, true
}

type pagesPage struct {
	consoleBase
	Rows      []pageRow
	CanManage bool
}

type pageRow struct {
	Page          *status.Page
	URL           string
	Components    int
	OpenIncidents int
}

// listConsolePages serves GET /console/pages.
func (s *Server) listConsolePages(c *fiber.Ctx) error {
	ctx, svc := c.UserContext(), s.deps.Service
	pages, err := svc.Pages.List(ctx)
	if err != nil {
		return err
	}
	base := s.consoleBase(c)
	d := pagesPage{consoleBase: base, CanManage: userCanManagePages(base.User)}
	open := true
	for _, p := range pages {
		comps, err := svc.Pages.Components(ctx, p.ID)
		if err != nil {
			return err
		}
		incs, err := svc.Incidents.List(ctx, status.IncidentFilter{PageID: p.ID, Open: &open, Limit: 1000})
		if err != nil {
			return err
		}
		d.Rows = append(d.Rows, pageRow{Page: p, URL: s.pageURL(p), Components: len(comps), OpenIncidents: len(incs)})
	}
	return s.renderConsole(c, fiber.StatusOK, "console/pages.html", d)
}

func userCanManagePages(u *status.User) bool {
	return u != nil && (u.Role == status.RoleAdmin || u.Role == status.RoleManager)
}

func userCanWrite(u *status.User) bool {
	return u != nil && u.Role != status.RoleViewer
}

// pageConsolePage is the page screen: settings, then groups and their
// components. New is true on the "new page" form.
type pageConsolePage struct {
	consoleBase
	sentForm
	New        bool
	Page       *status.Page
	URL        string
	Sections   []pageSection
	Groups     []*status.ComponentGroup
	Statuses   []status.ComponentStatus
	TimeZones  []string
	CanManage  bool
	CanWrite   bool
	NextGroup  int
	Components int
}

// pageSection is a group (nil for the ungrouped components) with its
// components in the order the public page shows them. First and Last say
// whether it can move up or down.
type pageSection struct {
	Group       *status.ComponentGroup
	First, Last bool
	Components  []componentRow
}

// componentRow is a component on the page screen.
type componentRow struct {
	*status.Component
	First, Last bool
}

// HostsText is the page's host names, one a line, for the textarea.
func (d pageConsolePage) HostsText() string { return strings.Join(d.Page.Hosts, "\n") }

// GroupOf returns the id of a component's group, "" for none.
func (d pageConsolePage) GroupOf(c *status.Component) string {
	if c.GroupID == nil {
		return ""
	}
	return *c.GroupID
}

// showNewPage serves GET /console/pages/new.
func (s *Server) showNewPage(c *fiber.Ctx) error {
	return s.renderNewPage(c, fiber.StatusOK, sentForm{})
}

func (s *Server) renderNewPage(c *fiber.Ctx, code int, fs sentForm) error {
	d := pageConsolePage{consoleBase: s.consoleBase(c), sentForm: fs, New: true, Page: &status.Page{TimeZone: "Etc/UTC"},
		TimeZones: commonTimeZones, CanManage: true}
	return s.renderConsole(c, code, "console/page.html", d)
}

// pageInput reads the settings form.
func pageInput(form url.Values) status.PageInput {
	var hosts []string
	for _, h := range strings.Split(form.Get("hosts"), "\n") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	return status.PageInput{Slug: strings.TrimSpace(form.Get("slug")), Name: form.Get("name"),
		Description: form.Get("description"), TimeZone: strings.TrimSpace(form.Get("time_zone")),
		SupportEmail: strings.TrimSpace(form.Get("support_email")), SupportURL: strings.TrimSpace(form.Get("support_url")), Hosts: hosts,
		Office: status.OfficeHours{Days: form.Get("office_days"), Opens: form.Get("office_opens"), Closes: form.Get("office_closes"),
			Holidays: form.Get("office_holidays")},
		OncallGuideURL: form.Get("oncall_guide_url"), VideoRoomURL: form.Get("video_room_url"), VulnerabilityURL: form.Get("vulnerability_url")}
}

// hostFields folds "hosts[2]" errors into the hosts field, naming the line.
func hostFields(fields map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range fields {
		if i, ok := strings.CutPrefix(k, "hosts["); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(i, "]"))
			if _, seen := out["hosts"]; !seen {
				out["hosts"] = fmt.Sprintf("line %d: %s", n+1, v)
			}
			continue
		}
		out[k] = v
	}
	return out
}

// createConsolePage serves POST /console/pages.
func (s *Server) createConsolePage(c *fiber.Ctx) error {
	form := formValues(c)
	p, err := s.deps.Service.Pages.Create(c.UserContext(), pageInput(form))
	if code, fields, ok := refusedForm(err); ok {
		return s.renderNewPage(c, code, sentForm{Sent: "settings", Form: form, Fields: hostFields(fields)})
	}
	if err != nil {
		return err
	}
	return c.Redirect("/console/pages/"+p.ID, fiber.StatusSeeOther)
}

// showConsolePage serves GET /console/pages/:page.
func (s *Server) showConsolePage(c *fiber.Ctx) error {
	return s.renderConsolePage(c, fiber.StatusOK, sentForm{})
}

func (s *Server) renderConsolePage(c *fiber.Ctx, code int, fs sentForm) error {
	ctx, svc := c.UserContext(), s.deps.Service
	p, err := svc.Pages.ByID(ctx, c.Params("page"))
	if err != nil {
		return err
	}
	groups, err := svc.Pages.Groups(ctx, p.ID)
	if err != nil {
		return err
	}
	comps, err := svc.Pages.Components(ctx, p.ID)
	if err != nil {
		return err
	}
	base := s.consoleBase(c)
	d := pageConsolePage{consoleBase: base, sentForm: fs, Page: p, URL: s.pageURL(p), Groups: groups,
		Statuses: status.ComponentStatuses, TimeZones: commonTimeZones, CanManage: userCanManagePages(base.User),
		CanWrite: userCanWrite(base.User), Sections: pageSections(groups, comps), NextGroup: nextGroupPosition(groups),
		Components: len(comps)}
	return s.renderConsole(c, code, "console/page.html", d)
}

// pageSections arranges components as the public page does: ungrouped
// ones first, then each group by position.
func pageSections(groups []*status.ComponentGroup, comps []*status.Component) []pageSection {
	byGroup := map[string][]componentRow{}
	for _, comp := range comps {
		key := ""
		if comp.GroupID != nil {
			key = *comp.GroupID
		}
		byGroup[key] = append(byGroup[key], componentRow{Component: comp, First: len(byGroup[key]) == 0})
	}
	for _, rows := range byGroup {
		rows[len(rows)-1].Last = true
	}
	out := []pageSection{{Components: byGroup[""]}}
	for i, g := range groups {
		out = append(out, pageSection{Group: g, First: i == 0, Last: i == len(groups)-1, Components: byGroup[g.ID]})
	}
	return out
}

func nextGroupPosition(groups []*status.ComponentGroup) int {
	n := 0
	for _, g := range groups {
		n = max(n, g.Position)
	}
	return n + 1
}

// nextComponentPosition is the position after the last component of a
// group ("" for the ungrouped ones).
func nextComponentPosition(comps []*status.Component, groupID string) int {
	n := 0
	for _, comp := range comps {
		if (comp.GroupID == nil && groupID == "") || (comp.GroupID != nil && *comp.GroupID == groupID) {
			n = max(n, comp.Position)
		}
	}
	return n + 1
}

func pageScreen(pageID string) string { return "/console/pages/" + pageID }

// saveConsolePage serves POST /console/pages/:page.
func (s *Server) saveConsolePage(c *fiber.Ctx) error {
	form := formValues(c)
	in := pageInput(form)
	_, err := s.deps.Service.Pages.Update(c.UserContext(), c.Params("page"), status.PagePatch{Slug: &in.Slug, Name: &in.Name,
		Description: &in.Description, TimeZone: &in.TimeZone, SupportEmail: &in.SupportEmail, SupportURL: &in.SupportURL,
		Hosts: &in.Hosts, Office: &in.Office, OncallGuideURL: &in.OncallGuideURL, VideoRoomURL: &in.VideoRoomURL,
		VulnerabilityURL: &in.VulnerabilityURL})
	if code, fields, ok := refusedForm(err); ok {
		return s.renderConsolePage(c, code, sentForm{Sent: "settings", Form: form, Fields: hostFields(fields)})
	}
	if err != nil {
		return err
	}
	return c.Redirect(pageScreen(c.Params("page")), fiber.StatusSeeOther)
}

// deleteConsolePage serves POST /console/pages/:page/delete: the slug typed into
// "confirm" must match.
func (s *Server) deleteConsolePage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := s.deps.Service.Pages.ByID(ctx, c.Params("page"))
	if err != nil {
		return err
	}
	form := formValues(c)
	if strings.TrimSpace(form.Get("confirm")) != p.Slug {
		return s.renderConsolePage(c, fiber.StatusUnprocessableEntity, sentForm{Sent: "delete", Form: form,
			Fields: map[string]string{"confirm": "type the slug " + p.Slug + " to confirm"}})
	}
	if err := s.deps.Service.Pages.Delete(ctx, p.ID); err != nil {
		return err
	}
	return c.Redirect("/console/pages", fiber.StatusSeeOther)
}

// positionOf reads a position field; empty gives def.
func positionOf(f status.FieldErrors, v string, def int) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f.Add("position", "must be a whole number")
	}
	return n
}

// addConsoleGroup serves POST /console/pages/:page/groups.
func (s *Server) addConsoleGroup(c *fiber.Ctx) error {
	ctx, form := c.UserContext(), formValues(c)
	groups, err := s.deps.Service.Pages.Groups(ctx, c.Params("page"))
	if err != nil {
		return err
	}
	fields := status.FieldErrors{}
	pos := positionOf(fields, form.Get("position"), nextGroupPosition(groups))
	if err = fields.Err(); err == nil {
		_, err = s.deps.Service.Pages.CreateGroup(ctx, c.Params("page"), status.GroupInput{Name: form.Get("name"),
			Description: form.Get("description"), Position: pos})
	}
	return s.afterPageForm(c, err, "group-new", form, "#groups")
}

// saveConsoleGroup serves POST /console/pages/:page/groups/:id.
func (s *Server) saveConsoleGroup(c *fiber.Ctx) error {
	form := formValues(c)
	key := "group-" + c.Params("id")
	fields := status.FieldErrors{}
	pos := positionOf(fields, form.Get("position"), 0)
	err := fields.Err()
	if err == nil {
		_, err = s.deps.Service.Pages.UpdateGroup(c.UserContext(), c.Params("page"), c.Params("id"), status.GroupInput{
			Name: form.Get("name"), Description: form.Get("description"), Position: pos})
	}
	return s.afterPageForm(c, err, key, form, "#"+key)
}

// deleteConsoleGroup serves POST /console/pages/:page/groups/:id/delete; the
// group's components stay, ungrouped.
func (s *Server) deleteConsoleGroup(c *fiber.Ctx) error {
	err := s.deps.Service.Pages.DeleteGroup(c.UserContext(), c.Params("page"), c.Params("id"))
	return s.afterPageForm(c, err, "group-"+c.Params("id"), formValues(c), "#groups")
}

// moveDelta reads the "direction" button: up is -1, down +1.
func moveDelta(v string) (int, bool) {
	switch v {
	case "up":
		return -1, true
	case "down":
		return 1, true
	}
	return 0, false
}

// moveConsoleGroup serves POST /console/pages/:page/groups/:id/move.
func (s *Server) moveConsoleGroup(c *fiber.Ctx) error {
	key := "group-" + c.Params("id")
	delta, ok := moveDelta(c.FormValue("direction"))
	if !ok {
		return s.renderConsolePage(c, fiber.StatusUnprocessableEntity, sentForm{Sent: key,
			Fields: map[string]string{"form": "Choose to move the group up or down."}})
	}
	_, err := s.deps.Service.Pages.MoveGroup(c.UserContext(), c.Params("page"), c.Params("id"), delta)
	return s.afterPageForm(c, err, key, nil, "#"+key)
}

// groupChoice reads the group select: "" is no group.
func groupChoice(v string) *string {
	if v = strings.TrimSpace(v); v == "" {
		return nil
	}
	return &v
}

// addConsoleComponent serves POST /console/pages/:page/components. The component
// goes to the end of its group.
func (s *Server) addConsoleComponent(c *fiber.Ctx) error {
	ctx, form := c.UserContext(), formValues(c)
	comps, err := s.deps.Service.Pages.Components(ctx, c.Params("page"))
	if err != nil {
		return err
	}
	st := status.ComponentStatus(form.Get("status"))
	_, err = s.deps.Service.Pages.CreateComponent(ctx, c.Params("page"), status.ComponentInput{Name: form.Get("name"),
		Description: form.Get("description"), GroupID: groupChoice(form.Get("group_id")), Status: st,
		Position: nextComponentPosition(comps, strings.TrimSpace(form.Get("group_id"))), Hidden: form.Get("hidden") == "on"})
	return s.afterPageForm(c, err, "component-new", form, "#components")
}

// saveConsoleComponent serves POST /console/pages/:page/components/:id. A
// component moved to another group goes to the end of it.
func (s *Server) saveConsoleComponent(c *fiber.Ctx) error {
	ctx, form, svc := c.UserContext(), formValues(c), s.deps.Service
	key := "component-" + c.Params("id")
	comp, err := svc.Pages.ComponentByID(ctx, c.Params("page"), c.Params("id"))
	if err != nil {
		return err
	}
	name, desc, hidden := form.Get("name"), form.Get("description"), form.Get("hidden") == "on"
	group := groupChoice(form.Get("group_id"))
	patch := status.ComponentPatch{Name: &name, Description: &desc, GroupID: &group, Hidden: &hidden}
	if (group == nil) != (comp.GroupID == nil) || (group != nil && *group != *comp.GroupID) {
		comps, err := svc.Pages.Components(ctx, comp.PageID)
		if err != nil {
			return err
		}
		pos := nextComponentPosition(comps, strings.TrimSpace(form.Get("group_id")))
		patch.Position = &pos
	}
	_, err = svc.Pages.UpdateComponent(ctx, comp.PageID, comp.ID, patch)
	return s.afterPageForm(c, err, key, form, "#"+key)
}

// deleteConsoleComponent serves POST /console/pages/:page/components/:id/delete;
// the "confirm" box must be ticked, as the component's history goes too.
func (s *Server) deleteConsoleComponent(c *fiber.Ctx) error {
	form := formValues(c)
	key := "component-" + c.Params("id")
	if form.Get("confirm") != "yes" {
		if _, err := s.deps.Service.Pages.ComponentByID(c.UserContext(), c.Params("page"), c.Params("id")); err != nil {
			return err
		}
		return s.renderConsolePage(c, fiber.StatusUnprocessableEntity, sentForm{Sent: key, Form: form,
			Fields: map[string]string{"confirm": "tick the box to confirm"}})
	}
	err := s.deps.Service.Pages.DeleteComponent(c.UserContext(), c.Params("page"), c.Params("id"))
	return s.afterPageForm(c, err, key, form, "#components")
}

// moveConsoleComponent serves POST /console/pages/:page/components/:id/move.
func (s *Server) moveConsoleComponent(c *fiber.Ctx) error {
	key := "component-" + c.Params("id")
	delta, ok := moveDelta(c.FormValue("direction"))
	if !ok {
		return s.renderConsolePage(c, fiber.StatusUnprocessableEntity, sentForm{Sent: key,
			Fields: map[string]string{"form": "Choose to move the component up or down."}})
	}
	_, err := s.deps.Service.Pages.MoveComponent(c.UserContext(), c.Params("page"), c.Params("id"), delta)
	return s.afterPageForm(c, err, key, nil, "#"+key)
}

// setConsoleComponentStatus serves POST /console/pages/:page/components/:id/status:
// a status set by hand, outside an incident.
func (s *Server) setConsoleComponentStatus(c *fiber.Ctx) error {
	form := formValues(c)
	st := status.ComponentStatus(form.Get("status"))
	_, err := s.deps.Service.Pages.UpdateComponent(c.UserContext(), c.Params("page"), c.Params("id"), status.ComponentPatch{Status: &st})
	key := "status-" + c.Params("id")
	return s.afterPageForm(c, err, key, form, "#component-"+c.Params("id"))
}

// afterPageForm answers a form on the page screen: back to the screen
// (at anchor) on success, the screen with the form's errors when the
// input was refused, the error page otherwise.
func (s *Server) afterPageForm(c *fiber.Ctx, err error, key string, form url.Values, anchor string) error {
	if code, fields, ok := refusedForm(err); ok {
		return s.renderConsolePage(c, code, sentForm{Sent: key, Form: form, Fields: fields})
	}
	if err != nil {
		return err
	}
	return c.Redirect(pageScreen(c.Params("page"))+anchor, fiber.StatusSeeOther)
}
