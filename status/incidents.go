package status

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// maxBackdate is how far back an incident's start may be recorded.
const maxBackdate = 366 * 24 * time.Hour

// checkStart refuses start times in the future or implausibly far back.
func checkStart(f FieldErrors, started, now time.Time) {
	switch {
	case started.After(now.Add(clockSkew)):
		f.Add("started_at", "must not be in the future")
	case started.Before(now.Add(-maxBackdate)):
		f.Add("started_at", "must be within the last year")
	}
}

// clockSkew is how far in the future a "when it started" time may lie
// before it is refused: clocks of people and machines disagree a little.
const clockSkew = 2 * time.Minute

// ComponentStatusInput sets one component's status.
type ComponentStatusInput struct {
	ComponentID string
	Status      ComponentStatus
}

// IncidentInput describes a new incident and its first update.
type IncidentInput struct {
	Title      string
	Severity   Severity
	Visibility Visibility
	State      State      // default investigating
	StartedAt  *time.Time // default now
	Components []ComponentStatusInput
	Body       string     // the first customer-facing message
	Kind       UpdateKind // of the first update; default analysis
	ETA        *time.Time // for a first update of kind eta
	Resolution Resolution // for a first update of kind resolution
	Author     string
	Notify     *bool      // default true
	NextUpdate *time.Time // promised next customer update; default in 30 minutes

	// The incident record.
	Summary           string
	Source            Source
	SourceReference   string
	Caller            string
	Reproduce         string
	Contact           string
	AffectedCustomers string

	// Customers are the ids of the customers the incident affects, linked
	// in the same transaction so that the first update reaches their
	// contacts.
	Customers []string
	// IntakeID names the triage item the incident is declared from: it is
	// marked declared, and what it says goes on the timeline.
	IntakeID string

	// Security marks an information-security incident or a
	// vulnerability; with no Visibility given it makes the incident
	// internal (see DefaultVisibility). Without it, Visibility is
	// required.
	Security SecurityKind
	// VideoRoom is the incident's own video room, when not the page's.
	VideoRoom string
}

func (in *IncidentInput) checkRecord(f FieldErrors) {
	checkText(f, "summary", in.Summary, MaxBodyLen, false, true)
	if !in.Source.Valid() {
		f.Add("source", OneOf(Sources))
	}
	checkText(f, "source_reference", in.SourceReference, MaxShortLen, false, false)
	checkText(f, "caller", in.Caller, MaxNameLen, false, false)
	checkText(f, "reproduce", in.Reproduce, MaxBodyLen, false, true)
	checkText(f, "contact", in.Contact, MaxNameLen, false, false)
	checkText(f, "affected_customers", in.AffectedCustomers, MaxShortLen, false, true)
	if !in.Security.Valid() {
		f.Add("security", OneOf(SecurityKinds))
	}
	checkURL(f, "video_room", strings.TrimSpace(in.VideoRoom))
}

// UpdateInput describes an update to an incident.
type UpdateInput struct {
	State      State // default: unchanged
	Kind       UpdateKind
	ETA        *time.Time
	Resolution Resolution
	Body       string
	Author     string
	Notify     *bool // default true
	Components []ComponentStatusInput
	// NextUpdate is the promised next customer update; default in 30
	// minutes. Ignored when the update resolves the incident.
	NextUpdate *time.Time
	// Version, when not zero, is the incident version the form was based
	// on: if the incident changed since, the update is refused.
	Version int
}

func (in *UpdateInput) validate(f FieldErrors, now time.Time) {
	if in.State != "" && !in.State.Valid() {
		f.Add("state", OneOf(States))
	}
	if !in.Kind.Valid() {
		f.Add("kind", OneOf(UpdateKinds))
	}
	checkText(f, "body", in.Body, MaxBodyLen, true, true)
	checkText(f, "author", in.Author, MaxNameLen, false, false)
	switch {
	case in.Kind == KindETA && in.ETA == nil:
		f.Add("eta", "is required for an ETA update")
	case in.ETA != nil && in.ETA.Before(now):
		f.Add("eta", "must be in the future")
	case in.ETA != nil && in.ETA.After(now.AddDate(1, 0, 0)):
		f.Add("eta", "must be within a year")
	}
	switch {
	case in.Kind == KindResolution && in.Resolution != ResolutionTemporary && in.Resolution != ResolutionPermanent:
		f.Add("resolution", "must be temporary or permanent for a resolution update")
	case in.Kind != KindResolution && in.Resolution != ResolutionNone:
		f.Add("resolution", "is only for resolution updates")
	}
	checkComponentInputs(f, in.Components)
	if in.NextUpdate != nil && in.State != StateResolved {
		switch {
		case !in.NextUpdate.After(now):
			f.Add("next_update", "must be in the future")
		case in.NextUpdate.After(now.Add(MaxNextUpdateAhead)):
			f.Add("next_update", "must be within 24 hours")
		}
	}
}

func checkComponentInputs(f FieldErrors, cs []ComponentStatusInput) {
	if len(cs) > 500 {
		f.Add("components", "at most 500 components")
		return
	}
	seen := map[string]bool{}
	for i, c := range cs {
		key := fmt.Sprintf("components[%d]", i)
		if !ValidID(c.ComponentID) {
			f.Add(key+".id", "is not a valid id")
		}
		if !c.Status.Valid() {
			f.Add(key+".status", OneOf(ComponentStatuses))
		}
		if seen[c.ComponentID] {
			f.Add(key+".id", "is listed twice")
		}
		seen[c.ComponentID] = true
	}
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// Declare opens an incident on a page with its first update and sets
// the affected components' statuses.
func (s *Incidents) Declare(ctx context.Context, pageID string, in IncidentInput) (*Incident, error) {
	now := s.Now()
	if in.State == "" {
		in.State = StateInvestigating
	}
	if in.Kind == "" {
		in.Kind = KindAnalysis
	}
	f := FieldErrors{}
	checkText(f, "title", in.Title, MaxNameLen, true, false)
	if !in.Severity.Valid() {
		f.Add("severity", OneOf(Severities))
	}
	if in.Visibility == "" && in.Security != SecurityNone {
		in.Visibility = DefaultVisibility(in.Security)
	}
	if !in.Visibility.Valid() {
		f.Add("visibility", OneOf(Visibilities))
	}
	started := now
	if in.StartedAt != nil {
		started = in.StartedAt.UTC().Truncate(time.Microsecond)
		checkStart(f, started, now)
	}
	upd := UpdateInput{State: in.State, Kind: in.Kind, ETA: in.ETA, Resolution: in.Resolution, Body: in.Body,
		Author: in.Author, Notify: in.Notify, Components: in.Components, NextUpdate: in.NextUpdate}
	upd.validate(f, now)
	in.checkRecord(f)
	checkCustomerIDs(f, in.Customers)
	if err := f.Err(); err != nil {
		return nil, err
	}
	inc := &Incident{ID: NewID(), PageID: pageID, Title: strings.TrimSpace(in.Title), Severity: in.Severity,
		State: in.State, Visibility: in.Visibility, StartedAt: started, CreatedAt: now, UpdatedAt: now,
		Summary: in.Summary, Source: in.Source, SourceReference: strings.TrimSpace(in.SourceReference),
		Caller: strings.TrimSpace(in.Caller), Reproduce: in.Reproduce, Contact: strings.TrimSpace(in.Contact),
		AffectedCustomers: in.AffectedCustomers, DeclaredBy: strings.TrimSpace(in.Author), Version: 0,
		Security: in.Security, VideoRoom: strings.TrimSpace(in.VideoRoom)}
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		page, err := pageByID(ctx, tx, pageID)
		if err != nil {
			return err
		}
		inc.OutOfHours = !page.Office.Open(now, page.Location())
		// Inserted as investigating; applyUpdate moves it to the first
		// update's state with that state's side effects.
		inc.State = StateInvestigating
		if err := giveChannel(ctx, tx, inc); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(inc).Exec(ctx); err != nil {
			return fmt.Errorf("insert incident: %w", err)
		}
		if started.Before(now) {
			if err := addTimeline(ctx, tx, inc.ID, TimelineDeclared, in.Author, started, now, plain(MsgIncidentStarted)); err != nil {
				return err
			}
		}
		if err := addTimeline(ctx, tx, inc.ID, TimelineDeclared, in.Author, now, now,
			msgIncidentDeclared(inc.Severity, inc.Title, inc.Visibility)); err != nil {
			return err
		}
		if err := declaredNotes(ctx, tx, inc, page, in.Author, now); err != nil {
			return err
		}
		if in.IntakeID != "" {
			if err := declaredFromIntake(ctx, tx, in.IntakeID, inc, now); err != nil {
				return err
			}
		}
		if len(in.Customers) > 0 {
			if err := checkCustomersExist(ctx, tx, in.Customers); err != nil {
				return err
			}
			if err := s.moveIncidentCustomers(ctx, tx, inc, nil, in.Customers, nil); err != nil {
				return err
			}
		}
		first, err := s.applyUpdate(ctx, tx, inc, upd, now)
		if err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "create", SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			After: withUpdate{inc, first}})
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, pageID, inc.ID)
}

// PostUpdate adds an update to an incident: it moves the incident to the
// update's state, applies component changes and tells the Notifier. Posting
// "resolved" sets every affected component that the update does not set
// itself back to operational, unless another open incident still holds it.
func (s *Incidents) PostUpdate(ctx context.Context, pageID, incidentID string, in UpdateInput) (*IncidentUpdate, error) {
	now := s.Now()
	if in.Kind == "" {
		in.Kind = KindGeneral
	}
	f := FieldErrors{}
	in.validate(f, now)
	if err := f.Err(); err != nil {
		return nil, err
	}
	var upd *IncidentUpdate
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != inc.Version {
			return Errorf(KindConflict, "Someone else changed this incident meanwhile. Reload it, check what changed, and post again.")
		}
		if in.State == "" {
			in.State = inc.State
		}
		if in.State == StateResolved {
			if err := closingGate(inc, now); err != nil {
				return err
			}
		}
		before := *inc
		if upd, err = s.applyUpdate(ctx, tx, inc, in, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "post_update", SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			Before: before, After: withUpdate{inc, upd}})
	})
	if err != nil {
		return nil, err
	}
	return upd, nil
}

// withUpdate is how the audit log shows an incident with the update that
// changed it.
type withUpdate struct {
	*Incident
	Update *IncidentUpdate
}

// applyUpdate records an update and its consequences on inc inside tx.
func (s *core) applyUpdate(ctx context.Context, tx bun.Tx, inc *Incident, in UpdateInput, now time.Time) (*IncidentUpdate, error) {
	changes, err := s.applyComponentStatuses(ctx, tx, inc, in.Components, now)
	if err != nil {
		return nil, err
	}
	wasOpen, oldState := inc.State.Open(), inc.State
	inc.State = in.State
	if in.State == StateObserving && inc.MonitoringAt == nil {
		inc.MonitoringAt = &now
	}
	switch {
	case in.State == StateResolved && wasOpen:
		inc.ResolvedAt = &now
		restored, err := restoreComponents(ctx, tx, inc, in.Components, now)
		if err != nil {
			return nil, err
		}
		changes = append(changes, restored...)
	case in.State.Open() && !wasOpen:
		inc.ResolvedAt = nil // reopened
	}
	switch {
	case !in.State.Open():
		inc.NextUpdateAt = nil
	case in.NextUpdate != nil:
		next := in.NextUpdate.UTC().Truncate(time.Microsecond)
		inc.NextUpdateAt = &next
	case boolOr(in.Notify, true) || inc.NextUpdateAt == nil:
		// A customer-facing update restarts the cadence; a silent one
		// (a typo fix) keeps the promise already made.
		next := now.Add(DefaultCadence)
		inc.NextUpdateAt = &next
	}
	inc.UpdatedAt = now
	inc.Version++
	if _, err := tx.NewUpdate().Model(inc).Column("state", "monitoring_at", "resolved_at", "next_update_at", "version", "updated_at").WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("update incident %s: %w", inc.ID, err)
	}
	var eta *time.Time
	if in.ETA != nil {
		t := in.ETA.UTC().Truncate(time.Microsecond)
		eta = &t
	}
	if changes == nil {
		changes = []ComponentChange{}
	}
	upd := &IncidentUpdate{ID: NewID(), IncidentID: inc.ID, State: in.State, Kind: in.Kind, ETA: eta,
		Resolution: in.Resolution, Body: in.Body, Author: strings.TrimSpace(in.Author), Notify: boolOr(in.Notify, true),
		Visibility: inc.Visibility, Components: changes, CreatedAt: now, DisplayAt: now}
	if _, err := tx.NewInsert().Model(upd).Exec(ctx); err != nil {
		return nil, fmt.Errorf("insert update: %w", err)
	}
	if err := timelineForUpdate(ctx, tx, inc, upd, oldState, now); err != nil {
		return nil, err
	}
	if inc.Public() {
		if err := touchPublic(ctx, tx, inc, now); err != nil {
			return nil, err
		}
	}
	if err := s.notify.IncidentUpdated(ctx, &Tx{Tx: tx, s: s.svc}, inc, upd); err != nil {
		return nil, fmt.Errorf("notify update of incident %s: %w", inc.ID, err)
	}
	return upd, nil
}

// applyComponentStatuses records the given components (all on inc's page)
// as affected by inc with the status each gets. Only a public incident
// changes a component's public status; a customers-only or internal
// incident holds its components in its own rows, which the views of the
// audiences that see it add (see PageView). The changes returned are what
// the update shows: for a public incident the public status, for another
// the status the incident held before.
func (s *core) applyComponentStatuses(ctx context.Context, tx bun.IDB, inc *Incident, in []ComponentStatusInput, now time.Time) ([]ComponentChange, error) {
	held, err := heldStatuses(ctx, tx, inc.ID)
	if err != nil {
		return nil, err
	}
	var changes []ComponentChange
	for i, cs := range in {
		c, err := componentOnPage(ctx, tx, inc.PageID, cs.ComponentID)
		if KindOf(err) == KindNotFound {
			return nil, FieldError(fmt.Sprintf("components[%d].id", i), "no such component on this page")
		}
		if err != nil {
			return nil, err
		}
		ic := &IncidentComponent{IncidentID: inc.ID, ComponentID: c.ID, Status: cs.Status}
		if _, err := tx.NewInsert().Model(ic).On("CONFLICT (incident_id, component_id) DO UPDATE").Set("status = EXCLUDED.status").Exec(ctx); err != nil {
			return nil, fmt.Errorf("record affected component: %w", err)
		}
		if !inc.Public() {
			old, ok := held[c.ID]
			if !ok {
				old = c.Status
			}
			if old != cs.Status {
				changes = append(changes, ComponentChange{ComponentID: c.ID, Name: c.Name, OldStatus: old, NewStatus: cs.Status})
			}
			continue
		}
		if c.Status == cs.Status {
			continue
		}
		changes = append(changes, ComponentChange{ComponentID: c.ID, Name: c.Name, OldStatus: c.Status, NewStatus: cs.Status})
		if err := saveStatus(ctx, tx, c, cs.Status, now); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// heldStatuses returns the status an incident gives each component it
// affects.
func heldStatuses(ctx context.Context, tx bun.IDB, incidentID string) (map[string]ComponentStatus, error) {
	var ics []*IncidentComponent
	if err := tx.NewSelect().Model(&ics).Where("incident_id = ?", incidentID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load affected components: %w", err)
	}
	out := make(map[string]ComponentStatus, len(ics))
	for _, ic := range ics {
		out[ic.ComponentID] = ic.Status
	}
	return out, nil
}

// restoreComponents settles the components an incident affected when it
// stops holding them (resolved, deleted, or no longer public), leaving out
// those the resolving update sets itself. For a public incident the public
// status falls back to what other public incidents and maintenance hold
// (see settledStatus); for another, its audiences' view falls back to the
// public status. Settling never makes a component worse: a resolution
// never shows a component getting worse.
func restoreComponents(ctx context.Context, tx bun.IDB, inc *Incident, explicit []ComponentStatusInput, now time.Time) ([]ComponentChange, error) {
	skip := map[string]bool{}
	for _, e := range explicit {
		skip[e.ComponentID] = true
	}
	held, err := heldStatuses(ctx, tx, inc.ID)
	if err != nil {
		return nil, err
	}
	var affected []*Component
	if err := tx.NewSelect().Model(&affected).
		Where("id IN (SELECT component_id FROM incident_components WHERE incident_id = ?)", inc.ID).
		Order("position", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load affected components: %w", err)
	}
	var changes []ComponentChange
	for _, c := range affected {
		if skip[c.ID] {
			continue
		}
		if !inc.Public() {
			if h := held[c.ID]; h.Rank() > c.Status.Rank() {
				changes = append(changes, ComponentChange{ComponentID: c.ID, Name: c.Name, OldStatus: h, NewStatus: c.Status})
			}
			continue
		}
		target, err := settledStatus(ctx, tx, c.ID, inc.ID, "")
		if err != nil {
			return nil, err
		}
		if c.Status == target || target.Rank() > c.Status.Rank() {
			continue
		}
		changes = append(changes, ComponentChange{ComponentID: c.ID, Name: c.Name, OldStatus: c.Status, NewStatus: target})
		if err := saveStatus(ctx, tx, c, target, now); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

// publishHeld applies the statuses an open incident holds to the public
// status of its components, when the incident becomes public.
func publishHeld(ctx context.Context, tx bun.IDB, inc *Incident, now time.Time) error {
	held, err := heldStatuses(ctx, tx, inc.ID)
	if err != nil {
		return err
	}
	for id, st := range held {
		c, err := componentOnPage(ctx, tx, inc.PageID, id)
		if err != nil {
			return err
		}
		if st.Rank() > c.Status.Rank() {
			if err := saveStatus(ctx, tx, c, st, now); err != nil {
				return err
			}
		}
	}
	return nil
}

// touchPublic records that something the public sees of inc changed now,
// so the page's public snapshots are rebuilt.
func touchPublic(ctx context.Context, tx bun.IDB, inc *Incident, now time.Time) error {
	inc.PublicUpdatedAt = &now
	if _, err := tx.NewUpdate().Model(inc).Column("public_updated_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update incident %s: %w", inc.ID, err)
	}
	return bumpPage(ctx, tx, inc.PageID, now)
}

// ErrIncidentChanged refuses a change based on an older version of an
// incident (KindConflict).
var ErrIncidentChanged = Errorf(KindConflict, "Someone else changed this incident meanwhile. Reload it, check what changed, and save again.")

// IncidentPatch changes an incident's descriptive fields.
type IncidentPatch struct {
	Title *string
	// PublicTitle is the title the public sees; empty means Title.
	PublicTitle *string
	Severity    *Severity
	// Visibility changes who sees the incident. Widening it (internal →
	// customers → public) leaves earlier updates with the audience they
	// were written for, except those listed in PublishUpdates.
	Visibility *Visibility
	// PublishUpdates are ids of earlier updates that go to the new, wider
	// audience with the incident.
	PublishUpdates []string
	StartedAt      *time.Time
	// Postmortem publishes the public post-mortem (empty withdraws it); see
	// SavePostmortem for drafts and the internal one.
	Postmortem *string

	// The record's fields.
	Summary           *string
	Reproduce         *string
	Contact           *string
	AffectedCustomers *string

	// AutoHolding turns the automatic holding update on or off.
	AutoHolding *bool

	// Security marks or unmarks the incident as a security matter.
	Security *SecurityKind
	// VideoRoom sets the incident's own video room; empty means the
	// page's.
	VideoRoom *string
	// ContactChannels and NextContactAt are what was agreed with the
	// affected customers: how to keep in touch, and when next. A changed
	// next contact time must be in the future, within a week; a pointer
	// to nil clears it.
	ContactChannels *ContactChannels
	NextContactAt   **time.Time

	// Version, when not zero, is the incident version the form was based
	// on: if the incident changed since, the patch is refused.
	Version int
}

func (p *IncidentPatch) validate(f FieldErrors, now time.Time) {
	if p.Title != nil {
		checkText(f, "title", *p.Title, MaxNameLen, true, false)
	}
	if p.PublicTitle != nil {
		checkText(f, "public_title", *p.PublicTitle, MaxNameLen, false, false)
	}
	if p.Severity != nil && !p.Severity.Valid() {
		f.Add("severity", OneOf(Severities))
	}
	if p.Visibility != nil && !p.Visibility.Valid() {
		f.Add("visibility", OneOf(Visibilities))
	}
	if len(p.PublishUpdates) > 0 && p.Visibility == nil {
		f.Add("publish_updates", "only with a wider visibility")
	}
	if len(p.PublishUpdates) > 1000 {
		f.Add("publish_updates", "at most 1000 updates")
	}
	for _, id := range p.PublishUpdates {
		if !ValidID(id) {
			f.Add("publish_updates", "lists an update that is not an update of this incident")
			break
		}
	}
	if p.StartedAt != nil {
		checkStart(f, *p.StartedAt, now)
	}
	if p.Postmortem != nil {
		checkText(f, "postmortem", *p.Postmortem, MaxBodyLen, false, true)
	}
	rec := IncidentInput{Source: SourceNone, Summary: deref(p.Summary), Reproduce: deref(p.Reproduce),
		Contact: deref(p.Contact), AffectedCustomers: deref(p.AffectedCustomers), VideoRoom: deref(p.VideoRoom)}
	if p.Security != nil {
		rec.Security = *p.Security
	}
	rec.checkRecord(f)
	if p.ContactChannels != nil {
		checkContactChannels(f, *p.ContactChannels)
	}
}

// MaxNextContactAhead is how far ahead a next contact time may be set.
const MaxNextContactAhead = 7 * 24 * time.Hour

func checkNextContact(next *time.Time, now time.Time) error {
	switch {
	case next == nil:
		return nil
	case !next.After(now):
		return FieldError("next_contact_at", "must be in the future")
	case next.After(now.Add(MaxNextContactAhead)):
		return FieldError("next_contact_at", "must be within a week")
	}
	return nil
}

// declaredNotes writes on a new incident's timeline what the process
// asks the team to know from the start: declared out of hours, a
// security matter.
func declaredNotes(ctx context.Context, tx bun.IDB, inc *Incident, page *Page, actor string, now time.Time) error {
	if inc.OutOfHours {
		if err := addTimeline(ctx, tx, inc.ID, TimelineChange, actor, now, now, msgOutOfHours(page.Office)); err != nil {
			return err
		}
	}
	if inc.Security != SecurityNone {
		return addTimeline(ctx, tx, inc.ID, TimelineChange, actor, now, now, msgSecurityMarked(SecurityNone, inc.Security))
	}
	return nil
}

// Update applies patch to an incident. Widening the visibility of
// a resolved incident is refused (KindConflict): what was said went to the
// audience it was written for. Listed updates that are not the incident's
// are KindInvalid, and nothing is changed.
func (s *Incidents) Update(ctx context.Context, pageID, id string, p IncidentPatch) (*Incident, error) {
	now := s.Now()
	f := FieldErrors{}
	p.validate(f, now)
	if err := f.Err(); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		if p.Version != 0 && p.Version != inc.Version {
			return ErrIncidentChanged
		}
		before := *inc
		if p.Title != nil {
			inc.Title = strings.TrimSpace(*p.Title)
		}
		if p.PublicTitle != nil {
			inc.PublicTitle = strings.TrimSpace(*p.PublicTitle)
		}
		setIf(&inc.Severity, p.Severity)
		setIf(&inc.Visibility, p.Visibility)
		if p.Contact != nil {
			inc.Contact = strings.TrimSpace(*p.Contact)
		}
		setIf(&inc.Summary, p.Summary)
		setIf(&inc.Reproduce, p.Reproduce)
		setIf(&inc.AffectedCustomers, p.AffectedCustomers)
		setIf(&inc.AutoHolding, p.AutoHolding)
		setIf(&inc.Security, p.Security)
		if p.VideoRoom != nil {
			inc.VideoRoom = strings.TrimSpace(*p.VideoRoom)
		}
		if p.ContactChannels != nil {
			inc.ContactChannels = *p.ContactChannels
		}
		if p.NextContactAt != nil {
			next := *p.NextContactAt
			if next != nil {
				t := next.UTC().Truncate(time.Second)
				next = &t
			}
			if !equalTime(next, inc.NextContactAt) {
				if err := checkNextContact(next, now); err != nil {
					return err
				}
			}
			inc.NextContactAt = next
		}
		if p.StartedAt != nil {
			inc.StartedAt = p.StartedAt.UTC().Truncate(time.Microsecond)
			if inc.ResolvedAt != nil && inc.StartedAt.After(*inc.ResolvedAt) {
				return FieldError("started_at", "must be before the incident was resolved")
			}
		}
		if err := changeVisibility(ctx, tx, &before, inc, p.PublishUpdates, now); err != nil {
			return err
		}
		if p.Postmortem != nil {
			action := PostmortemPublish
			if strings.TrimSpace(*p.Postmortem) == "" {
				action = PostmortemUnpublish
			}
			if err := setPostmortem(ctx, tx, inc, PostmortemPublic, action, *p.Postmortem, now); err != nil {
				return err
			}
		}
		page, err := pageByID(ctx, tx, pageID)
		if err != nil {
			return err
		}
		if err := timelineForPatch(ctx, tx, &before, inc, page, now); err != nil {
			return err
		}
		if err := saveIncident(ctx, tx, &before, inc, now); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "update", SubjectType: "incident", SubjectID: id, PageID: pageID, Before: before, After: inc})
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, pageID, id)
}

// saveIncident saves an incident changed from before inside tx: a new
// version, and, when the public sees the difference, a new public time and
// page version (which rebuilds the public snapshots).
func saveIncident(ctx context.Context, tx bun.IDB, before, inc *Incident, now time.Time) error {
	if err := giveChannel(ctx, tx, inc); err != nil {
		return err
	}
	inc.UpdatedAt = now
	inc.Version++
	if publicChange(before, inc) {
		inc.PublicUpdatedAt = &now
		if err := bumpPage(ctx, tx, inc.PageID, now); err != nil {
			return err
		}
	}
	if _, err := tx.NewUpdate().Model(inc).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("save incident %s: %w", inc.ID, err)
	}
	return nil
}

// publicChange reports whether the public sees a difference between old and
// inc: the incident was or is public, and something it shows changed.
func publicChange(old, inc *Incident) bool {
	if !old.Public() && !inc.Public() {
		return false
	}
	return old.Visibility != inc.Visibility || old.Title != inc.Title || old.PublicTitle != inc.PublicTitle ||
		old.Severity != inc.Severity || !old.StartedAt.Equal(inc.StartedAt) || old.Postmortem != inc.Postmortem ||
		!equalTime(old.PostmortemAt, inc.PostmortemAt) || old.Contact != inc.Contact
}

func equalTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}

// changeVisibility carries out a change of audience from old to inc inside
// the patch's transaction: listed earlier updates go to the wider audience,
// an open incident that becomes public sets the public status of its
// components, and one that stops being public gives them back.
func changeVisibility(ctx context.Context, tx bun.IDB, old, inc *Incident, publish []string, now time.Time) error {
	if old.Visibility == inc.Visibility {
		if len(publish) > 0 {
			return FieldError("publish_updates", "only with a wider visibility")
		}
		return nil
	}
	widen := inc.Visibility.Wider(old.Visibility)
	if widen && !inc.State.Open() {
		return errResolvedWidening
	}
	if !widen && len(publish) > 0 {
		return FieldError("publish_updates", "only with a wider visibility")
	}
	if len(publish) > 0 {
		res, err := tx.NewUpdate().Model((*IncidentUpdate)(nil)).Set("visibility = ?", inc.Visibility).
			Where("incident_id = ? AND id IN (?)", inc.ID, bun.List(publish)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("publish earlier updates: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n != int64(len(uniq(publish))) {
			return FieldError("publish_updates", "lists an update that is not an update of this incident")
		}
		if err := addTimeline(ctx, tx, inc.ID, TimelineChange, ActorFrom(ctx).Name, now, now,
			msgUpdatesPublished(len(uniq(publish)), inc.Visibility)); err != nil {
			return err
		}
	}
	switch {
	case !inc.State.Open():
	case inc.Public():
		return publishHeld(ctx, tx, inc, now)
	case old.Public():
		// Settled as resolving would, with the incident still public.
		_, err := restoreComponents(ctx, tx, old, nil, now)
		return err
	}
	return nil
}

func uniq(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// timelineForPatch writes what a patch changed on the incident's timeline.
func timelineForPatch(ctx context.Context, tx bun.IDB, old, inc *Incident, page *Page, now time.Time) error {
	type entry struct {
		kind TimelineKind
		said said
	}
	var entries []entry
	if old.Severity != inc.Severity {
		entries = append(entries, entry{TimelineSeverity, msgSeverityChanged(old.Severity, inc.Severity)})
	}
	if old.Visibility != inc.Visibility {
		entries = append(entries, entry{TimelineChange, msgVisibilityChanged(old.Visibility, inc.Visibility)})
	}
	if old.Title != inc.Title {
		entries = append(entries, entry{TimelineChange, msgTitleChanged(inc.Title)})
	}
	if old.PublicTitle != inc.PublicTitle {
		s := msgPublicTitleSet(inc.PublicTitle)
		if inc.PublicTitle == "" {
			s = plain(MsgPublicTitleRemoved)
		}
		entries = append(entries, entry{TimelineChange, s})
	}
	if !old.StartedAt.Equal(inc.StartedAt) {
		entries = append(entries, entry{TimelineChange, msgStartCorrected(inc.StartedAt, page.TimeZone)})
		if err := moveStartedEntry(ctx, tx, inc.ID, inc.StartedAt, now); err != nil {
			return err
		}
	}
	if old.AutoHolding != inc.AutoHolding {
		s := plain(MsgAutoHoldingOff)
		if inc.AutoHolding {
			s = plain(MsgAutoHoldingOn)
		}
		entries = append(entries, entry{TimelineChange, s})
	}
	if old.Security != inc.Security {
		entries = append(entries, entry{TimelineChange, msgSecurityMarked(old.Security, inc.Security)})
	}
	if old.VideoRoom != inc.VideoRoom {
		entries = append(entries, entry{TimelineChange, msgVideoRoomSet(inc.VideoRoom)})
	}
	if !slices.Equal(old.ContactChannels, inc.ContactChannels) || !equalTime(old.NextContactAt, inc.NextContactAt) {
		entries = append(entries, entry{TimelineChange, msgContactAgreed(inc.ContactChannels, inc.NextContactAt, page.TimeZone)})
	}
	if old.Summary != inc.Summary || old.Reproduce != inc.Reproduce || old.Contact != inc.Contact || old.AffectedCustomers != inc.AffectedCustomers {
		entries = append(entries, entry{TimelineChange, plain(MsgRecordEdited)})
	}
	for _, e := range entries {
		if err := addTimeline(ctx, tx, inc.ID, e.kind, ActorFrom(ctx).Name, now, now, e.said); err != nil {
			return err
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Delete removes an incident (for mistakes; resolved incidents
// belong in the history).
func (s *Incidents) Delete(ctx context.Context, pageID, id string) error {
	if !ValidID(id) {
		return notFound("Incident", id)
	}
	return s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		now := s.Now()
		if inc.State.Open() {
			// The incident no longer holds its components: settle them as
			// resolving would (while its rows still say which they are).
			if _, err := restoreComponents(ctx, tx, inc, nil, now); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().Model((*Incident)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("delete incident: %w", err)
		}
		if err := audit(ctx, tx, now, Change{Action: "delete", SubjectType: "incident", SubjectID: id, PageID: pageID, Before: inc}); err != nil {
			return err
		}
		if !inc.Public() {
			return nil // the public never saw it
		}
		return bumpPage(ctx, tx, pageID, now)
	})
}

// ByID returns an incident of the page with its updates (newest
// first) and affected components, or KindNotFound.
func (s *Incidents) ByID(ctx context.Context, pageID, id string) (*Incident, error) {
	inc, err := incidentOnPage(ctx, s.db, pageID, id)
	if err != nil {
		return nil, err
	}
	if err := loadIncidentDetails(ctx, s.db, []*Incident{inc}); err != nil {
		return nil, err
	}
	return inc, nil
}

func incidentOnPage(ctx context.Context, db bun.IDB, pageID, id string) (*Incident, error) {
	inc := new(Incident)
	if !ValidID(id) {
		return nil, notFound("Incident", id)
	}
	if err := db.NewSelect().Model(inc).Where("id = ? AND page_id = ?", id, pageID).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Incident", id)
	}
	return inc, nil
}

// IncidentFilter selects incidents; nil fields do not filter.
type IncidentFilter struct {
	PageID     string
	Open       *bool
	Visibility *Visibility
	Since      *time.Time // started at or after
	Limit      int        // default 50, at most 1000
	Offset     int

	// audience keeps the incidents an audience may see (PageView's filter).
	audience *Audience
}

// List returns the incidents matching f, most recently started first,
// with their updates and components.
func (s *Incidents) List(ctx context.Context, f IncidentFilter) ([]*Incident, error) {
	return incidents(ctx, s.db, f)
}

func incidents(ctx context.Context, db bun.IDB, f IncidentFilter) ([]*Incident, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 1000)
	var out []*Incident
	q := db.NewSelect().Model(&out).Where("page_id = ?", f.PageID)
	if f.Open != nil {
		if *f.Open {
			q.Where("state <> ?", StateResolved)
		} else {
			q.Where("state = ?", StateResolved)
		}
	}
	if f.Visibility != nil {
		q.Where("visibility = ?", *f.Visibility)
	}
	if f.Since != nil {
		q.Where("started_at >= ?", f.Since.UTC())
	}
	if a := f.audience; a != nil {
		switch a.Kind {
		case AudiencePublic:
			q.Where("visibility = ?", VisibilityPublic)
		case AudienceCustomer:
			q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("visibility = ?", VisibilityPublic).WhereOr("visibility = ? AND id IN (SELECT incident_id FROM incident_customers WHERE customer_id = ?)",
					VisibilityCustomers, a.CustomerID)
			})
		}
	}
	if err := q.Order("started_at DESC", "id").Limit(int64(f.Limit)).Offset(int64(f.Offset)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	if err := loadIncidentDetails(ctx, db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadIncidentDetails fills Updates and Components of incs in two queries.
func loadIncidentDetails(ctx context.Context, db bun.IDB, incs []*Incident) error {
	if len(incs) == 0 {
		return nil
	}
	ids := make([]string, len(incs))
	byID := make(map[string]*Incident, len(incs))
	for i, inc := range incs {
		ids[i] = inc.ID
		byID[inc.ID] = inc
		inc.Updates, inc.Components = nil, nil
	}
	var ups []*IncidentUpdate
	if err := db.NewSelect().Model(&ups).Where("incident_id IN (?)", bun.List(ids)).Order("display_at DESC", "created_at DESC", "id").Scan(ctx); err != nil {
		return fmt.Errorf("load incident updates: %w", err)
	}
	for _, u := range ups {
		byID[u.IncidentID].Updates = append(byID[u.IncidentID].Updates, u)
	}
	var ics []*IncidentComponent
	// In page order, so "affects A, B" reads like the page.
	if err := db.NewSelect().Model(&ics).Join("JOIN components AS c ON c.id = ic.component_id").
		Where("ic.incident_id IN (?)", bun.List(ids)).Order("c.position", "c.name", "ic.component_id").Scan(ctx); err != nil {
		return fmt.Errorf("load incident components: %w", err)
	}
	for _, ic := range ics {
		byID[ic.IncidentID].Components = append(byID[ic.IncidentID].Components, ic)
	}
	return nil
}

// timelineForUpdate records an update and what it changed on the timeline.
func timelineForUpdate(ctx context.Context, tx bun.IDB, inc *Incident, upd *IncidentUpdate, oldState State, now time.Time) error {
	if err := addTimeline(ctx, tx, inc.ID, TimelineUpdate, upd.Author, now, now,
		msgUpdatePosted(upd.Kind, !upd.Notify, firstLine(upd.Body))); err != nil {
		return err
	}
	if oldState != upd.State {
		if err := addTimeline(ctx, tx, inc.ID, TimelineState, upd.Author, now, now, msgStateChanged(oldState, upd.State)); err != nil {
			return err
		}
	}
	for _, c := range upd.Components {
		if err := addTimeline(ctx, tx, inc.ID, TimelineComponent, upd.Author, now, now,
			msgComponentChanged(c.Name, c.OldStatus, c.NewStatus)); err != nil {
			return err
		}
	}
	return nil
}

// firstLine shortens text to its first line, at most 200 bytes.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return Cut(s, 200, "…")
}

// channelLock serialises giving out chat channels across replicas (a
// PostgreSQL transaction advisory lock); SQLite has one writer anyway.
const channelLock = 0x6368616e6e656c // "channel"

// giveChannel gives inc its own chat channel, inside tx, when it is major
// or business continuity and has none yet: the first free name of the day
// it started, in its page's time zone.
func giveChannel(ctx context.Context, tx bun.IDB, inc *Incident) error {
	if inc.Channel != "" || !ownChannel(inc.Severity) {
		return nil
	}
	p, err := pageByID(ctx, tx, inc.PageID)
	if err != nil {
		return err
	}
	if db.DialectOf(tx) == db.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", channelLock); err != nil {
			return fmt.Errorf("lock channel names: %w", err)
		}
	}
	base := dayChannel(inc.StartedAt, p.Location())
	var taken []string
	if err := tx.NewSelect().Model((*Incident)(nil)).Column("channel").
		Where("channel = ? OR channel LIKE ?", base, base+"-%").Scan(ctx, &taken); err != nil {
		return fmt.Errorf("list the channels of %s: %w", base, err)
	}
	inc.Channel = NextChannel(base, taken)
	return nil
}
