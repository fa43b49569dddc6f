package web

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
)

// intakePerPage is how many items the inbox lists at once.
const intakePerPage = 50

// intakeStates are the inbox's state filter choices; "all" shows every
// state.
var intakeStates = []string{string(status.IntakeOpen), string(status.IntakeAttached), string(status.IntakeDeclared),
	string(status.IntakeDismissed), "all"}

type inboxPage struct {
	consoleBase
	Items     []*status.IntakeItem
	Customers map[string]*status.Customer // id → customer
	State     string                      // the state filter
	States    []string
	Older     string // id to continue from, "" at the end
	OpenCount int    // items waiting for triage, in every page of the list
	CanWrite  bool
	Loc       *time.Location
	// Mailboxes is the support mailbox's state, as its watcher last wrote
	// it (none without HERALD_IMAP_URL).
	Mailboxes []inbound.MailboxStatus
}

// showInbox serves GET /console/inbox: the items of one state (open by
// default), newest first, 50 a page.
func (s *Server) showInbox(c *fiber.Ctx) error {
	ctx := c.UserContext()
	base := s.consoleBase(c)
	d := inboxPage{consoleBase: base, State: string(status.IntakeOpen), States: intakeStates,
		CanWrite: userCanWrite(base.User), Loc: s.consoleLoc(c)}
	for _, st := range intakeStates {
		if c.Query("state") == st {
			d.State = st
		}
	}
	f := status.IntakeFilter{State: status.IntakeState(d.State), Before: c.Query("before"), Limit: intakePerPage}
	if d.State == "all" {
		f.State = ""
	}
	var err error
	if d.Items, err = s.deps.Service.Intake.Items(ctx, f); err != nil {
		return err
	}
	if len(d.Items) == intakePerPage {
		d.Older = d.Items[len(d.Items)-1].ID
	}
	if d.Customers, err = s.customerIndex(c); err != nil {
		return err
	}
	if d.OpenCount, err = s.deps.Service.Intake.OpenCount(ctx); err != nil {
		return err
	}
	if s.deps.Messages != nil {
		if d.Mailboxes, err = s.deps.Messages.Mailboxes(ctx); err != nil {
			return err
		}
	}
	if c.Query("dismissed") != "" {
		d.Flash = "The item was closed as not an incident."
	}
	return s.renderConsole(c, fiber.StatusOK, "console/intake.html", d)
}

// customerIndex returns every customer by id.
func (s *Server) customerIndex(c *fiber.Ctx) (map[string]*status.Customer, error) {
	all, err := s.deps.Service.Customers.List(c.UserContext())
	if err != nil {
		return nil, err
	}
	out := make(map[string]*status.Customer, len(all))
	for _, cu := range all {
		out[cu.ID] = cu
	}
	return out, nil
}

// intakeChoice is an open incident offered to attach an item to.
type intakeChoice struct {
	Page     *status.Page
	Incident *status.Incident
	// Affects is true when the incident affects the item's customer.
	Affects bool
	// Mentions names an affected component the item's text names.
	Mentions string
	// Shares names an affected component an alert item's alerts map to.
	Shares string
}

// Value is the choice's value in the attach form: page id, then incident
// id.
func (ch intakeChoice) Value() string { return ch.Page.ID + "/" + ch.Incident.ID }

type intakeItemPage struct {
	consoleBase
	Item     *status.IntakeItem
	Customer *status.Customer // nil when unknown
	// Incident is the incident the item was attached to or declared
	// from, on LinkedPage.
	Incident   *status.Incident
	LinkedPage *status.Page
	Pages      []*status.Page
	Choices    []intakeChoice
	CanWrite   bool
	Form       url.Values
	Fields     map[string]string
	Loc        *time.Location
	// An alert item's alerts (the first alertsShown) and the components
	// they map to ("Page · Component").
	Alerts     []*alerts.Record
	Components []string
	// DeclarePage is the page of the first mapped component: the declare
	// link goes there.
	DeclarePage string
	// Entries are what happened to the item while it waited.
	Entries []*status.IntakeEntry
	// Plan, when set, asks to confirm a dismissal: where it will go.
	Plan *status.DismissalPlan
	// Now is the service clock's time the page was read at: whether the
	// dismissal can still be undone.
	Now time.Time
}

// CanUndo reports whether the item's dismissal can be undone now.
func (d intakeItemPage) CanUndo() bool { return status.CanUndoDismissal(d.Item, d.Now) }

// alertsShown is how many alerts an item page lists.
const alertsShown = 1000

// Value returns the submitted value of a form field.
func (d intakeItemPage) Value(name string) string { return d.Form.Get(name) }

// Open reports whether the item still waits for a decision.
func (d intakeItemPage) Open() bool { return d.Item.State == status.IntakeOpen }

// showIntakeItem serves GET /console/inbox/:id.
func (s *Server) showIntakeItem(c *fiber.Ctx) error {
	d, err := s.intakeItemData(c, url.Values{}, nil)
	if err != nil {
		return err
	}
	switch {
	case c.Query("recorded") != "":
		d.Flash = "The call was recorded."
	case c.Query("acknowledged") != "":
		d.Flash = "Acknowledged."
	case c.Query("dismissed") != "" && d.Item.State == status.IntakeDismissed:
		d.Flash = "Closed as not an incident. " + forwardedSentence(d.Item, s.deps.Service.Intake.Forwarding())
	case c.Query("undone") != "" && d.Item.State == status.IntakeOpen:
		d.Flash = "The dismissal was undone: the item is open again."
	}
	return s.renderConsole(c, fiber.StatusOK, "console/intake_item.html", d)
}

// renderIntakeItem shows the item page again with a refused form.
func (s *Server) renderIntakeItem(c *fiber.Ctx, code int, form url.Values, fields map[string]string) error {
	d, err := s.intakeItemData(c, form, fields)
	if err != nil {
		return err
	}
	return s.renderConsole(c, code, "console/intake_item.html", d)
}

// intakeItemData loads the item of the :id parameter with its customer,
// the incident it went to and, for a writer looking at an open item, the
// choices of the decision forms.
func (s *Server) intakeItemData(c *fiber.Ctx, form url.Values, fields map[string]string) (intakeItemPage, error) {
	ctx, svc := c.UserContext(), s.deps.Service
	base := s.consoleBase(c)
	d := intakeItemPage{consoleBase: base, CanWrite: userCanWrite(base.User), Form: form, Fields: fields, Loc: s.consoleLoc(c),
		Now: svc.Now()}
	var err error
	if d.Item, err = svc.Intake.Item(ctx, c.Params("id")); err != nil {
		return d, err
	}
	if d.Item.CustomerID != "" {
		switch d.Customer, err = svc.Customers.ByID(ctx, d.Item.CustomerID); {
		case status.KindOf(err) == status.KindNotFound:
			d.Customer = nil // deleted since: shown as unknown
		case err != nil:
			return d, err
		}
	}
	if d.Item.IncidentID != "" {
		switch d.Incident, err = svc.Incidents.ByID(ctx, d.Item.PageID, d.Item.IncidentID); {
		case status.KindOf(err) == status.KindNotFound:
			d.Incident = nil
		case err != nil:
			return d, err
		}
		if d.Incident != nil {
			if d.LinkedPage, err = svc.Pages.ByID(ctx, d.Item.PageID); err != nil {
				return d, err
			}
		}
	}
	if d.Entries, err = svc.Intake.Entries(ctx, d.Item.ID); err != nil {
		return d, err
	}
	if err := s.alertItemData(c, &d); err != nil {
		return d, err
	}
	if !d.Open() || !d.CanWrite {
		return d, nil
	}
	if d.Pages, err = svc.Pages.List(ctx); err != nil {
		return d, err
	}
	d.Choices, err = s.attachChoices(c, d.Pages, d.Item)
	return d, err
}

// alertItemData loads an alert item's alerts and names its components.
func (s *Server) alertItemData(c *fiber.Ctx, d *intakeItemPage) error {
	if d.Item.Source != status.IntakeAlert || s.deps.Alerts == nil {
		return nil
	}
	ctx := c.UserContext()
	var err error
	if d.Alerts, err = s.deps.Alerts.Alerts(ctx, d.Item.ID, alertsShown); err != nil {
		return err
	}
	for _, id := range d.Item.ComponentIDs() {
		cm, err := s.deps.Service.Pages.Component(ctx, id)
		if status.KindOf(err) == status.KindNotFound {
			continue // deleted since
		}
		if err != nil {
			return err
		}
		p, err := s.deps.Service.Pages.ByID(ctx, cm.PageID)
		if err != nil {
			return err
		}
		if d.DeclarePage == "" {
			d.DeclarePage = p.ID
		}
		d.Components = append(d.Components, p.Name+" · "+cm.Name)
	}
	return nil
}

// attachChoices lists the open incidents of every page: first those
// affecting the item's customer or the components its alerts map to, then
// those whose affected components the
// item's text names ("is the API down?"), then the rest.
func (s *Server) attachChoices(c *fiber.Ctx, pages []*status.Page, item *status.IntakeItem) ([]intakeChoice, error) {
	ctx, svc := c.UserContext(), s.deps.Service
	customerID := item.CustomerID
	text := strings.ToLower(item.Title + "\n" + item.Body)
	open := true
	var out []intakeChoice
	for _, p := range pages {
		incs, err := svc.Incidents.List(ctx, status.IncidentFilter{PageID: p.ID, Open: &open, Limit: 1000})
		if err != nil {
			return nil, err
		}
		if len(incs) == 0 {
			continue
		}
		comps, err := svc.Pages.Components(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		names := map[string]string{}
		for _, cm := range comps {
			names[cm.ID] = cm.Name
		}
		mapped := item.ComponentIDs()
		for _, inc := range incs {
			ch := intakeChoice{Page: p, Incident: inc}
			for _, ic := range inc.Components {
				if slices.Contains(mapped, ic.ComponentID) {
					ch.Shares = names[ic.ComponentID]
					break
				}
			}
			for _, ic := range inc.Components {
				if name := names[ic.ComponentID]; len(name) >= 3 && mentions(text, strings.ToLower(name)) {
					ch.Mentions = name
					break
				}
			}
			if customerID != "" {
				cus, err := svc.Incidents.Customers(ctx, inc.ID)
				if err != nil {
					return nil, err
				}
				for _, cu := range cus {
					if cu.ID == customerID {
						ch.Affects = true
					}
				}
			}
			out = append(out, ch)
		}
	}
	rank := func(ch intakeChoice) int {
		switch {
		case ch.Affects, ch.Shares != "":
			return 0
		case ch.Mentions != "":
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

// mentions reports whether text names name as a word of its own.
func mentions(text, name string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		i = start + 1
	}
}

func isWordRune(r rune) bool {
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// attachIntakeItem serves POST /console/inbox/:id/attach: the item goes
// on the chosen open incident's timeline.
func (s *Server) attachIntakeItem(c *fiber.Ctx) error {
	ctx := c.UserContext()
	item, err := s.deps.Service.Intake.Item(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	form := formValues(c)
	pageID, incidentID, ok := strings.Cut(form.Get("incident"), "/")
	if !ok || !status.ValidID(pageID) || !status.ValidID(incidentID) {
		return s.renderIntakeItem(c, fiber.StatusUnprocessableEntity, form, map[string]string{"incident": "choose an open incident"})
	}
	err = s.deps.Service.Intake.Attach(ctx, item.ID, pageID, incidentID)
	if status.KindOf(err) == status.KindNotFound {
		// The item was there a moment ago: it is the incident (or its
		// page) that is not.
		return s.renderIntakeItem(c, fiber.StatusUnprocessableEntity, form,
			map[string]string{"incident": "that incident does not exist (any more); choose another"})
	}
	if status.KindOf(err) == status.KindConflict {
		// A resolved incident is a problem of the choice, shown beside
		// it; an item decided meanwhile is not.
		if now, lerr := s.deps.Service.Intake.Item(ctx, item.ID); lerr == nil && now.State == status.IntakeOpen {
			return s.renderIntakeItem(c, fiber.StatusConflict, form, map[string]string{"incident": status.Message(err)})
		}
	}
	if err != nil {
		return err
	}
	return c.Redirect(incidentURL(pageID, incidentID)+"#timeline", fiber.StatusSeeOther)
}

// intakeIncidentSource is the incident source an item's source stands for.
func intakeIncidentSource(src status.IntakeSource) status.Source {
	switch src {
	case status.IntakeEmail:
		return status.SourceEmail
	case status.IntakePhone:
		return status.SourcePhone
	case status.IntakePortal:
		return status.SourceTicket
	case status.IntakeAlert:
		return status.SourceMonitoring
	}
	return status.SourceOther
}

// intakeSender names who sent an item: the name, then the address or
// number in brackets.
func intakeSender(item *status.IntakeItem) string {
	contact := item.SenderEmail
	if contact == "" {
		contact = item.SenderPhone
	}
	switch {
	case item.SenderName == "":
		return contact
	case contact == "":
		return item.SenderName
	}
	return item.SenderName + " (" + contact + ")"
}

// prefillFromIntake fills the declare form from the open inbox item id,
// for GET /console/incidents/new?intake=ID. It returns a notice instead
// when the item is unknown or was decided already, and leaves the form
// as it was.
func (s *Server) prefillFromIntake(c *fiber.Ctx, form url.Values, id string) (string, error) {
	item, err := s.deps.Service.Intake.Item(c.UserContext(), id)
	if status.KindOf(err) == status.KindNotFound {
		return "There is no such inbox item; the form is not filled from it.", nil
	}
	if err != nil {
		return "", err
	}
	if item.State != status.IntakeOpen {
		return "That inbox item was " + string(item.State) + " already; the form is not filled from it.", nil
	}
	form.Set("intake", item.ID)
	form.Set("title", item.Title)
	form.Set("summary", item.Body)
	form.Set("source", string(intakeIncidentSource(item.Source)))
	form.Set("source_reference", item.Reference)
	form.Set("caller", status.Cut(intakeSender(item), status.MaxNameLen, ""))
	if item.CustomerID != "" {
		form.Set("customer", item.CustomerID)
	}
	if item.Source == status.IntakeAlert {
		prefillFromAlerts(form, item)
	}
	return "", nil
}

// prefillFromAlerts fills what an alert item suggests: its link as the
// source reference, its severity, and its components, down as badly as
// the severity says.
func prefillFromAlerts(form url.Values, item *status.IntakeItem) {
	form.Set("caller", status.Cut(item.RecordedBy, status.MaxNameLen, ""))
	if item.Link != "" {
		form.Set("source_reference", status.Cut(item.Link, status.MaxShortLen, ""))
	}
	if item.Severity.Valid() {
		form.Set("severity", string(item.Severity))
	}
	down := status.PartialOutage
	if item.Severity == status.SeverityMajor || item.Severity == status.SeverityBusinessContinuity {
		down = status.MajorOutage
	}
	for _, id := range item.ComponentIDs() {
		form.Set("component."+id, string(down))
	}
}
