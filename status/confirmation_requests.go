package status

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ConfirmationKind says whom a confirmation request asks: the affected
// customers, or someone in the team (DESIGN.md §1, closing: "from the
// customer if involved, otherwise internally").
type ConfirmationKind string

// Confirmation request kinds; the same words as Incident.ConfirmationSource.
const (
	ConfirmationCustomer ConfirmationKind = "customer"
	ConfirmationInternal ConfirmationKind = "internal"
)

// Valid reports whether k is a known kind.
func (k ConfirmationKind) Valid() bool { return k == ConfirmationCustomer || k == ConfirmationInternal }

// MaxRequestMessageLen is the longest message a confirmation request
// carries, in bytes.
const MaxRequestMessageLen = MaxShortLen

// ConfirmationRequest is the incident commander asking that someone
// confirm the services are back: the affected customers' primary contacts
// by email, or a team member. It is answered when a confirmation is
// recorded from a message that came after it (ConfirmFromEntry), or when
// Close records one. Requests are internal: only the team sees them.
type ConfirmationRequest struct {
	bun.BaseModel `bun:"table:confirmation_requests,alias:cr"`

	ID         string           `bun:"id,pk" json:"id"`
	IncidentID string           `bun:"incident_id" json:"incident_id"`
	Kind       ConfirmationKind `bun:"kind" json:"kind"`
	// CustomerIDs are the customers asked (kind customer): those affected
	// that had a primary contact.
	CustomerIDs StringList `bun:"customer_ids" json:"customer_ids"`
	// UserID is the team member asked (kind internal); empty once the
	// user is gone.
	UserID string `bun:"user_id,nullzero" json:"user_id,omitempty"`
	// Recipients are who was written to, as they were then: "Acme: Wile
	// <wile@acme.example>" per primary contact, or the team member's name
	// and address.
	Recipients StringList `bun:"recipients" json:"recipients"`
	// NotAsked names the affected customers that had no primary contact
	// and so were not asked.
	NotAsked    StringList `bun:"not_asked" json:"not_asked"`
	Message     string     `bun:"message" json:"message"`
	RequestedBy string     `bun:"requested_by" json:"requested_by"`
	RequestedAt time.Time  `bun:"requested_at" json:"requested_at"`
	// AnsweredEntry is the timeline entry that answered the request: the
	// customer's message a confirmation was recorded from, or the
	// confirmation recorded at closing. Empty while unanswered.
	AnsweredEntry string     `bun:"answered_entry,nullzero" json:"answered_entry,omitempty"`
	AnsweredAt    *time.Time `bun:"answered_at" json:"answered_at"`
	AnsweredBy    string     `bun:"answered_by" json:"answered_by,omitempty"`
}

// Answered reports whether the request has its answer.
func (r *ConfirmationRequest) Answered() bool { return r.AnsweredAt != nil }

// StringList is a list of strings stored as a JSON array.
type StringList []string

// Value stores the list as a JSON array.
func (l StringList) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(l))
	return string(b), err
}

// Scan reads a list stored as a JSON array.
func (l *StringList) Scan(src any) error {
	var out []string
	ok, err := scanJSON(src, &out, "JSON array of strings")
	if ok {
		*l = out
	} else if err == nil {
		*l = nil
	}
	return err
}

// RequestConfirmationInput is a request for confirmation that the
// services are back.
type RequestConfirmationInput struct {
	Kind ConfirmationKind
	// UserID is the team member to ask (kind internal).
	UserID string
	// Message is optional. For a customer request it goes, as plain
	// text, to the customers' primary contacts.
	Message string
}

// ConfirmationAsked is a confirmation request as the Notifier hears of it,
// with what each audience may see: a customer request carries, per
// customer asked, that customer's view of the incident and its primary
// contacts only; an internal request the team member and the team's view.
type ConfirmationAsked struct {
	Request *ConfirmationRequest
	Page    *Page
	// Customers asked, for a customer request.
	Customers []*CustomerAsked
	// User asked and Team, the team's view of the incident, for an
	// internal request.
	User *User
	Team *IncidentView
	// VideoRoom is where the team meets about the incident, for the
	// internal request's notice.
	VideoRoom string
}

// CustomerAsked is one customer a confirmation request asks: its name,
// its primary contacts and what it may see of the incident. Nothing in it
// is about another customer.
type CustomerAsked struct {
	CustomerID string
	Name       string
	Contacts   []*CustomerContact // primary ones
	View       *IncidentView
}

// RequestConfirmation asks for confirmation that the services of an
// incident of the page are back: from the affected customers (each one's
// primary contacts get an email naming only that customer, queued by the
// Notifier in the same transaction) or from a team member (an internal
// notice). The request goes on the timeline and in the audit log; asking
// again is allowed and recorded again. Errors: KindNotFound for an unknown
// incident; KindInvalid with Fields "kind", "user" or "message" for bad
// input (a disabled or unknown user included); KindConflict for a resolved
// incident, and for a customer request when no affected customer can be
// asked (none linked, none with a primary contact, an internal incident).
func (s *Incidents) RequestConfirmation(ctx context.Context, pageID, incidentID string, in RequestConfirmationInput) (*ConfirmationRequest, error) {
	f := FieldErrors{}
	if !in.Kind.Valid() {
		f.Add("kind", "must say whom to ask: the customer or someone internal")
	}
	if in.Kind == ConfirmationInternal && !ValidID(in.UserID) {
		f.Add("user", "choose the team member to ask")
	}
	checkText(f, "message", in.Message, MaxRequestMessageLen, false, true)
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	req := &ConfirmationRequest{ID: NewID(), IncidentID: incidentID, Kind: in.Kind, Message: strings.TrimSpace(in.Message),
		RequestedBy: ActorFrom(ctx).Name, RequestedAt: now, CustomerIDs: StringList{}, Recipients: StringList{}, NotAsked: StringList{}}
	err := s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if !inc.State.Open() {
			return Errorf(KindConflict, "This incident is resolved: its services are confirmed back already.")
		}
		page, err := pageByID(ctx, tx, pageID)
		if err != nil {
			return err
		}
		ask := &ConfirmationAsked{Request: req, Page: page, VideoRoom: VideoRoom(inc, page)}
		var say said
		if in.Kind == ConfirmationCustomer {
			if err := askCustomers(ctx, tx, inc, ask); err != nil {
				return err
			}
			say = msgConfirmationRequestedFromCustomers(len(ask.Customers), len(req.Recipients), len(req.NotAsked), req.Message)
		} else {
			if err := askUser(ctx, tx, inc, in.UserID, ask); err != nil {
				return err
			}
			say = msgConfirmationRequestedFromTeam(userName(ask.User), req.Message)
		}
		if _, err := tx.NewInsert().Model(req).Exec(ctx); err != nil {
			return fmt.Errorf("record confirmation request: %w", err)
		}
		if err := addTimeline(ctx, tx, inc.ID, TimelineChange, req.RequestedBy, now, now, say); err != nil {
			return err
		}
		if err := s.notify.ConfirmationRequested(ctx, &Tx{Tx: tx, s: s.svc}, ask); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "request_confirmation", SubjectType: "incident", SubjectID: inc.ID,
			PageID: pageID, After: req})
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// askCustomers fills in whom a customer request asks: each affected
// customer with a primary contact, with the view of the incident that
// customer may see.
func askCustomers(ctx context.Context, tx bun.IDB, inc *Incident, ask *ConfirmationAsked) error {
	req := ask.Request
	customers, err := incidentCustomers(ctx, tx, inc.ID)
	if err != nil {
		return err
	}
	if len(customers) == 0 {
		return Errorf(KindConflict, "This incident affects no customers, so there is nobody to ask by email. "+
			"Link the affected customers first, or request the confirmation internally.")
	}
	if inc.Visibility == VisibilityInternal {
		return Errorf(KindConflict, "This incident is internal: its customers do not see it. "+
			"Make it visible to the affected customers first, or request the confirmation internally.")
	}
	as := make([]Audience, len(customers))
	for i, c := range customers {
		as[i] = CustomerAudience(c.ID)
	}
	views, err := incidentViews(ctx, tx, inc.PageID, inc.ID, as, ask.Request.RequestedAt)
	if err != nil {
		return err
	}
	for i, c := range customers {
		var primary []*CustomerContact
		for _, ct := range c.Contacts {
			if ct.Role == ContactPrimary {
				primary = append(primary, ct)
			}
		}
		if len(primary) == 0 || views[i] == nil {
			req.NotAsked = append(req.NotAsked, c.Name)
			continue
		}
		ask.Customers = append(ask.Customers, &CustomerAsked{CustomerID: c.ID, Name: c.Name, Contacts: primary, View: views[i]})
		req.CustomerIDs = append(req.CustomerIDs, c.ID)
		for _, ct := range primary {
			req.Recipients = append(req.Recipients, c.Name+": "+contactLine(ct))
		}
	}
	if len(ask.Customers) == 0 {
		return Errorf(KindConflict, "No affected customer has a primary contact to ask by email (%s). "+
			"Add a primary contact to the customer, or request the confirmation internally.", strings.Join(req.NotAsked, ", "))
	}
	return nil
}

// askUser fills in the team member an internal request asks.
func askUser(ctx context.Context, tx bun.IDB, inc *Incident, userID string, ask *ConfirmationAsked) error {
	u, err := userByID(ctx, tx, userID)
	if KindOf(err) == KindNotFound {
		return FieldError("user", "no such team member")
	}
	if err != nil {
		return err
	}
	if u.Disabled() {
		return FieldError("user", "is disabled and cannot sign in to record the confirmation; choose someone else")
	}
	if err := loadIncidentDetails(ctx, tx, []*Incident{inc}); err != nil {
		return err
	}
	ask.User, ask.Team = u, inc.InternalView()
	ask.Request.UserID = u.ID
	ask.Request.Recipients = StringList{contactLine(&CustomerContact{Name: u.Name, Email: u.Email})}
	return nil
}

// contactLine is a person as an address line: "Wile <wile@acme.example>",
// or the address alone.
func contactLine(ct *CustomerContact) string {
	if ct.Name == "" {
		return ct.Email
	}
	return ct.Name + " <" + ct.Email + ">"
}

func userName(u *User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// ConfirmationRequests returns an incident's confirmation requests,
// oldest first. An unknown incident has none.
func (s *Incidents) ConfirmationRequests(ctx context.Context, incidentID string) ([]*ConfirmationRequest, error) {
	return confirmationRequests(ctx, s.db, incidentID)
}

func confirmationRequests(ctx context.Context, db bun.IDB, incidentID string) ([]*ConfirmationRequest, error) {
	out := []*ConfirmationRequest{}
	if !ValidID(incidentID) {
		return out, nil
	}
	if err := db.NewSelect().Model(&out).Where("incident_id = ?", incidentID).Order("requested_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load confirmation requests of incident %s: %w", incidentID, err)
	}
	return out, nil
}

// answerRequests marks an incident's unanswered confirmation requests made
// at or before upTo as answered by the timeline entry entryID: a
// confirmation recorded by by, from something that came at at.
func answerRequests(ctx context.Context, tx bun.IDB, incidentID, entryID, by string, at, upTo time.Time) error {
	_, err := tx.NewUpdate().Model((*ConfirmationRequest)(nil)).
		Set("answered_entry = ?", entryID).Set("answered_at = ?", at).Set("answered_by = ?", by).
		Where("incident_id = ? AND answered_at IS NULL AND requested_at <= ?", incidentID, upTo).Exec(ctx)
	if err != nil {
		return fmt.Errorf("answer confirmation requests of incident %s: %w", incidentID, err)
	}
	return nil
}

// Asked counts the customers a request asked and the emails it sent, in
// words for people: "2 customers (3 primary contacts)" or the team
// member.
func (r *ConfirmationRequest) Asked() string {
	if r.Kind == ConfirmationInternal {
		return strings.Join(r.Recipients, ", ")
	}
	return countOf(len(r.CustomerIDs), "customer") + " (" + countOf(len(r.Recipients), "primary contact") + ")"
}

func countOf(n int, what string) string {
	return strconv.Itoa(n) + " " + what + plural(n)
}
