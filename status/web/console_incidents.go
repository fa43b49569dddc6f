package web

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// Roles that may change incidents; viewers only read.
var incidentWriters = []status.Role{status.RoleManager, status.RoleEngineer}

type declarePage struct {
	consoleBase
	Customers  []*status.Customer
	Pages      []*status.Page
	Page       *status.Page
	Components []*status.Component
	// Picker is the affected components' part of the form.
	Picker     componentPicker
	Form       url.Values
	Fields     map[string]string
	Severities []status.Severity
	Sources    []status.Source
	Statuses   []status.ComponentStatus
	Expected   func(status.Severity) string
	// SecurityKinds are the security marks to choose from.
	SecurityKinds []status.SecurityKind
}

// Value returns the submitted value of a form field.
func (d declarePage) Value(name string) string { return d.Form.Get(name) }

// Words are the words for the regular update of an incident of the
// visibility chosen on the form.
func (d declarePage) Words() status.CadenceWords {
	return status.CadenceWordsFor(status.Visibility(d.Value("visibility")))
}

// Chosen reports whether value is among the submitted values of name.
func (d declarePage) Chosen(name, value string) bool {
	for _, v := range d.Form[name] {
		if v == value {
			return true
		}
	}
	return false
}

// showDeclare serves GET /console/incidents/new?page=ID. With
// &intake=ID the form starts from that open inbox item.
func (s *Server) showDeclare(c *fiber.Ctx) error {
	form := url.Values{"severity": {string(status.SeverityMinor)}, "visibility": {string(status.VisibilityPublic)},
		"next_update": {"30"}}
	var fields map[string]string
	if id := c.Query("intake"); id != "" {
		notice, err := s.prefillFromIntake(c, form, id)
		if err != nil {
			return err
		}
		if notice != "" {
			fields = map[string]string{"intake": notice}
		}
	}
	return s.renderDeclare(c, fiber.StatusOK, c.Query("page"), form, fields)
}

// formFields folds list-item errors ("components[2].id") into the form
// field that shows them ("components").
func formFields(fields map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range fields {
		if strings.HasPrefix(k, "components[") {
			out["components"] = "a component: " + v
			continue
		}
		out[k] = v
	}
	return out
}

func (s *Server) renderDeclare(c *fiber.Ctx, code int, pageID string, form url.Values, fields map[string]string) error {
	ctx := c.UserContext()
	fields = formFields(fields)
	pages, err := s.deps.Service.Pages.List(ctx)
	if err != nil {
		return err
	}
	if len(pages) == 0 {
		return status.Errorf(status.KindNotFound, "There is no status page yet. Create one first.")
	}
	d := declarePage{consoleBase: s.consoleBase(c), Pages: pages, Page: pages[0], Form: form, Fields: fields,
		Severities: status.Severities, Sources: status.Sources, Statuses: status.ComponentStatuses[1:], Expected: status.ExpectedResolution,
		SecurityKinds: status.SecurityKinds}
	if code >= 400 {
		d.Refusal = refusalOf("declare-form", fields)
	}
	for _, p := range pages {
		if p.ID == pageID {
			d.Page = p
		}
	}
	if d.Components, err = s.deps.Service.Pages.Components(ctx, d.Page.ID); err != nil {
		return err
	}
	groups, err := s.deps.Service.Pages.Groups(ctx, d.Page.ID)
	if err != nil {
		return err
	}
	d.Picker = declarePicker(groups, d.Components, form)
	if d.Customers, err = s.deps.Service.Customers.List(ctx); err != nil {
		return err
	}
	return s.renderConsole(c, code, "console/declare.html", d)
}

// declareIncident serves POST /console/incidents.
func (s *Server) declareIncident(c *fiber.Ctx) error {
	form := formValues(c)
	pageID := form.Get("page")
	page, err := s.deps.Service.Pages.ByID(c.UserContext(), pageID)
	if status.KindOf(err) == status.KindNotFound {
		return s.renderDeclare(c, fiber.StatusUnprocessableEntity, "", form, map[string]string{"page": "choose a status page"})
	}
	if err != nil {
		return err
	}
	fields := status.FieldErrors{}
	started := parseLocalTime(fields, "started_at", form.Get("started_at"), page.Location())
	next := nextUpdateChoice(fields, form.Get("next_update"), s.deps.Service.Now())
	comps := componentChoices(form)
	if len(fields) > 0 {
		return s.renderDeclare(c, fiber.StatusUnprocessableEntity, page.ID, form, fields)
	}
	customers := form["customer"]
	user := s.consoleBase(c).User
	security, vis := status.SecurityKind(form.Get("security")), status.Visibility(form.Get("visibility"))
	madeInternal := security != status.SecurityNone && vis == status.VisibilityPublic && form.Get("security_public") == ""
	if madeInternal {
		// A security matter goes public only once the
		// information-security officer agreed.
		vis = status.DefaultVisibility(security)
	}
	inc, err := s.deps.Service.Incidents.Declare(c.UserContext(), page.ID, status.IncidentInput{
		Title: form.Get("title"), Severity: status.Severity(form.Get("severity")), Visibility: vis,
		Security: security, VideoRoom: form.Get("video_room"),
		StartedAt: started, Components: comps, Body: form.Get("body"), Kind: status.KindAnalysis, Author: authorName(user),
		NextUpdate: next, Summary: form.Get("summary"), Source: status.Source(form.Get("source")),
		SourceReference: form.Get("source_reference"), Caller: form.Get("caller"), Reproduce: form.Get("reproduce"),
		Contact: form.Get("contact"), AffectedCustomers: form.Get("affected_customers"), Customers: customers,
		IntakeID: form.Get("intake")})
	if status.KindOf(err) == status.KindInvalid {
		_, _, f := classify(err)
		return s.renderDeclare(c, fiber.StatusUnprocessableEntity, page.ID, form, customerChoice(f))
	}
	if err != nil {
		return err
	}
	// Whoever declares is incident commander until someone takes over.
	if err := s.deps.Service.Incidents.AssignRole(c.UserContext(), page.ID, inc.ID, status.RoleCommander, user.ID, authorName(user)); err != nil {
		return err
	}
	to := incidentURL(page.ID, inc.ID)
	if madeInternal {
		to += "?done=security_internal"
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// staleCustomers is what the console says when a chosen customer was
// deleted meanwhile.
const staleCustomers = "one of the chosen customers does not exist (any more); reload the page"

// customerChoice names the customer picker in the service's field errors
// about the chosen customers (customers[i]), so that the form shows them
// beside it.
func customerChoice(f map[string]string) map[string]string {
	for k := range f {
		if strings.HasPrefix(k, "customers[") {
			delete(f, k)
			f["customers"] = staleCustomers
		}
	}
	return f
}

// setConsoleCustomers serves POST /console/pages/:page/incidents/:id/customers.
func (s *Server) setConsoleCustomers(c *fiber.Ctx) error {
	form := formValues(c)
	err := s.deps.Service.Incidents.SetCustomers(c.UserContext(), c.Params("page"), c.Params("id"), form["customer"])
	if k := status.KindOf(err); k == status.KindInvalid || k == status.KindConflict {
		_, msg, f := classify(err)
		if len(f) > 0 {
			msg = staleCustomers
		}
		return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, url.Values{}, map[string]string{"customers": msg})
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id"))+"?done=customers#customers-h", fiber.StatusSeeOther)
}

func incidentURL(pageID, incidentID string) string {
	return "/console/pages/" + pageID + "/incidents/" + incidentID
}

func authorName(u *status.User) string {
	if u == nil {
		return ""
	}
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// formValues copies the submitted form (fields may repeat).
func formValues(c *fiber.Ctx) url.Values {
	out := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		out.Add(string(k), string(v))
	})
	return out
}

// componentChoices reads "component.<id>" selects: a status, or empty for
// not affected. Unknown ids are left to the service to refuse.
func componentChoices(form url.Values) []status.ComponentStatusInput {
	var out []status.ComponentStatusInput
	for k, vs := range form {
		id, ok := strings.CutPrefix(k, "component.")
		if !ok || len(vs) == 0 || vs[0] == "" {
			continue
		}
		out = append(out, status.ComponentStatusInput{ComponentID: id, Status: status.ComponentStatus(vs[0])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ComponentID < out[j].ComponentID })
	return out
}

// parseLocalTime reads a datetime-local value in the page's time zone.
func parseLocalTime(f status.FieldErrors, field, v string, loc *time.Location) *time.Time {
	if v == "" {
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return &t
		}
	}
	f.Add(field, "must be a date and time such as 2026-01-02T15:04")
	return nil
}

// nextUpdateChoice turns the 15/30/60-minute choice into a time.
func nextUpdateChoice(f status.FieldErrors, v string, now time.Time) *time.Time {
	switch v {
	case "", "30":
		t := now.Add(30 * time.Minute)
		return &t
	case "15", "60":
		var m time.Duration = 15
		if v == "60" {
			m = 60
		}
		t := now.Add(m * time.Minute)
		return &t
	}
	f.Add("next_update", "must be 15, 30 or 60 minutes")
	return nil
}

type incidentConsolePage struct {
	consoleBase
	Page       *status.Page
	Incident   *status.Incident
	Timeline   []*status.TimelineEntry
	Components []*status.Component
	// Picker is the update form's component part.
	Picker     componentPicker
	Names      map[string]string
	Cadence    status.CadenceStatus
	HasCadence bool
	DueIn      string
	Flags      []status.Flag
	Nudges     []status.Nudge
	Channel    string
	Loc        *time.Location
	Form       url.Values
	Fields     map[string]string
	Kinds      []status.UpdateKind
	States     []status.State
	Statuses   []status.ComponentStatus
	CanWrite   bool
	Now        time.Time
	Roles      []*status.RoleAssignment
	RoleKinds  []status.IncidentRole
	Users      []*status.User
	Scheduled  []*status.ScheduledUpdate
	// Requests are the confirmation requests, oldest first.
	Requests []*status.ConfirmationRequest
	// Customers are the incident's affected customers; AllCustomers the
	// choice.
	Customers    []*status.Customer
	AllCustomers []*status.Customer
	// Templates fit the incident's state; Holding is the holding-update
	// draft, offered when an update is due.
	Templates []*status.UpdateTemplate
	Holding   bool
	// Severities are the choices of the edit form.
	Severities []status.Severity
	// Emails counts the incident's emails by delivery state.
	Emails map[comms.EmailStatus]int
	// AlertsResolved is set when the incident had alerts and all of them
	// have resolved while it is still investigated or mitigated: the
	// console suggests observing.
	AlertsResolved *alerts.Count
	// View is the team's view of the incident: every update with the
	// audience it was posted for.
	View *status.IncidentView
	// Methods are the ways a confirmation can come.
	Methods []string
	// SecurityKinds and ContactChannels are the process form's choices;
	// VideoRoom is where the team meets about the incident.
	SecurityKinds   []status.SecurityKind
	ContactChannels []status.ContactChannel
	VideoRoom       string
	// Notice is a success message shown in the section NoticeAt (the one
	// the change's redirect leads to) rather than at the top.
	Notice, NoticeAt string
	// The panel that asks before something is recorded or becomes more
	// public, shown at the top of the page.
	incidentPanel
}

// Affects reports whether customer id is linked to the incident.
func (d incidentConsolePage) Affects(id string) bool {
	for _, cu := range d.Customers {
		if cu.ID == id {
			return true
		}
	}
	return false
}

// Contacts counts the affected customers' contacts.
func (d incidentConsolePage) Contacts() int {
	n := 0
	for _, cu := range d.Customers {
		n += len(cu.Contacts)
	}
	return n
}

// Holds reports whether the signed-in user holds role.
func (d incidentConsolePage) Holds(role status.IncidentRole) bool {
	for _, r := range d.Roles {
		if r.Role == role && d.User != nil && r.UserID == d.User.ID {
			return true
		}
	}
	return false
}

// Holders returns who holds role, for the template.
func (d incidentConsolePage) Holders(role status.IncidentRole) []*status.RoleAssignment {
	var out []*status.RoleAssignment
	for _, r := range d.Roles {
		if r.Role == role {
			out = append(out, r)
		}
	}
	return out
}

// Value returns the submitted value of a form field.
func (d incidentConsolePage) Value(name string) string { return d.Form.Get(name) }

// Chosen reports whether value is among the submitted values of name.
func (d incidentConsolePage) Chosen(name, value string) bool {
	for _, v := range d.Form[name] {
		if v == value {
			return true
		}
	}
	return false
}

// showConsoleIncident serves GET /console/pages/:page/incidents/:id. With
// ?template=ID the update form starts from that template; with
// ?draft=holding from the holding-update draft.
func (s *Server) showConsoleIncident(c *fiber.Ctx) error {
	form := url.Values{"next_update": {"30"}, "notify": {"on"}}
	if id := c.Query("template"); id != "" {
		tpl, err := s.deps.Service.Templates.ByID(c.UserContext(), id)
		if err != nil {
			return err
		}
		form.Set("template", tpl.ID)
		form.Set("kind", string(tpl.Kind))
		if tpl.State != "" {
			form.Set("state", string(tpl.State))
		}
	}
	if c.Query("draft") == "holding" {
		form.Set("draft", "holding")
		form.Set("kind", string(status.KindGeneral))
	}
	if c.Query("state") == string(status.StateObserving) {
		form.Set("state", string(status.StateObserving))
		form.Set("kind", string(status.KindProgress))
	}
	return s.renderConsoleIncident(c, fiber.StatusOK, form, nil)
}

func (s *Server) renderConsoleIncident(c *fiber.Ctx, code int, form url.Values, fields map[string]string) error {
	return s.renderIncidentPanel(c, code, form, fields, incidentPanel{})
}

// renderIncidentPanel renders the incident page with a panel at its top
// (a review before widening, a preview before publishing, a confirmation
// to check).
func (s *Server) renderIncidentPanel(c *fiber.Ctx, code int, form url.Values, fields map[string]string, panel incidentPanel) error {
	ctx := c.UserContext()
	desk, err := s.deps.Service.Incidents.Desk(ctx, c.Params("page"), c.Params("id"))
	if err != nil {
		return err
	}
	page, inc, now := desk.Page, desk.Incident, desk.Now
	d := incidentConsolePage{consoleBase: s.consoleBase(c), Page: page, Incident: inc, View: desk.View, Timeline: desk.Timeline,
		Components: desk.Components, Names: desk.Names, Loc: page.Location(), Form: form, Fields: formFields(fields),
		Kinds: status.UpdateKinds, States: status.States, Statuses: status.ComponentStatuses, Now: now, Channel: desk.Channel,
		Nudges: desk.Nudges, Flags: desk.Flags, Roles: desk.Roles, RoleKinds: status.IncidentRoles, Users: desk.Users,
		Severities: status.Severities, Methods: status.ConfirmationMethods, Scheduled: desk.Scheduled, Customers: desk.Customers,
		AllCustomers: desk.AllCustomers, Templates: status.TemplatesFor(desk.Templates, inc.State), HasCadence: desk.HasCadence,
		Holding: desk.Holding, incidentPanel: panel, SecurityKinds: status.SecurityKinds,
		ContactChannels: status.AllContactChannels, VideoRoom: status.VideoRoom(inc, page)}
	if code >= 400 {
		d.Refusal = refusalOf(incidentFormSection(c.Path()), d.Fields)
	}
	d.Flash = incidentNotices[c.Query("done")]
	if c.Query("done") == "update" {
		d.Flash = s.publishedNotice(ctx, page, inc, d.Contacts())
	}
	if at := noticeSection[c.Query("done")]; at != "" {
		d.NoticeAt, d.Notice, d.Flash = at, d.Flash, ""
	}
	d.Requests = desk.Requests
	if f := requestedFlash(desk.Requests, c.Query("requested")); f != "" {
		d.Flash = f
	}
	if desk.HasCadence {
		d.Cadence, d.DueIn = desk.CadenceState(), dueText(desk.Cadence.Due.Sub(now))
	}
	if u := d.User; u != nil {
		d.CanWrite = u.Role != status.RoleViewer
	}
	if s.deps.Outbox != nil {
		if d.Emails, err = s.deps.Outbox.EmailCounts(ctx, inc.ID); err != nil {
			return err
		}
	}
	if s.deps.Alerts != nil && (inc.State == status.StateInvestigating || inc.State == status.StateMitigating) {
		n, err := s.deps.Alerts.IncidentCount(ctx, inc.ID)
		if err != nil {
			return err
		}
		if n.AllResolved() {
			d.AlertsResolved = &n
		}
	}
	fillIncidentForm(form, desk)
	d.Picker = updatePicker(desk, form, d.Fields)
	return s.renderConsole(c, code, "console/incident.html", d)
}

// fillIncidentForm starts the incident page's forms from the record,
// keeping whatever was typed: the close form from a confirmation on
// record, the update form from a chosen template or the holding draft,
// the edit form from the incident, the post-mortems from their drafts.
func fillIncidentForm(form url.Values, desk *status.Desk) {
	inc, loc := desk.Incident, desk.Page.Location()
	if form.Get("confirmed_by") == "" && inc.ConfirmedBy != "" {
		form.Set("confirmed_by", inc.ConfirmedBy)
		form.Set("confirmation_source", inc.ConfirmationSource)
		form.Set("confirmation_method", inc.ConfirmationMethod)
	}
	if form.Get("body") == "" {
		// The next update is due from the moment this one goes out.
		filled := *inc
		next := desk.Now.Add(status.DefaultCadence)
		filled.NextUpdateAt = &next
		for _, t := range desk.Templates {
			if t.ID == form.Get("template") {
				form.Set("body", status.FillTemplate(t.Body, &filled, desk.Names, loc))
			}
		}
		if form.Get("draft") == "holding" {
			form.Set("body", status.HoldingDraft(inc, loc, next))
		}
	}
	if form.Get("version") == "" {
		form.Set("version", fmt.Sprint(inc.Version))
	}
	if _, editing := form["title"]; !editing {
		form.Set("title", inc.Title)
		form.Set("public_title", inc.PublicTitle)
		form.Set("severity", string(inc.Severity))
		form.Set("visibility", string(inc.Visibility))
		form.Set("started_at", inc.StartedAt.In(loc).Format("2006-01-02T15:04"))
		form.Set("summary", inc.Summary)
		form.Set("reproduce", inc.Reproduce)
		form.Set("contact", inc.Contact)
		form.Set("affected_customers", inc.AffectedCustomers)
		if inc.AutoHolding {
			form.Set("auto_holding", "on")
		}
	}
	if _, editing := form["process"]; !editing {
		form.Set("security", string(inc.Security))
		form.Set("video_room", inc.VideoRoom)
		form["contact_channel"] = nil
		for _, ch := range inc.ContactChannels {
			form.Add("contact_channel", string(ch))
		}
		form.Del("next_contact_at")
		if inc.NextContactAt != nil {
			form.Set("next_contact_at", inc.NextContactAt.In(loc).Format("2006-01-02T15:04"))
		}
	}
	if form.Get("postmortem_internal") == "" {
		form.Set("postmortem_internal", desk.InternalPostmortem())
	}
	if form.Get("postmortem") == "" {
		form.Set("postmortem", desk.PublicPostmortem())
	}
}

func dueText(d time.Duration) string {
	if d < 0 {
		return "overdue by " + humanDuration(-d)
	}
	return "due in " + humanDuration(d)
}

// postConsoleUpdate serves POST /console/pages/:page/incidents/:id/updates.
func (s *Server) postConsoleUpdate(c *fiber.Ctx) error {
	form := formValues(c)
	page, err := s.deps.Service.Pages.ByID(c.UserContext(), c.Params("page"))
	if err != nil {
		return err
	}
	fields := status.FieldErrors{}
	eta := parseLocalTime(fields, "eta", form.Get("eta"), page.Location())
	publishAt := parseLocalTime(fields, "publish_at", form.Get("publish_at"), page.Location())
	from := s.deps.Service.Now()
	if publishAt != nil {
		from = *publishAt // the next update is due after this one is out
	}
	next := nextUpdateChoice(fields, form.Get("next_update"), from)
	inc, err := s.deps.Service.Incidents.ByID(c.UserContext(), page.ID, c.Params("id"))
	if err != nil {
		return err
	}
	comps := updateComponentChoices(fields, form, inc)
	var version int
	if _, err := fmt.Sscan(form.Get("version"), &version); err != nil {
		fields.Add("form", "This form is incomplete (its version is missing). Reload the page and try again.")
	}
	if len(fields) > 0 {
		return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, form, fields)
	}
	notify := form.Get("notify") == "on"
	in := status.UpdateInput{
		State: status.State(form.Get("state")), Kind: status.UpdateKind(form.Get("kind")), ETA: eta,
		Resolution: status.Resolution(form.Get("resolution")), Body: form.Get("body"), Author: authorName(s.consoleBase(c).User),
		Notify: &notify, Components: comps, NextUpdate: next, Version: version}
	if publishAt != nil {
		_, err = s.deps.Service.Incidents.ScheduleUpdate(c.UserContext(), page.ID, c.Params("id"), in, *publishAt)
	} else {
		_, err = s.deps.Service.Incidents.PostUpdate(c.UserContext(), page.ID, c.Params("id"), in)
	}
	switch status.KindOf(err) {
	case status.KindInvalid, status.KindConflict:
		code, msg, f := classify(err)
		if f == nil {
			f = map[string]string{"form": msg}
		}
		return s.renderConsoleIncident(c, code, form, f)
	}
	if err != nil {
		return err
	}
	done := "update"
	switch {
	case publishAt != nil:
		done = "scheduled"
	case !notify:
		done = "update_silent"
	}
	return c.Redirect(incidentURL(page.ID, c.Params("id"))+"?done="+done, fiber.StatusSeeOther)
}

// editConsoleIncident serves POST /console/pages/:page/incidents/:id/edit:
// title, severity, visibility, start and the record.
func (s *Server) editConsoleIncident(c *fiber.Ctx) error {
	form := formValues(c)
	page, err := s.deps.Service.Pages.ByID(c.UserContext(), c.Params("page"))
	if err != nil {
		return err
	}
	fields := status.FieldErrors{}
	started := parseLocalTime(fields, "started_at", form.Get("started_at"), page.Location())
	if started == nil && fields["started_at"] == "" {
		fields.Add("started_at", "is required")
	}
	var version int
	if _, err := fmt.Sscan(form.Get("version"), &version); err != nil {
		fields.Add("edit", "This form is incomplete (its version is missing). Reload the page and try again.")
	}
	if len(fields) > 0 {
		return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, form, fields)
	}
	sev, vis := status.Severity(form.Get("severity")), status.Visibility(form.Get("visibility"))
	if form.Get("review") != "confirmed" {
		inc, err := s.deps.Service.Incidents.ByID(c.UserContext(), page.ID, c.Params("id"))
		if err != nil {
			return err
		}
		if vis.Wider(inc.Visibility) {
			return s.reviewWidening(c, form, vis)
		}
	}
	title, summary, reproduce, contact, affected := form.Get("title"), form.Get("summary"), form.Get("reproduce"), form.Get("contact"), form.Get("affected_customers")
	holding := form.Get("auto_holding") == "on"
	patch := status.IncidentPatch{Title: &title, Severity: &sev, Visibility: &vis, StartedAt: started, Summary: &summary,
		Reproduce: &reproduce, Contact: &contact, AffectedCustomers: &affected, AutoHolding: &holding, Version: version,
		PublishUpdates: form["publish_update"]}
	if _, ok := form["public_title"]; ok {
		pt := form.Get("public_title")
		patch.PublicTitle = &pt
	}
	_, err = s.deps.Service.Incidents.Update(c.UserContext(), page.ID, c.Params("id"), patch)
	if k := status.KindOf(err); k == status.KindInvalid || k == status.KindConflict {
		code, msg, f := classify(err)
		if f == nil {
			f = map[string]string{"edit": msg}
		}
		return s.renderConsoleIncident(c, code, form, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(page.ID, c.Params("id"))+"?done=edit", fiber.StatusSeeOther)
}

// cancelScheduledUpdate serves
// POST /console/pages/:page/incidents/:id/scheduled/:sid/cancel.
func (s *Server) cancelScheduledUpdate(c *fiber.Ctx) error {
	err := s.deps.Service.Incidents.CancelScheduledUpdate(c.UserContext(), c.Params("page"), c.Params("id"), c.Params("sid"), authorName(s.consoleBase(c).User))
	if status.KindOf(err) == status.KindConflict {
		return s.renderConsoleIncident(c, fiber.StatusConflict, url.Values{}, map[string]string{"scheduled": status.Message(err)})
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id"))+"?done=cancelled#scheduled-h", fiber.StatusSeeOther)
}

// addConsoleNote serves POST /console/pages/:page/incidents/:id/notes.
func (s *Server) addConsoleNote(c *fiber.Ctx) error {
	form := formValues(c)
	page, err := s.deps.Service.Pages.ByID(c.UserContext(), c.Params("page"))
	if err != nil {
		return err
	}
	fields := status.FieldErrors{}
	at := parseLocalTime(fields, "note_at", form.Get("note_at"), page.Location())
	if len(fields) > 0 {
		return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, form, fields)
	}
	_, err = s.deps.Service.Incidents.AddNote(c.UserContext(), page.ID, c.Params("id"), form.Get("note"), authorName(s.consoleBase(c).User), at)
	if status.KindOf(err) == status.KindInvalid {
		_, _, f := classify(err)
		if m, ok := f["body"]; ok {
			f["note"] = m
		}
		return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, form, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(page.ID, c.Params("id"))+"?done=note#timeline", fiber.StatusSeeOther)
}

// assignConsoleRole serves POST /console/pages/:page/incidents/:id/roles:
// assign (or take over, when user is oneself) or, with remove=1, remove.
func (s *Server) assignConsoleRole(c *fiber.Ctx) error {
	form := formValues(c)
	role, userID := status.IncidentRole(form.Get("role")), form.Get("user")
	actor := authorName(s.consoleBase(c).User)
	var err error
	if form.Get("remove") != "" {
		err = s.deps.Service.Incidents.RemoveRole(c.UserContext(), c.Params("page"), c.Params("id"), role, userID, actor)
	} else {
		err = s.deps.Service.Incidents.AssignRole(c.UserContext(), c.Params("page"), c.Params("id"), role, userID, actor)
	}
	if status.KindOf(err) == status.KindInvalid {
		_, _, f := classify(err)
		f["roles"] = "choose a role and a person"
		return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, url.Values{}, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id"))+"?done=roles#roles", fiber.StatusSeeOther)
}

// recordConsoleEscalation serves POST /console/pages/:page/incidents/:id/escalations:
// records that Account Management was informed, the post-mortem decision,
// the continuity plan triggered or not needed, or the security report.
func (s *Server) recordConsoleEscalation(c *fiber.Ctx) error {
	form := formValues(c)
	what := status.EscalationRecord(form.Get("record"))
	err := s.deps.Service.Incidents.RecordEscalation(c.UserContext(), c.Params("page"), c.Params("id"), status.EscalationStep{
		What: what, DecidedBy: form.Get("decided_by"), Reason: form.Get("reason")})
	if k := status.KindOf(err); k == status.KindInvalid || k == status.KindConflict {
		code, msg, f := classify(err)
		fields := map[string]string{"flags": "Not recorded: " + msg}
		switch {
		case f["decided_by"] != "" && strings.TrimSpace(form.Get("decided_by")) == "":
			fields["flags"] = "Not recorded: name the person in Account Management who decided (you are not marked as Account Management)."
		case f["reason"] != "" && strings.TrimSpace(form.Get("reason")) == "":
			fields["flags"] = "Not recorded: say why the business continuity plan was not needed."
		case f["decided_by"] != "":
			fields["flags"] = "Not recorded: the name of who decided " + f["decided_by"] + "."
		case f["reason"] != "":
			fields["flags"] = "Not recorded: the reason " + f["reason"] + "."
		}
		return s.renderConsoleIncident(c, code, form, fields)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id"))+"?done="+string(what), fiber.StatusSeeOther)
}

// incidentFormSection is the id of the incident page's section holding
// the form that path posts to.
func incidentFormSection(path string) string {
	for suffix, id := range map[string]string{"/updates": "post-h", "/edit": "edit-h", "/close": "close-h",
		"/escalations": "flags-h", "/process": "contact-h", "/roles": "roles", "/customers": "customers-h",
		"/notes": "timeline", "/postmortem": "postmortem", "/confirmation-requests": "request-h", "/confirm": "confirm-h"} {
		if strings.HasSuffix(path, suffix) {
			return id
		}
	}
	return ""
}

// noticeSection names the section a change's redirect leads to: its
// success message shows there, in view, instead of at the top.
var noticeSection = map[string]string{"customers": "customers-h", "cancelled": "scheduled-h", "note": "timeline", "roles": "roles"}

// publishedNotice says who an update just published reaches: the public
// page and its confirmed subscribers for a public incident, and the
// affected customers' contacts.
func (s *Server) publishedNotice(ctx context.Context, page *status.Page, inc *status.Incident, contacts int) string {
	var to []string
	if inc.Public() {
		subs := 0
		if s.deps.Subscribers != nil {
			if n, err := s.deps.Subscribers.Counts(ctx, page.ID); err == nil {
				subs = n[comms.SubscriberConfirmed]
			}
		}
		to = append(to, fmt.Sprintf("the public page and up to %d confirmed subscriber%s", subs, plural(subs)))
	}
	if contacts > 0 && inc.Visibility != status.VisibilityInternal {
		to = append(to, fmt.Sprintf("%d customer contact%s", contacts, plural(contacts)))
	}
	if len(to) == 0 {
		return "Update published for the team (internal incident): nobody outside was emailed."
	}
	return "Update published; it goes to " + strings.Join(to, " and ") + "."
}

// incidentNotices are the success messages the incident page shows after
// a change, by the done parameter its redirect carries (never the text
// itself, so nobody can put words on the page through a link).
var incidentNotices = map[string]string{
	string(status.RecordAMInformed):          "Recorded: Account Management informed.",
	string(status.RecordPostmortemYes):       "Recorded: the post-mortem decision (yes).",
	string(status.RecordPostmortemNo):        "Recorded: the post-mortem decision (no).",
	string(status.RecordContinuityPlan):      "Recorded: business continuity plan triggered.",
	string(status.RecordContinuityNotNeeded): "Recorded: the business continuity plan was not needed, and why.",
	string(status.RecordSecurityReported):    "Recorded: reported to the information-security officer.",
	"process":                                "Saved: security, contact with the customers and video room.",
	"update_silent":                          "Update published silently: nobody was emailed.",
	"scheduled":                              "Update scheduled: it is listed under Scheduled updates and goes out at its time.",
	"cancelled":                              "The scheduled update was cancelled.",
	"edit":                                   "Saved: the incident's title, severity, visibility and record.",
	"customers":                              "Saved: the affected customers.",
	"note":                                   "Added to the timeline.",
	"roles":                                  "Saved: the roles.",
	"security_internal": "Declared internal: a security matter goes public only once the information-security officer agrees. " +
		"Report it to them now (see Needs attention).",
}

// saveConsoleProcess serves POST /console/pages/:page/incidents/:id/process:
// the security mark, the contact agreed with the customers and the video
// room.
func (s *Server) saveConsoleProcess(c *fiber.Ctx) error {
	form := formValues(c)
	form.Set("process", "1")
	page, err := s.deps.Service.Pages.ByID(c.UserContext(), c.Params("page"))
	if err != nil {
		return err
	}
	fields := status.FieldErrors{}
	next := parseLocalTime(fields, "next_contact_at", form.Get("next_contact_at"), page.Location())
	channels := status.ContactChannels{}
	for _, ch := range form["contact_channel"] {
		channels = append(channels, status.ContactChannel(ch))
	}
	if len(fields) > 0 {
		fields["process_form"] = "Not saved: see the messages below."
		return s.renderConsoleIncident(c, fiber.StatusUnprocessableEntity, form, fields)
	}
	var version int
	_, _ = fmt.Sscan(form.Get("version"), &version)
	security, room := status.SecurityKind(form.Get("security")), form.Get("video_room")
	_, err = s.deps.Service.Incidents.Update(c.UserContext(), page.ID, c.Params("id"), status.IncidentPatch{
		Security: &security, VideoRoom: &room, ContactChannels: &channels, NextContactAt: &next, Version: version})
	if k := status.KindOf(err); k == status.KindInvalid || k == status.KindConflict {
		code, msg, f := classify(err)
		fields := maps.Clone(f) // the error's own fields stay as they are
		if fields == nil {
			fields = map[string]string{}
		}
		fields["process_form"] = "Not saved: " + msg
		return s.renderConsoleIncident(c, code, form, fields)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(page.ID, c.Params("id"))+"?done=process", fiber.StatusSeeOther)
}

// exportTimeline serves GET /console/pages/:page/incidents/:id/timeline.md.
func (s *Server) exportTimeline(c *fiber.Ctx) error {
	desk, err := s.deps.Service.Incidents.Desk(c.UserContext(), c.Params("page"), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/markdown; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="incident-`+desk.Incident.ID+`.md"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString(status.TimelineMarkdown(desk.Incident, desk.Roles, desk.Timeline, desk.Names, desk.Page.Location()))
}

// closeConsoleIncident serves POST /console/pages/:page/incidents/:id/close.
func (s *Server) closeConsoleIncident(c *fiber.Ctx) error {
	form := formValues(c)
	var version int
	_, _ = fmt.Sscan(form.Get("version"), &version)
	notify := form.Get("notify") == "on"
	_, err := s.deps.Service.Incidents.Close(c.UserContext(), c.Params("page"), c.Params("id"), status.CloseInput{
		ConfirmedBy: form.Get("confirmed_by"), ConfirmationSource: form.Get("confirmation_source"),
		ConfirmationMethod: form.Get("confirmation_method"),
		Message:            form.Get("message"), Resolution: status.Resolution(form.Get("close_resolution")),
		Cause: form.Get("cause"), Solution: form.Get("solution"), Remaining: form.Get("remaining"),
		FollowUps: form.Get("follow_ups"), ContinuityNotNeeded: form.Get("continuity_not_needed"),
		Author: authorName(s.consoleBase(c).User), Notify: &notify, Version: version})
	switch status.KindOf(err) {
	case status.KindInvalid, status.KindConflict:
		code, msg, fields := classify(err)
		f := maps.Clone(fields)
		if f == nil {
			f = map[string]string{}
		}
		// A process rule's refusal (a conflict) says what to do first:
		// it shows above the form besides the field it names.
		if len(fields) == 0 || status.KindOf(err) == status.KindConflict {
			f["close"] = msg
		}
		if m, ok := f["resolution"]; ok {
			f["close_resolution"] = m
		}
		return s.renderConsoleIncident(c, code, form, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(c.Params("page"), c.Params("id")), fiber.StatusSeeOther)
}

// previewMarkdown serves POST /console/preview: the sanitised HTML of the
// Markdown in "body", exactly as pages, feeds and emails will show it.
func (s *Server) previewMarkdown(c *fiber.Ctx) error {
	body := c.FormValue("body")
	if len(body) > status.MaxBodyLen {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "The text is too long to preview.")
	}
	setHTMLSecurityHeaders(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, htmlType)
	return c.SendString(string(templates.Markdown(body)))
}

// Words are the words for the incident's regular update: customer or
// internal, by its audience.
func (d incidentConsolePage) Words() status.CadenceWords {
	return status.CadenceWordsFor(d.Incident.Visibility)
}

// Audience says who an update of the incident reaches, for the form.
func (d incidentConsolePage) Audience() string {
	contacts := ""
	if n := d.Contacts(); n > 0 {
		contacts = fmt.Sprintf("%d customer contact%s", n, plural(n))
	}
	switch d.Incident.Visibility {
	case status.VisibilityPublic:
		out := "the public status page " + d.Page.Name + ", its feeds and API"
		if contacts != "" {
			out += ", and " + contacts
		}
		return out
	case status.VisibilityCustomers:
		if contacts == "" {
			return "the affected customers only (not the public page); no customer with contacts is linked yet"
		}
		return contacts + " of the affected customers (not the public page)"
	}
	return "nobody outside the console (internal incident)"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
