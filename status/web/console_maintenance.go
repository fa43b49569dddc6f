package web

import (
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// recentCompleted is how many completed maintenances the list shows.
const recentCompleted = 20

// localInput is the datetime-local form of t in loc.
const localInput = "2006-01-02T15:04"

func maintenanceURL(pageID, id string) string {
	return "/console/pages/" + pageID + "/maintenance/" + id
}

type maintenancesPage struct {
	consoleBase
	InProgress, Upcoming, Completed []maintenanceRow
	CanWrite                        bool
}

type maintenanceRow struct {
	M          *status.Maintenance
	Page       *status.Page
	Loc        *time.Location
	Components string
}

// listConsoleMaintenance serves GET /console/maintenance: in progress,
// upcoming and recently completed maintenance of every page.
func (s *Server) listConsoleMaintenance(c *fiber.Ctx) error {
	ctx, svc := c.UserContext(), s.deps.Service
	pages, err := svc.Pages.List(ctx)
	if err != nil {
		return err
	}
	base := s.consoleBase(c)
	d := maintenancesPage{consoleBase: base, CanWrite: userCanWrite(base.User)}
	for _, p := range pages {
		names, err := s.componentNames(c, p.ID)
		if err != nil {
			return err
		}
		open, err := svc.Maintenances.List(ctx, status.MaintenanceFilter{PageID: p.ID,
			States: []status.MaintenanceState{status.MaintenanceScheduled, status.MaintenanceInProgress}, Limit: 500})
		if err != nil {
			return err
		}
		done, err := svc.Maintenances.List(ctx, status.MaintenanceFilter{PageID: p.ID,
			States: []status.MaintenanceState{status.MaintenanceCompleted}, Limit: recentCompleted})
		if err != nil {
			return err
		}
		for _, m := range append(open, done...) {
			row := maintenanceRow{M: m, Page: p, Loc: p.Location(), Components: componentList(m.ComponentIDs, names)}
			switch m.State {
			case status.MaintenanceInProgress:
				d.InProgress = append(d.InProgress, row)
			case status.MaintenanceScheduled:
				d.Upcoming = append(d.Upcoming, row)
			default:
				d.Completed = append(d.Completed, row)
			}
		}
	}
	byStart := func(rows []maintenanceRow) func(i, j int) bool {
		return func(i, j int) bool { return rows[i].M.ScheduledFor.Before(rows[j].M.ScheduledFor) }
	}
	sort.SliceStable(d.InProgress, byStart(d.InProgress))
	sort.SliceStable(d.Upcoming, byStart(d.Upcoming))
	sort.SliceStable(d.Completed, func(i, j int) bool { return d.Completed[j].M.ScheduledFor.Before(d.Completed[i].M.ScheduledFor) })
	d.Completed = d.Completed[:min(len(d.Completed), recentCompleted)]
	return s.renderConsole(c, fiber.StatusOK, "console/maintenances.html", d)
}

// componentNames maps a page's component ids to names, hidden ones too.
func (s *Server) componentNames(c *fiber.Ctx, pageID string) (map[string]string, error) {
	comps, err := s.deps.Service.Pages.Components(c.UserContext(), pageID)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(comps))
	for _, comp := range comps {
		names[comp.ID] = comp.Name
	}
	return names, nil
}

func componentList(ids []string, names map[string]string) string {
	var out []string
	for _, id := range ids {
		if n, ok := names[id]; ok {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// maintenanceNewPage is the form that schedules maintenance on Page.
type maintenanceNewPage struct {
	consoleBase
	sentForm
	Pages      []*status.Page
	Page       *status.Page
	Components []*status.Component
}

// showNewMaintenance serves GET /console/maintenance/new?page=ID.
func (s *Server) showNewMaintenance(c *fiber.Ctx) error {
	return s.renderNewMaintenance(c, fiber.StatusOK, c.Query("page"), nil, nil)
}

// renderNewMaintenance shows the form for pageID (the first page if there
// is no such page); form nil means a fresh form with a window starting at
// the next full hour.
func (s *Server) renderNewMaintenance(c *fiber.Ctx, code int, pageID string, form url.Values, fields map[string]string) error {
	ctx := c.UserContext()
	pages, err := s.deps.Service.Pages.List(ctx)
	if err != nil {
		return err
	}
	if len(pages) == 0 {
		return status.Errorf(status.KindNotFound, "There is no status page yet. Create one first.")
	}
	d := maintenanceNewPage{consoleBase: s.consoleBase(c), Pages: pages, Page: pages[0]}
	for _, p := range pages {
		if p.ID == pageID {
			d.Page = p
		}
	}
	if form == nil {
		start := s.deps.Service.Now().In(d.Page.Location()).Truncate(time.Hour).Add(time.Hour)
		form = url.Values{"scheduled_for": {start.Format(localInput)}, "scheduled_until": {start.Add(2 * time.Hour).Format(localInput)}}
	}
	d.sentForm = sentForm{Sent: "new", Form: form, Fields: formFields(fields)}
	if d.Components, err = s.deps.Service.Pages.Components(ctx, d.Page.ID); err != nil {
		return err
	}
	return s.renderConsole(c, code, "console/maintenance_new.html", d)
}

// scheduleConsoleMaintenance serves POST /console/maintenance.
func (s *Server) scheduleConsoleMaintenance(c *fiber.Ctx) error {
	ctx, form := c.UserContext(), formValues(c)
	page, err := s.deps.Service.Pages.ByID(ctx, form.Get("page"))
	if status.KindOf(err) == status.KindNotFound {
		return s.renderNewMaintenance(c, fiber.StatusUnprocessableEntity, "", form, map[string]string{"page": "choose a status page"})
	}
	if err != nil {
		return err
	}
	fields := status.FieldErrors{}
	from := parseLocalTime(fields, "scheduled_for", form.Get("scheduled_for"), page.Location())
	until := parseLocalTime(fields, "scheduled_until", form.Get("scheduled_until"), page.Location())
	if len(fields) > 0 {
		return s.renderNewMaintenance(c, fiber.StatusUnprocessableEntity, page.ID, form, fields)
	}
	m, err := s.deps.Service.Maintenances.Schedule(ctx, page.ID, status.MaintenanceInput{Title: form.Get("title"),
		Description: form.Get("description"), ScheduledFor: timeOrZero(from), ScheduledUntil: timeOrZero(until),
		ComponentIDs: form["components"], Author: authorName(s.consoleBase(c).User)})
	if code, f, ok := refusedForm(err); ok {
		return s.renderNewMaintenance(c, code, page.ID, form, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(maintenanceURL(page.ID, m.ID), fiber.StatusSeeOther)
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// maintenanceConsolePage is one maintenance with the forms that run it.
type maintenanceConsolePage struct {
	consoleBase
	sentForm
	Page       *status.Page
	M          *status.Maintenance
	Loc        *time.Location
	Components []*status.Component
	Names      map[string]string
	States     []status.MaintenanceState // what an update may move it to
	PublicURL  string
	CanWrite   bool
}

// Covers reports whether the maintenance includes the component.
func (d maintenanceConsolePage) Covers(id string) bool {
	for _, c := range d.M.ComponentIDs {
		if c == id {
			return true
		}
	}
	return false
}

// Local formats t for a datetime-local input in the page's time zone.
func (d maintenanceConsolePage) Local(t time.Time) string { return t.In(d.Loc).Format(localInput) }

// nextMaintenanceStates lists the states an update may give a maintenance
// in state st, the current one first: work never goes back to scheduled,
// and a completed maintenance stays completed.
func nextMaintenanceStates(st status.MaintenanceState) []status.MaintenanceState {
	switch st {
	case status.MaintenanceScheduled:
		return []status.MaintenanceState{status.MaintenanceScheduled, status.MaintenanceInProgress, status.MaintenanceCompleted}
	case status.MaintenanceInProgress:
		return []status.MaintenanceState{status.MaintenanceInProgress, status.MaintenanceCompleted}
	}
	return []status.MaintenanceState{status.MaintenanceCompleted}
}

// showConsoleMaintenance serves GET /console/pages/:page/maintenance/:id.
func (s *Server) showConsoleMaintenance(c *fiber.Ctx) error {
	return s.renderConsoleMaintenance(c, fiber.StatusOK, sentForm{})
}

// loadMaintenance loads the page and maintenance of the :page and :id
// parameters.
func (s *Server) loadMaintenance(c *fiber.Ctx) (*status.Page, *status.Maintenance, error) {
	p, err := s.deps.Service.Pages.ByID(c.UserContext(), c.Params("page"))
	if err != nil {
		return nil, nil, err
	}
	m, err := s.deps.Service.Maintenances.ByID(c.UserContext(), p.ID, c.Params("id"))
	if err != nil {
		return nil, nil, err
	}
	return p, m, nil
}

func (s *Server) renderConsoleMaintenance(c *fiber.Ctx, code int, fs sentForm) error {
	p, m, err := s.loadMaintenance(c)
	if err != nil {
		return err
	}
	comps, err := s.deps.Service.Pages.Components(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	base := s.consoleBase(c)
	fs.Fields = formFields(fs.Fields)
	d := maintenanceConsolePage{consoleBase: base, sentForm: fs, Page: p, M: m, Loc: p.Location(), Components: comps,
		Names: map[string]string{}, States: nextMaintenanceStates(m.State), CanWrite: userCanWrite(base.User),
		PublicURL: "/p/" + p.Slug + "/maintenance/" + m.ID}
	for _, comp := range comps {
		d.Names[comp.ID] = comp.Name
	}
	return s.renderConsole(c, code, "console/maintenance.html", d)
}

// saveConsoleMaintenance serves POST /console/pages/:page/maintenance/:id:
// title, window and components. A window bound left as it was is not sent,
// so a maintenance that has begun keeps its start.
func (s *Server) saveConsoleMaintenance(c *fiber.Ctx) error {
	p, m, err := s.loadMaintenance(c)
	if err != nil {
		return err
	}
	form, loc := formValues(c), p.Location()
	fields := status.FieldErrors{}
	title, ids := form.Get("title"), form["components"]
	if ids == nil {
		ids = []string{}
	}
	patch := status.MaintenancePatch{Title: &title, ComponentIDs: &ids}
	patch.ScheduledFor = changedTime(fields, "scheduled_for", form.Get("scheduled_for"), m.ScheduledFor, loc)
	patch.ScheduledUntil = changedTime(fields, "scheduled_until", form.Get("scheduled_until"), m.ScheduledUntil, loc)
	if len(fields) == 0 {
		_, err = s.deps.Service.Maintenances.Update(c.UserContext(), p.ID, m.ID, patch)
	} else {
		err = fields.Err()
	}
	return s.afterMaintenanceForm(c, err, "edit", form, "")
}

// changedTime reads a datetime-local field, nil when it still shows old.
func changedTime(f status.FieldErrors, field, v string, old time.Time, loc *time.Location) *time.Time {
	if v == old.In(loc).Format(localInput) {
		return nil
	}
	if strings.TrimSpace(v) == "" {
		f.Add(field, "is required")
		return nil
	}
	return parseLocalTime(f, field, v, loc)
}

// postConsoleMaintenanceUpdate serves
// POST /console/pages/:page/maintenance/:id/updates: a message, perhaps
// with a change of state.
func (s *Server) postConsoleMaintenanceUpdate(c *fiber.Ctx) error {
	form := formValues(c)
	_, err := s.deps.Service.Maintenances.PostUpdate(c.UserContext(), c.Params("page"), c.Params("id"), status.MaintenanceUpdateInput{
		State: status.MaintenanceState(form.Get("state")), Body: form.Get("body"), Author: authorName(s.consoleBase(c).User),
		Notify: new(form.Get("notify") == "on")})
	return s.afterMaintenanceForm(c, err, "update", form, "#updates")
}

// deleteConsoleMaintenance serves POST /console/pages/:page/maintenance/:id/delete:
// cancels the maintenance by removing it, once "confirm" is ticked.
func (s *Server) deleteConsoleMaintenance(c *fiber.Ctx) error {
	p, m, err := s.loadMaintenance(c)
	if err != nil {
		return err
	}
	form := formValues(c)
	if form.Get("confirm") != "yes" {
		return s.renderConsoleMaintenance(c, fiber.StatusUnprocessableEntity, sentForm{Sent: "delete", Form: form,
			Fields: map[string]string{"confirm": "tick the box to confirm"}})
	}
	if err := s.deps.Service.Maintenances.Delete(c.UserContext(), p.ID, m.ID); err != nil {
		return err
	}
	return c.Redirect("/console/maintenance", fiber.StatusSeeOther)
}

// afterMaintenanceForm answers a form on the maintenance screen, as
// afterPageForm does on the page screen.
func (s *Server) afterMaintenanceForm(c *fiber.Ctx, err error, key string, form url.Values, anchor string) error {
	if code, fields, ok := refusedForm(err); ok {
		return s.renderConsoleMaintenance(c, code, sentForm{Sent: key, Form: form, Fields: fields})
	}
	if err != nil {
		return err
	}
	return c.Redirect(maintenanceURL(c.Params("page"), c.Params("id"))+anchor, fiber.StatusSeeOther)
}
