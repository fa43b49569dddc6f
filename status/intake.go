package status

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// IntakeSource says where an intake item came from.
type IntakeSource string

// Intake sources: the support mailbox, a phone call recorded in the
// console, a ticket from the customer portal, a monitoring alert.
const (
	IntakeEmail  IntakeSource = "email"
	IntakePhone  IntakeSource = "phone"
	IntakePortal IntakeSource = "portal"
	IntakeAlert  IntakeSource = "alert"
)

// IntakeSources lists every intake source.
var IntakeSources = []IntakeSource{IntakeEmail, IntakePhone, IntakePortal, IntakeAlert}

// Valid reports whether s is one of IntakeSources.
func (s IntakeSource) Valid() bool { return slices.Contains(IntakeSources, s) }

// Label is the source as the console shows it.
func (s IntakeSource) Label() string {
	switch s {
	case IntakeEmail:
		return "Email"
	case IntakePhone:
		return "Phone call"
	case IntakePortal:
		return "Portal ticket"
	case IntakeAlert:
		return "Alert"
	}
	return string(s)
}

// IntakeState is where an intake item stands in triage.
type IntakeState string

// Intake states: waiting in the inbox, attached to an incident, the
// source of a new incident, or dismissed as not an incident.
const (
	IntakeOpen      IntakeState = "open"
	IntakeAttached  IntakeState = "attached"
	IntakeDeclared  IntakeState = "declared"
	IntakeDismissed IntakeState = "dismissed"
)

// IntakeStates lists every intake state, in triage order.
var IntakeStates = []IntakeState{IntakeOpen, IntakeAttached, IntakeDeclared, IntakeDismissed}

// Valid reports whether s is one of IntakeStates.
func (s IntakeState) Valid() bool { return slices.Contains(IntakeStates, s) }

// IntakeItem is one thing that came in and waits for someone to decide
// what it is: part of an incident, a new incident, or not an incident.
type IntakeItem struct {
	bun.BaseModel `bun:"table:intake_items,alias:ii"`

	ID          string       `bun:"id,pk"`
	Source      IntakeSource `bun:"source"`
	State       IntakeState  `bun:"state"`
	Title       string       `bun:"title"`
	Body        string       `bun:"body"`
	SenderName  string       `bun:"sender_name"`
	SenderEmail string       `bun:"sender_email"`
	SenderPhone string       `bun:"sender_phone"`
	// CustomerID is the sender's customer, "" when unknown; CustomerMatch
	// says how it was found by the sender's address. CustomerChosen is
	// set when a person chose the customer instead (recording a call):
	// CustomerMatch is then MatchContact when they chose one of its
	// contacts, else MatchUnknown. Matched tells both apart.
	CustomerID     string        `bun:"customer_id"`
	CustomerMatch  CustomerMatch `bun:"customer_match"`
	CustomerChosen bool          `bun:"customer_chosen"`
	// UnverifiedThread marks a reply whose references point at an incident
	// of another customer than the sender's: it is never attached to that
	// incident by itself.
	UnverifiedThread bool       `bun:"unverified_thread"`
	Reference        string     `bun:"reference"`  // the ticket id or alert key at the source
	InboundID        string     `bun:"inbound_id"` // the stored email
	PageID           string     `bun:"page_id"`
	IncidentID       string     `bun:"incident_id"` // attached to or declared from it
	RecordedBy       string     `bun:"recorded_by"`
	DecidedBy        string     `bun:"decided_by"`
	DecidedAt        *time.Time `bun:"decided_at"`
	Note             string     `bun:"note"` // why it was dismissed, where it was forwarded
	// ForwardedTo is the address the item's dismissal forwarded it to,
	// "" when it is not dismissed or nothing was forwarded.
	ForwardedTo string `bun:"forwarded_to"`
	// An alert item's grouping and suggestions (inbound/alerts keeps
	// them): the Alertmanager group, the ids of the components its alerts
	// map to (comma-separated), the suggested severity, the first alert's
	// link, how many alerts it has and how many of them fire, and when the
	// last came in.
	GroupKey    string     `bun:"group_key"`
	Components  string     `bun:"components"`
	Severity    Severity   `bun:"severity"`
	Link        string     `bun:"link"`
	AlertCount  int        `bun:"alert_count"`
	AlertFiring int        `bun:"alert_firing"`
	AlertAt     *time.Time `bun:"alert_at"`
	// Acknowledged says someone in Herald has seen the item and is on it.
	AcknowledgedBy string     `bun:"acknowledged_by"`
	AcknowledgedAt *time.Time `bun:"acknowledged_at"`
	CreatedAt      time.Time  `bun:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at"`
}

// IntakeInput is a new intake item.
type IntakeInput struct {
	Source      IntakeSource
	Title       string
	Body        string
	SenderName  string
	SenderEmail string
	SenderPhone string
	// Reference is the item's id at its source (a portal ticket number): a
	// second item with the same source and reference is the first one.
	Reference        string
	InboundID        string
	UnverifiedThread bool
	RecordedBy       string
	// CustomerID is the customer a person chose for the item (recording
	// a call), "" to match the sender's address; ContactID optionally
	// names one of its contacts, whose name, address and number fill the
	// sender fields left empty.
	CustomerID string
	ContactID  string
}

func (in *IntakeInput) validate() error {
	f := FieldErrors{}
	if !in.Source.Valid() {
		f.Add("source", OneOf(IntakeSources))
	}
	// What comes from outside is kept, without the direction controls
	// that would turn it around where it is shown.
	in.Title = stripBidiControls(strings.Join(strings.Fields(in.Title), " "))
	in.SenderName, in.Reference = stripBidiControls(in.SenderName), stripBidiControls(in.Reference)
	checkText(f, "title", in.Title, MaxNameLen, true, false)
	checkText(f, "body", in.Body, MaxBodyLen, false, true)
	checkText(f, "sender_name", in.SenderName, MaxNameLen, false, false)
	checkText(f, "sender_email", in.SenderEmail, 254, false, false)
	if in.Source != IntakeEmail {
		// Typed by a person or a portal: it must be an address. (What a
		// mail server says is kept as it came.)
		checkEmail(f, "sender_email", in.SenderEmail)
	}
	checkText(f, "sender_phone", in.SenderPhone, 64, false, false)
	checkText(f, "reference", in.Reference, MaxNameLen, false, false)
	checkText(f, "recorded_by", in.RecordedBy, MaxNameLen, false, false)
	if in.CustomerID != "" {
		checkID(f, "customer", in.CustomerID)
	}
	switch {
	case in.ContactID != "" && in.CustomerID == "":
		f.Add("contact", "choose the contact's customer too")
	case in.ContactID != "":
		checkID(f, "contact", in.ContactID)
	}
	if in.Source == IntakePhone && strings.TrimSpace(in.SenderName) == "" && strings.TrimSpace(in.SenderPhone) == "" &&
		in.ContactID == "" {
		f.Add("sender_name", "say who called, or the number")
	}
	return f.Err()
}

// Create puts a new item in the triage inbox, with the customer chosen
// in in.CustomerID or else the sender's customer matched by contact
// address, then email domain. A chosen customer or contact that does not
// exist (deleted meanwhile) is a KindInvalid error for field "customer"
// or "contact". An item whose source and reference were seen before is
// not created again: the first one is returned, with created false.
func (s *Intake) Create(ctx context.Context, in IntakeInput) (item *IntakeItem, created bool, err error) {
	err = s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		item, created, err = s.createIntakeTx(ctx, tx, in)
		return err
	})
	return item, created, err
}

// createIntakeTx is CreateIntake inside tx, for callers that store what
// the item comes from in the same transaction.
func (s *core) createIntakeTx(ctx context.Context, tx bun.Tx, in IntakeInput) (*IntakeItem, bool, error) {
	if err := in.validate(); err != nil {
		return nil, false, err
	}
	now := s.Now()
	if in.Reference != "" {
		old := new(IntakeItem)
		err := tx.NewSelect().Model(old).Where("source = ? AND reference = ?", in.Source, in.Reference).Scan(ctx)
		if err == nil {
			return old, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, fmt.Errorf("look up intake %s %s: %w", in.Source, in.Reference, err)
		}
	}
	item := &IntakeItem{ID: NewID(), Source: in.Source, State: IntakeOpen, Title: in.Title, Body: in.Body,
		SenderName: strings.TrimSpace(in.SenderName), SenderEmail: strings.ToLower(strings.TrimSpace(in.SenderEmail)),
		SenderPhone: strings.TrimSpace(in.SenderPhone), CustomerMatch: MatchUnknown, UnverifiedThread: in.UnverifiedThread,
		Reference: in.Reference, InboundID: in.InboundID, RecordedBy: strings.TrimSpace(in.RecordedBy), CreatedAt: now, UpdatedAt: now}
	if in.CustomerID != "" {
		if err := chooseCustomer(ctx, tx, item, in.CustomerID, in.ContactID); err != nil {
			return nil, false, err
		}
	} else if item.SenderEmail != "" {
		c, how, err := s.matchCustomer(ctx, tx, item.SenderEmail)
		switch {
		case err == nil:
			item.CustomerID, item.CustomerMatch = c.ID, how
		case KindOf(err) != KindNotFound && KindOf(err) != KindInvalid:
			return nil, false, err
		}
	}
	if _, err := tx.NewInsert().Model(item).Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("insert intake item: %w", err)
	}
	if err := audit(ctx, tx, now, Change{Action: "create", SubjectType: "intake", SubjectID: item.ID, After: item}); err != nil {
		return nil, false, err
	}
	return item, true, nil
}

// chooseCustomer gives item the customer a person chose and, with
// contactID, fills the sender fields left empty from that contact.
func chooseCustomer(ctx context.Context, tx bun.Tx, item *IntakeItem, customerID, contactID string) error {
	c, err := customerByID(ctx, tx, customerID)
	if KindOf(err) == KindNotFound {
		return FieldError("customer", "there is no such customer (any more); choose again")
	}
	if err != nil {
		return err
	}
	item.CustomerID, item.CustomerChosen, item.CustomerMatch = c.ID, true, MatchUnknown
	if contactID == "" {
		return nil
	}
	i := slices.IndexFunc(c.Contacts, func(ct *CustomerContact) bool { return ct.ID == contactID })
	if i < 0 {
		return FieldError("contact", "that is not a contact of "+c.Name+" (any more); choose again")
	}
	ct := c.Contacts[i]
	item.CustomerMatch = MatchContact
	item.SenderName = cmpOr(item.SenderName, ct.Name)
	item.SenderEmail = cmpOr(item.SenderEmail, strings.ToLower(ct.Email))
	item.SenderPhone = cmpOr(item.SenderPhone, ct.Phone)
	return nil
}

// MatchChosen is how an item's customer was found when a person chose it
// (Matched; never stored as CustomerMatch).
const MatchChosen CustomerMatch = "chosen"

// Matched says how the item's customer was found: MatchChosen when a
// person chose it, else CustomerMatch.
func (item *IntakeItem) Matched() CustomerMatch {
	if item.CustomerChosen {
		return MatchChosen
	}
	return item.CustomerMatch
}

// IntakeFilter selects intake items, newest first.
type IntakeFilter struct {
	State  IntakeState // "" for all
	Before string      // continue after the item with this id
	Limit  int         // default 50, at most 500
}

// Items lists intake items matching f, newest first.
func (s *Intake) Items(ctx context.Context, f IntakeFilter) ([]*IntakeItem, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	var out []*IntakeItem
	q := s.db.NewSelect().Model(&out).OrderExpr("created_at DESC, id DESC").Limit(int64(f.Limit))
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.Before != "" {
		before, err := s.Item(ctx, f.Before)
		if err != nil {
			return nil, err
		}
		q = q.Where("(created_at < ? OR (created_at = ? AND id < ?))", before.CreatedAt, before.CreatedAt, before.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list intake items: %w", err)
	}
	return out, nil
}

// Item returns one intake item or a KindNotFound error.
func (s *Intake) Item(ctx context.Context, id string) (*IntakeItem, error) {
	return intakeItem(ctx, s.db, id)
}

func intakeItem(ctx context.Context, db bun.IDB, id string) (*IntakeItem, error) {
	if !ValidID(id) {
		return nil, notFound("Intake item", id)
	}
	item := new(IntakeItem)
	if err := db.NewSelect().Model(item).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Intake item", id)
	}
	return item, nil
}

// OpenCount is the number of items waiting in the triage inbox.
func (s *Intake) OpenCount(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*IntakeItem)(nil)).Where("state = ?", IntakeOpen).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count open intake items: %w", err)
	}
	return int(n), nil
}

// openIntake loads an item for a triage decision, refusing one that was
// decided already (decideIntake checks again as it writes).
func openIntake(ctx context.Context, tx bun.Tx, id string) (*IntakeItem, error) {
	item, err := intakeItem(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if item.State != IntakeOpen {
		return nil, Errorf(KindConflict, "This item was %s already.", item.State)
	}
	return item, nil
}

// intakeDecision is a triage decision on an open item: its new state,
// the incident it went to, the note, where it was forwarded.
type intakeDecision struct {
	state              IntakeState
	pageID, incidentID string
	note, forwardedTo  string
	at                 time.Time
}

// decideIntake records a triage decision on an open item.
func decideIntake(ctx context.Context, tx bun.Tx, item *IntakeItem, d intakeDecision) error {
	before := *item
	actor, now, st, pageID := ActorFrom(ctx).Name, d.at, d.state, d.pageID
	item.State, item.PageID, item.IncidentID, item.Note, item.ForwardedTo = st, pageID, d.incidentID, d.note, d.forwardedTo
	item.DecidedBy, item.DecidedAt, item.UpdatedAt = actor, &now, now
	res, err := tx.NewUpdate().Model(item).
		Column("state", "page_id", "incident_id", "note", "forwarded_to", "decided_by", "decided_at", "updated_at").
		WherePK().Where("state = ?", IntakeOpen).Exec(ctx)
	if err != nil {
		return fmt.Errorf("decide intake item %s: %w", item.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Errorf(KindConflict, "This item was decided by someone else meanwhile.")
	}
	return audit(ctx, tx, now, Change{Action: string(st), SubjectType: "intake", SubjectID: item.ID, PageID: pageID,
		Before: before, After: item})
}

// intakeTimeline writes what an intake item says on an incident's
// timeline, at the time it came in, followed by what happened to it
// since (its entries, at their times).
func intakeTimeline(ctx context.Context, tx bun.Tx, item *IntakeItem, incidentID string, now time.Time) error {
	who := item.SenderName
	if who == "" {
		who = cmpOr(item.SenderEmail, item.SenderPhone, item.RecordedBy, "unknown sender")
	}
	m := msgCustomerMessage(item.Source, who, item.Title, item.Body)
	e := &TimelineEntry{ID: NewID(), IncidentID: incidentID, Kind: TimelineCustomer, Message: m.msg, Params: m.params,
		Actor: ActorFrom(ctx).Name, At: item.CreatedAt, CreatedAt: stamp(now), Ref: item.ID, Channel: item.Source}
	if err := insertTimeline(ctx, tx, e); err != nil {
		return fmt.Errorf("add timeline entry: %w", err)
	}
	entries, err := intakeEntries(ctx, tx, item.ID)
	if err != nil {
		return err
	}
	for _, ie := range entries {
		m := msgText(MsgNote, ie.Body)
		if ie.Kind == TimelineAlert {
			m = msgText(MsgAlert, ie.Body)
		}
		e := &TimelineEntry{ID: NewID(), IncidentID: incidentID, Kind: ie.Kind, Message: m.msg, Params: m.params, Actor: ie.Actor,
			At: ie.At, CreatedAt: stamp(now), Ref: item.ID}
		if err := insertTimeline(ctx, tx, e); err != nil {
			return fmt.Errorf("copy intake entry to the timeline: %w", err)
		}
	}
	return nil
}

// IntakeEntry is something that happened to an intake item while it
// waited for a decision: an alert of it fired or resolved.
type IntakeEntry struct {
	bun.BaseModel `bun:"table:intake_entries"`

	ID        string       `bun:"id,pk"`
	IntakeID  string       `bun:"intake_id"`
	Kind      TimelineKind `bun:"kind"`
	Body      string       `bun:"body"`
	Actor     string       `bun:"actor"`
	At        time.Time    `bun:"at"`
	CreatedAt time.Time    `bun:"created_at"`
}

// addIntakeEntry writes what happened to an intake item inside tx; the
// entry goes on the incident's timeline when the item is attached or
// declared.
func (s *core) addIntakeEntry(ctx context.Context, tx bun.Tx, itemID string, kind TimelineKind, actor, body string, at time.Time) error {
	e := &IntakeEntry{ID: NewID(), IntakeID: itemID, Kind: kind, Body: Cut(body, MaxBodyLen, "\n…"), Actor: actor,
		At: at.UTC().Truncate(time.Microsecond), CreatedAt: stamp(s.Now())}
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("add intake entry: %w", err)
	}
	return nil
}

// Entries returns what happened to an intake item, oldest first.
func (s *Intake) Entries(ctx context.Context, itemID string) ([]*IntakeEntry, error) {
	return intakeEntries(ctx, s.db, itemID)
}

func intakeEntries(ctx context.Context, db bun.IDB, itemID string) ([]*IntakeEntry, error) {
	var out []*IntakeEntry
	if err := db.NewSelect().Model(&out).Where("intake_id = ?", itemID).Order("at", "created_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load entries of intake item %s: %w", itemID, err)
	}
	return out, nil
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Attach makes an open item part of an open incident of the page:
// its text goes on the incident's timeline. An item flagged as an
// unverified thread may be attached too: a person decided.
func (s *Intake) Attach(ctx context.Context, id, pageID, incidentID string) error {
	return s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		item, err := openIntake(ctx, tx, id)
		if err != nil {
			return err
		}
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if inc.State == StateResolved {
			return Errorf(KindConflict, "That incident is resolved; declare a new one instead.")
		}
		now := s.Now()
		if err := intakeTimeline(ctx, tx, item, inc.ID, now); err != nil {
			return err
		}
		return decideIntake(ctx, tx, item, intakeDecision{state: IntakeAttached, pageID: pageID, incidentID: inc.ID, at: now})
	})
}

// ComponentIDs returns the ids of the components an alert item maps to.
func (item *IntakeItem) ComponentIDs() []string {
	if item.Components == "" {
		return nil
	}
	return strings.Split(item.Components, ",")
}

// Acknowledge records that the actor of ctx has seen an item and
// is on it. The first acknowledgement stands; acknowledging again changes
// nothing.
func (s *Intake) Acknowledge(ctx context.Context, id string) (*IntakeItem, error) {
	var item *IntakeItem
	err := s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if item, err = intakeItem(ctx, tx, id); err != nil {
			return err
		}
		if item.AcknowledgedAt != nil {
			return nil
		}
		before, now := *item, s.Now()
		item.AcknowledgedBy, item.AcknowledgedAt, item.UpdatedAt = ActorFrom(ctx).Name, &now, now
		if _, err := tx.NewUpdate().Model(item).Column("acknowledged_by", "acknowledged_at", "updated_at").WherePK().
			Where("acknowledged_at IS NULL").Exec(ctx); err != nil {
			return fmt.Errorf("acknowledge intake item %s: %w", id, err)
		}
		return audit(ctx, tx, now, Change{Action: "acknowledge", SubjectType: "intake", SubjectID: item.ID, Before: before, After: item})
	})
	return item, err
}

// declaredFromIntake marks the item an incident was declared from, inside
// the declaration's transaction, and puts its text on the new timeline.
func declaredFromIntake(ctx context.Context, tx bun.Tx, id string, inc *Incident, now time.Time) error {
	item, err := openIntake(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := intakeTimeline(ctx, tx, item, inc.ID, now); err != nil {
		return err
	}
	return decideIntake(ctx, tx, item, intakeDecision{state: IntakeDeclared, pageID: inc.PageID, incidentID: inc.ID, at: now})
}

// CustomerMessage is what a customer wrote about an incident, as it goes
// on the timeline.
type CustomerMessage struct {
	Source IntakeSource // email by default
	From   string       // "Ann <ann@acme.example>"
	Title  string       // the subject
	Text   string       // the new text of a reply, quoted history left out
	Ref    string       // the stored message
	At     time.Time    // when it came in
}

// addCustomerMessage writes a customer's message on the timeline of an
// incident of the page, inside tx.
func (s *core) addCustomerMessage(ctx context.Context, tx bun.Tx, pageID, incidentID string, m CustomerMessage) error {
	inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
	if err != nil {
		return err
	}
	if m.Source == "" {
		m.Source = IntakeEmail
	}
	text := Cut(m.Text, MaxBodyLen, "\n…")
	now := s.Now()
	say := msgCustomerMessage(m.Source, m.From, m.Title, text)
	e := &TimelineEntry{ID: NewID(), IncidentID: inc.ID, Kind: TimelineCustomer, Message: say.msg, Params: say.params,
		Actor: m.From, At: m.At.UTC().Truncate(time.Microsecond), CreatedAt: stamp(now), Ref: m.Ref, Channel: m.Source}
	if err := insertTimeline(ctx, tx, e); err != nil {
		return fmt.Errorf("add timeline entry: %w", err)
	}
	return s.notify.CustomerWrote(ctx, &Tx{Tx: tx, s: s.svc}, inc, m)
}

// incidentCustomerIDs returns the ids of the customers an incident
// affects.
func (s *core) incidentCustomerIDs(ctx context.Context, db bun.IDB, incidentID string) ([]string, error) {
	var ids []string
	if err := db.NewSelect().Model((*incidentCustomer)(nil)).Column("customer_id").Where("incident_id = ?", incidentID).
		Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("load customers of incident %s: %w", incidentID, err)
	}
	return ids, nil
}

// referencePattern finds an incident reference ("INC-" and the incident's
// id) in a subject.
var referencePattern = regexp.MustCompile(`(?i)\bINC-([0-9a-z]{12})\b`)

// Reference is how customers may name the incident in a subject line, so
// that their email joins it: "INC-" and its id.
func (inc *Incident) Reference() string { return "INC-" + inc.ID }

// ByReference finds the incident whose reference a subject
// carries; ok is false when it carries none, or names no incident.
func (s *Incidents) ByReference(ctx context.Context, subject string) (pageID, incidentID string, ok bool, err error) {
	for _, m := range referencePattern.FindAllStringSubmatch(subject, 5) {
		inc := new(Incident)
		err := s.db.NewSelect().Model(inc).Column("id", "page_id").Where("id = ?", strings.ToLower(m[1])).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return "", "", false, fmt.Errorf("find incident %s: %w", m[1], err)
		}
		return inc.PageID, inc.ID, true, nil
	}
	return "", "", false, nil
}

// incidentWith is Incidents.ByID without its details, read through db (a
// transaction the caller holds).
func (s *core) incidentWith(ctx context.Context, db bun.IDB, pageID, id string) (*Incident, error) {
	return incidentOnPage(ctx, db, pageID, id)
}

// pageWith is PageByID read through db (a transaction the caller holds).
func (s *core) pageWith(ctx context.Context, db bun.IDB, id string) (*Page, error) {
	return pageByID(ctx, db, id)
}
