package status

import (
	"slices"
	"strings"
	"time"
)

// AudienceKind names who reads an output.
type AudienceKind string

// Audience kinds, widest first.
const (
	AudiencePublic   AudienceKind = "public"
	AudienceCustomer AudienceKind = "customer"
	AudienceInternal AudienceKind = "internal"
)

// Audience is who an output is for: the public, one customer, or the team.
// Every output of Herald is rendered from a view for one audience
// (PageView, IncidentView); the view decides what may be shown, the output
// only formats it.
//
//	content                                  public  customer C  internal
//	public incident: public title, updates     yes      yes        yes
//	the team's title of a retitled incident    no       if C's     yes
//	customers-only update of an incident       no       if C's     yes
//	the record's contact (ContactOf)        with the incident     yes
//	the rest of the record, notes, timeline    no       no         yes
//	roles                                      no       no         yes
//	internal incident and its updates          no       no         yes
//	hidden components                          no       no         yes
//	public post-mortem (published)             yes      yes        yes
//	internal post-mortem, drafts               no       no         yes
//
// A component's status differs by audience too: the public status comes
// from public incidents, maintenance and hand-set status only; a customer's
// adds the customers-only incidents that customer is affected by; internal
// incidents change neither.
type Audience struct {
	Kind AudienceKind
	// CustomerID is the customer, for AudienceCustomer.
	CustomerID string
}

// Public is the audience of the public status page.
func Public() Audience { return Audience{Kind: AudiencePublic} }

// CustomerAudience is one customer's audience: their contacts' emails and
// private links.
func CustomerAudience(customerID string) Audience {
	return Audience{Kind: AudienceCustomer, CustomerID: customerID}
}

// Internal is the team's audience: the console and the admin API.
func Internal() Audience { return Audience{Kind: AudienceInternal} }

// String names the audience for logs and tests.
func (a Audience) String() string {
	if a.Kind == AudienceCustomer {
		return "customer " + a.CustomerID
	}
	return string(a.Kind)
}

// Label is the audience in words, for people.
func (v Visibility) Label() string {
	switch v {
	case VisibilityPublic:
		return "Public"
	case VisibilityCustomers:
		return "Affected customers"
	case VisibilityInternal:
		return "Internal"
	}
	return string(v)
}

// Wider reports whether v reaches more people than w (public is wider than
// customers, customers wider than internal).
func (v Visibility) Wider(w Visibility) bool { return v.rank() > w.rank() }

func (v Visibility) rank() int {
	switch v {
	case VisibilityPublic:
		return 2
	case VisibilityCustomers:
		return 1
	}
	return 0
}

// sees reports whether the audience may see content posted for vis on an
// incident linked to the given customers.
func (a Audience) sees(vis Visibility, linked []string) bool {
	switch a.Kind {
	case AudienceInternal:
		return true
	case AudiencePublic:
		return vis == VisibilityPublic
	case AudienceCustomer:
		switch vis {
		case VisibilityPublic:
			return true
		case VisibilityCustomers:
			return a.CustomerID != "" && slices.Contains(linked, a.CustomerID)
		}
	}
	return false
}

// affected reports whether the audience is the team or one of the
// customers an incident affects.
func (a Audience) affected(linked []string) bool {
	return a.Kind == AudienceInternal || a.Kind == AudienceCustomer && slices.Contains(linked, a.CustomerID)
}

// IncidentView is what one audience sees of an incident: no record fields,
// no notes, no staff names, no drafts, no hidden components, and only the
// updates posted for that audience. It is built only by see.
type IncidentView struct {
	ID     string
	PageID string
	// Title is the public title for the public, the incident's title for
	// the team and its customers.
	Title        string
	Severity     Severity
	State        State
	Public       bool // the incident is on the public page
	StartedAt    time.Time
	MonitoringAt *time.Time
	ResolvedAt   *time.Time
	CreatedAt    time.Time
	// UpdatedAt is the last change this audience can see.
	UpdatedAt time.Time
	// NextUpdateAt is the promised time of the next update while the
	// incident is open; NextUpdateLate is set when that time had passed
	// when the view was read, so outputs say an update is on its way
	// instead of showing a time gone by as if it were to come.
	NextUpdateAt   *time.Time
	NextUpdateLate bool
	// Affected names the affected components this audience may see, in
	// the page's order, on every update (not only those that change one).
	Affected []string
	// Contact is whom to ask about the incident: the record's contact,
	// else the page's support address, else its support URL; empty when
	// there is none.
	Contact string
	// Postmortem is the published post-mortem.
	Postmortem   string
	PostmortemAt *time.Time
	// Updates this audience may see, newest first.
	Updates []*UpdateView
	// Components affected, visible ones only, with the status the incident
	// gives each.
	Components []*IncidentComponent
}

// UpdateView is one update as an audience sees it.
type UpdateView struct {
	ID         string
	State      State
	Kind       UpdateKind
	ETA        *time.Time
	Resolution Resolution
	Body       string
	Notify     bool
	Visibility Visibility
	// Components are the visible components the update changed.
	Components []ComponentChange
	CreatedAt  time.Time
	DisplayAt  time.Time
}

// Reference is the incident's reference in email subjects.
func (v *IncidentView) Reference() string { return "INC-" + v.ID }

// StatuspageStatus is the incident's status in Statuspage's API, which has
// "postmortem" once a post-mortem is published.
func (v *IncidentView) StatuspageStatus() string {
	if v.State == StateResolved && v.PostmortemAt != nil {
		return "postmortem"
	}
	return v.State.Statuspage()
}

// Update returns the update with the id, or nil when the audience may not
// see it.
func (v *IncidentView) Update(id string) *UpdateView {
	for _, u := range v.Updates {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// First reports whether u is the first update this audience saw, which
// starts an email thread.
func (v *IncidentView) First(u *UpdateView) bool {
	return len(v.Updates) > 0 && v.Updates[len(v.Updates)-1] == u
}

// sight is what an incident is seen with besides itself: its page (for
// the support address), the page's components in order, which of them the
// audience may see, and when the view is read.
type sight struct {
	page       *Page        // nil: no support address to fall back on
	components []*Component // nil: no names for Affected
	visible    func(componentID string) bool
	now        time.Time // zero: the next update is never late
}

// see is the one place that decides what audience a sees of inc (loaded
// with its updates and components). linked are the ids of the customers the
// incident affects; at says which components the audience may see, and
// with what page and time the view is read. It returns nil when the
// audience may not see the incident at all.
func see(a Audience, inc *Incident, linked []string, at sight) *IncidentView {
	if !a.sees(inc.Visibility, linked) {
		return nil
	}
	visible := at.visible
	v := &IncidentView{ID: inc.ID, PageID: inc.PageID, Title: inc.Title, Severity: inc.Severity, State: inc.State,
		Public: inc.Public(), StartedAt: inc.StartedAt, MonitoringAt: inc.MonitoringAt, ResolvedAt: inc.ResolvedAt,
		CreatedAt: inc.CreatedAt, UpdatedAt: inc.UpdatedAt, Contact: ContactOf(inc, at.page)}
	if inc.State.Open() && inc.NextUpdateAt != nil {
		v.NextUpdateAt = inc.NextUpdateAt
		v.NextUpdateLate = !at.now.IsZero() && !at.now.Before(*inc.NextUpdateAt)
	}
	if inc.PublicTitle != "" && !a.affected(linked) {
		// Only the team and the incident's own customers read the
		// team's title, which may name a customer.
		v.Title = inc.PublicTitle
	}
	if inc.PostmortemAt != nil {
		v.Postmortem, v.PostmortemAt = inc.Postmortem, inc.PostmortemAt
	}
	for _, ic := range inc.Components {
		if visible(ic.ComponentID) {
			v.Components = append(v.Components, &IncidentComponent{IncidentID: ic.IncidentID, ComponentID: ic.ComponentID, Status: ic.Status})
		}
	}
	for _, c := range at.components {
		if visible(c.ID) && slices.ContainsFunc(v.Components, func(ic *IncidentComponent) bool { return ic.ComponentID == c.ID }) {
			v.Affected = append(v.Affected, c.Name)
		}
	}
	for _, u := range inc.Updates {
		if !a.sees(u.Visibility, linked) {
			continue
		}
		uv := &UpdateView{ID: u.ID, State: u.State, Kind: u.Kind, ETA: u.ETA, Resolution: u.Resolution, Body: u.Body,
			Notify: u.Notify, Visibility: u.Visibility, CreatedAt: u.CreatedAt, DisplayAt: u.DisplayAt,
			Components: []ComponentChange{}}
		for _, ch := range u.Components {
			// A resolution never shows a component getting worse.
			worseOnResolve := u.State == StateResolved && ch.NewStatus.Rank() > ch.OldStatus.Rank()
			if visible(ch.ComponentID) && !worseOnResolve {
				uv.Components = append(uv.Components, ch)
			}
		}
		v.Updates = append(v.Updates, uv)
	}
	if a.Kind != AudienceInternal {
		// Only changes this audience can see move its times on.
		v.UpdatedAt = v.CreatedAt
		if inc.PublicUpdatedAt != nil && inc.Public() {
			v.UpdatedAt = *inc.PublicUpdatedAt
		}
		if len(v.Updates) > 0 && v.Updates[0].CreatedAt.After(v.UpdatedAt) {
			v.UpdatedAt = v.Updates[0].CreatedAt
		}
	}
	return v
}

// ContactOf is whom to ask about inc, as every customer-facing update
// says (DESIGN.md §1): the record's contact when it names one, else the
// page's support address, else its support URL; empty when there is none.
// p may be nil (no page to fall back on).
func ContactOf(inc *Incident, p *Page) string {
	if c := strings.TrimSpace(inc.Contact); c != "" {
		return c
	}
	if p == nil {
		return ""
	}
	if p.SupportEmail != "" {
		return p.SupportEmail
	}
	return p.SupportURL
}
