package comms

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/templates"
)

// SubscriberState is where a subscription stands.
type SubscriberState string

// Subscriber states. Only confirmed subscribers are mailed notices; a
// pending one gets its confirmation email and nothing else.
const (
	SubscriberPending      SubscriberState = "pending"
	SubscriberConfirmed    SubscriberState = "confirmed"
	SubscriberUnsubscribed SubscriberState = "unsubscribed"
	SubscriberBounced      SubscriberState = "bounced"
)

// Scope is what a subscriber follows.
type Scope string

// Scopes: every component, the components of chosen groups (including
// those added to a group later), or chosen components.
const (
	ScopeAll        Scope = "all"
	ScopeGroups     Scope = "groups"
	ScopeComponents Scope = "components"
)

// AddedBy says how a subscriber came to be.
type AddedBy string

// How subscribers are added. Only the form asks for confirmation; admins
// vouch for the addresses they add or import.
const (
	AddedByForm   AddedBy = "form"
	AddedByImport AddedBy = "import"
	AddedByAdmin  AddedBy = "admin"
)

// Subscription rules.
const (
	ConfirmValidFor = 7 * 24 * time.Hour // a confirmation link's life
	ConfirmEvery    = time.Hour          // at most one confirmation email per address in this time
	MaxFailures     = 3                  // consecutive permanent failures before bounced
)

// ErrLinkUsed means a confirm, manage or unsubscribe link is genuine but
// no longer applies: the subscription was confirmed, left or removed
// since.
var ErrLinkUsed = errors.New("the link was already used")

// Subscriber is one address following one page.
type Subscriber struct {
	bun.BaseModel `bun:"table:subscribers,alias:sub"`

	ID      string          `bun:"id,pk"`
	PageID  string          `bun:"page_id"`
	Email   string          `bun:"email"` // normalised by NormaliseEmail
	State   SubscriberState `bun:"state"`
	Scope   Scope           `bun:"scope"`
	AddedBy AddedBy         `bun:"added_by"`
	// Failures counts consecutive permanent delivery failures; a delivered
	// email resets it, MaxFailures of them mark the subscriber bounced.
	Failures           int        `bun:"failures"`
	ConfirmedAt        *time.Time `bun:"confirmed_at"`
	ConfirmationSentAt *time.Time `bun:"confirmation_sent_at"`
	UnsubscribedAt     *time.Time `bun:"unsubscribed_at"`
	CreatedAt          time.Time  `bun:"created_at"`
	UpdatedAt          time.Time  `bun:"updated_at"`

	// GroupIDs and ComponentIDs are the scope's choices, loaded on demand.
	GroupIDs     []string `bun:"-"`
	ComponentIDs []string `bun:"-"`
}

type subscriberGroup struct {
	bun.BaseModel `bun:"table:subscriber_groups"`
	SubscriberID  string `bun:"subscriber_id,pk"`
	GroupID       string `bun:"group_id,pk"`
}

type subscriberComponent struct {
	bun.BaseModel `bun:"table:subscriber_components"`
	SubscriberID  string `bun:"subscriber_id,pk"`
	ComponentID   string `bun:"component_id,pk"`
}

// Subscription is what an address asks to follow. GroupIDs are used with
// ScopeGroups, ComponentIDs with ScopeComponents.
type Subscription struct {
	Scope        Scope
	GroupIDs     []string
	ComponentIDs []string
}

// Subscribers keeps pages' subscribers: the public form's double opt-in,
// links to manage and leave, the admins' list, and who a notice goes to.
type Subscribers struct {
	svc    *status.Service
	db     *bun.DB
	outbox *Outbox
	tokens *Tokens
	base   *url.URL
}

// NewSubscribers returns Subscribers keeping their tables in db, reading
// pages and components through svc, queueing confirmations through outbox
// and signing links with tokens; base is Herald's URL for pages without a
// host name.
func NewSubscribers(db *bun.DB, svc *status.Service, outbox *Outbox, tokens *Tokens, base *url.URL) *Subscribers {
	return &Subscribers{svc: svc, db: db, outbox: outbox, tokens: tokens, base: base}
}

// Confirmation email templates, parsed once.
var (
	confirmText = texttemplate.Must(texttemplate.ParseFS(templates.Email, "email/subscription_confirm.txt"))
	confirmHTML = htmltemplate.Must(htmltemplate.ParseFS(templates.Email, "email/subscription_confirm.html"))
)

// confirmData is what the confirmation email shows.
type confirmData struct {
	PageName, Scope, ConfirmURL string
}

// Subscribe asks for a subscription of addr to pageID's components in sub,
// from the public form. It validates and normalises the address (a
// KindInvalid error names what is wrong) and the scope. Whatever the
// address's state, the answer is the same, so the form reveals nothing:
// a new, left or bounced address becomes pending and gets a confirmation
// email; a pending one gets its choice updated and at most one
// confirmation per ConfirmEvery; a confirmed one is left as it is. The
// confirmation is queued in the subscription's own transaction.
func (s *Subscribers) Subscribe(ctx context.Context, pageID, addr string, sub Subscription) error {
	email, err := NormaliseEmail(addr)
	if err != nil {
		return err
	}
	page, err := s.svc.Pages.ByID(ctx, pageID)
	if err != nil {
		return err
	}
	if err := s.checkScope(ctx, pageID, &sub, true); err != nil {
		return err
	}
	now := s.svc.Now()
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		cur, created, err := s.upsert(ctx, tx, pageID, email, sub, AddedByForm, SubscriberPending, now)
		if err != nil || cur.State == SubscriberConfirmed {
			return err
		}
		if !created {
			if err := s.reopen(ctx, tx, cur, sub, now); err != nil {
				return err
			}
		}
		return s.sendConfirmation(ctx, tx, page, cur, now)
	})
	if err != nil {
		return fmt.Errorf("subscribe to page %s: %w", pageID, err)
	}
	return nil
}

// upsert inserts a subscriber for (pageID, email) unless one exists, and
// returns the subscriber and whether it was created.
func (s *Subscribers) upsert(ctx context.Context, tx bun.Tx, pageID, email string, sub Subscription, by AddedBy, st SubscriberState, now time.Time) (*Subscriber, bool, error) {
	n := &Subscriber{ID: status.NewID(), PageID: pageID, Email: email, State: st, Scope: sub.Scope, AddedBy: by,
		CreatedAt: now, UpdatedAt: now}
	if st == SubscriberConfirmed {
		n.ConfirmedAt = &now
	}
	res, err := tx.NewInsert().Model(n).On("CONFLICT (page_id, email) DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("add subscriber: %w", err)
	}
	if k, _ := res.RowsAffected(); k == 1 {
		return n, true, setScope(ctx, tx, n.ID, sub)
	}
	cur := new(Subscriber)
	if err := tx.NewSelect().Model(cur).Where("page_id = ? AND email = ?", pageID, email).Scan(ctx); err != nil {
		return nil, false, fmt.Errorf("load subscriber: %w", err)
	}
	return cur, false, nil
}

// reopen makes an existing, unconfirmed subscriber pending again with the
// newly asked scope.
func (s *Subscribers) reopen(ctx context.Context, tx bun.Tx, cur *Subscriber, sub Subscription, now time.Time) error {
	if cur.State != SubscriberPending {
		cur.ConfirmationSentAt = nil // a new request after leaving earns a new confirmation
	}
	cur.State, cur.Scope, cur.Failures, cur.UpdatedAt = SubscriberPending, sub.Scope, 0, now
	if _, err := tx.NewUpdate().Model(cur).Column("state", "scope", "failures", "confirmation_sent_at", "updated_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("reopen subscriber %s: %w", cur.ID, err)
	}
	return setScope(ctx, tx, cur.ID, sub)
}

// sendConfirmation queues the confirmation email of sub unless one was
// sent within ConfirmEvery. The dedupe key names the hour, so a repeat
// within it is a no-op even if two requests race.
func (s *Subscribers) sendConfirmation(ctx context.Context, tx bun.Tx, page *status.Page, sub *Subscriber, now time.Time) error {
	if sub.ConfirmationSentAt != nil && now.Sub(*sub.ConfirmationSentAt) < ConfirmEvery {
		return nil
	}
	tok := s.tokens.Make(PurposeConfirm, sub.ID, now.Add(ConfirmValidFor))
	d := confirmData{PageName: page.Name, Scope: scopeWords(sub.Scope), ConfirmURL: page.URL(s.base) + "/subscribe/confirm/" + tok}
	var text, html bytes.Buffer
	if err := confirmText.Execute(&text, d); err != nil {
		return fmt.Errorf("render confirmation: %w", err)
	}
	if err := confirmHTML.Execute(&html, d); err != nil {
		return fmt.Errorf("render confirmation: %w", err)
	}
	e := &Email{DedupeKey: "confirm:" + sub.ID + ":" + now.UTC().Format("2006010215"), Kind: "subscription_confirm",
		PageID: page.ID, SubscriberID: sub.ID, To: sub.Email,
		Subject: "[" + strings.Join(strings.Fields(page.Name), " ") + "] Confirm your subscription",
		Text:    text.String(), HTML: html.String(), ReplyTo: page.SupportEmail}
	if _, err := s.outbox.Queue(ctx, tx, e); err != nil {
		return err
	}
	_, err := tx.NewUpdate().Model((*Subscriber)(nil)).Set("confirmation_sent_at = ?", now).Where("id = ?", sub.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record confirmation of %s: %w", sub.ID, err)
	}
	return nil
}

func scopeWords(sc Scope) string {
	switch sc {
	case ScopeGroups:
		return "chosen groups of components"
	case ScopeComponents:
		return "chosen components"
	}
	return "all components"
}

// setScope replaces the subscriber's chosen groups and components.
func setScope(ctx context.Context, tx bun.IDB, id string, sub Subscription) error {
	if _, err := tx.NewDelete().Model((*subscriberGroup)(nil)).Where("subscriber_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("clear groups of subscriber %s: %w", id, err)
	}
	if _, err := tx.NewDelete().Model((*subscriberComponent)(nil)).Where("subscriber_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("clear components of subscriber %s: %w", id, err)
	}
	switch sub.Scope {
	case ScopeGroups:
		rows := make([]subscriberGroup, len(sub.GroupIDs))
		for i, g := range sub.GroupIDs {
			rows[i] = subscriberGroup{SubscriberID: id, GroupID: g}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("set groups of subscriber %s: %w", id, err)
		}
	case ScopeComponents:
		rows := make([]subscriberComponent, len(sub.ComponentIDs))
		for i, c := range sub.ComponentIDs {
			rows[i] = subscriberComponent{SubscriberID: id, ComponentID: c}
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("set components of subscriber %s: %w", id, err)
		}
	}
	return nil
}

// checkScope validates sub against the page: a known scope, and for
// groups or components at least one, each on the page (and, from the
// public, not hidden). Duplicates are dropped.
func (s *Subscribers) checkScope(ctx context.Context, pageID string, sub *Subscription, public bool) error {
	bad := func(field, msg string) error {
		return &status.Error{Kind: status.KindInvalid, Message: "Choose what to follow.", Fields: map[string]string{field: msg}}
	}
	switch sub.Scope {
	case "", ScopeAll:
		*sub = Subscription{Scope: ScopeAll}
		return nil
	case ScopeGroups:
		sub.ComponentIDs = nil
		sub.GroupIDs = dedupe(sub.GroupIDs)
		if len(sub.GroupIDs) == 0 {
			return bad("groups", "Choose at least one group.")
		}
		groups, err := s.svc.Pages.Groups(ctx, pageID)
		if err != nil {
			return err
		}
		comps, err := s.svc.Pages.Components(ctx, pageID)
		if err != nil {
			return err
		}
		ok := map[string]bool{}
		for _, g := range groups {
			for _, c := range comps {
				if c.GroupID != nil && *c.GroupID == g.ID && (!public || !c.Hidden) {
					ok[g.ID] = true
				}
			}
			if !public {
				ok[g.ID] = true
			}
		}
		for _, id := range sub.GroupIDs {
			if !ok[id] {
				return bad("groups", "One of the chosen groups does not exist on this page.")
			}
		}
	case ScopeComponents:
		sub.GroupIDs = nil
		sub.ComponentIDs = dedupe(sub.ComponentIDs)
		if len(sub.ComponentIDs) == 0 {
			return bad("components", "Choose at least one component.")
		}
		comps, err := s.svc.Pages.Components(ctx, pageID)
		if err != nil {
			return err
		}
		ok := map[string]bool{}
		for _, c := range comps {
			ok[c.ID] = !public || !c.Hidden
		}
		for _, id := range sub.ComponentIDs {
			if !ok[id] {
				return bad("components", "One of the chosen components does not exist on this page.")
			}
		}
	default:
		return bad("scope", "Choose all components, groups or components.")
	}
	return nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ByToken returns the subscriber of pageID that a link's token for purpose
// names, with its scope loaded. It changes nothing. Errors:
// ErrTokenInvalid (forged, truncated, wrong purpose or another page's),
// ErrTokenExpired, and ErrLinkUsed when the link no longer applies (a
// confirm link of a subscription that is not pending; a manage link of one
// that is not confirmed).
func (s *Subscribers) ByToken(ctx context.Context, pageID, purpose, token string) (*Subscriber, error) {
	return s.byToken(ctx, s.db, pageID, purpose, token)
}

func (s *Subscribers) byToken(ctx context.Context, db bun.IDB, pageID, purpose, token string) (*Subscriber, error) {
	id, err := s.tokens.Check(purpose, token, s.svc.Now())
	if err != nil {
		return nil, err
	}
	sub := new(Subscriber)
	err = db.NewSelect().Model(sub).Where("id = ? AND page_id = ?", id, pageID).Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrLinkUsed // removed by an admin since, or another page's
	case err != nil:
		return nil, fmt.Errorf("load subscriber %s: %w", id, err)
	}
	switch {
	case purpose == PurposeConfirm && sub.State != SubscriberPending,
		purpose == PurposeManage && sub.State != SubscriberConfirmed:
		return sub, ErrLinkUsed
	}
	if err := loadScope(ctx, db, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

func loadScope(ctx context.Context, db bun.IDB, sub *Subscriber) error {
	sub.GroupIDs, sub.ComponentIDs = nil, nil
	if err := db.NewSelect().Model((*subscriberGroup)(nil)).Column("group_id").Where("subscriber_id = ?", sub.ID).
		Order("group_id").Scan(ctx, &sub.GroupIDs); err != nil {
		return fmt.Errorf("load groups of subscriber %s: %w", sub.ID, err)
	}
	if err := db.NewSelect().Model((*subscriberComponent)(nil)).Column("component_id").Where("subscriber_id = ?", sub.ID).
		Order("component_id").Scan(ctx, &sub.ComponentIDs); err != nil {
		return fmt.Errorf("load components of subscriber %s: %w", sub.ID, err)
	}
	return nil
}

// Confirm confirms the pending subscription a confirm link's token names.
// It fails with ByToken's errors and then changes nothing; a link works
// once.
func (s *Subscribers) Confirm(ctx context.Context, pageID, token string) (*Subscriber, error) {
	var sub *Subscriber
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if sub, err = s.byToken(ctx, tx, pageID, PurposeConfirm, token); err != nil {
			return err
		}
		now := s.svc.Now()
		res, err := tx.NewUpdate().Model((*Subscriber)(nil)).Set("state = ?", SubscriberConfirmed).Set("confirmed_at = ?", now).
			Set("failures = 0").Set("updated_at = ?", now).Where("id = ? AND state = ?", sub.ID, SubscriberPending).Exec(ctx)
		if err != nil {
			return fmt.Errorf("confirm subscriber %s: %w", sub.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLinkUsed // confirmed meanwhile
		}
		sub.State, sub.ConfirmedAt = SubscriberConfirmed, &now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// UpdateScope changes what the confirmed subscriber a manage link names
// follows. It fails with ByToken's errors, or KindInvalid for a bad scope.
func (s *Subscribers) UpdateScope(ctx context.Context, pageID, token string, sub Subscription) error {
	cur, err := s.ByToken(ctx, pageID, PurposeManage, token)
	if err != nil {
		return err
	}
	if err := s.checkScope(ctx, pageID, &sub, true); err != nil {
		return err
	}
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*Subscriber)(nil)).Set("scope = ?", sub.Scope).Set("updated_at = ?", s.svc.Now()).
			Where("id = ?", cur.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("change scope of subscriber %s: %w", cur.ID, err)
		}
		return setScope(ctx, tx, cur.ID, sub)
	})
}

// Unsubscribe ends the subscription a link's token names; purpose is
// PurposeUnsubscribe (the link in every email, and RFC 8058 one-click) or
// PurposeManage (leaving from the manage page). Leaving twice is not an
// error: mail providers repeat one-click POSTs. A bounced subscriber stays
// bounced.
func (s *Subscribers) Unsubscribe(ctx context.Context, pageID, purpose, token string) error {
	if purpose != PurposeUnsubscribe && purpose != PurposeManage {
		return ErrTokenInvalid
	}
	sub, err := s.ByToken(ctx, pageID, purpose, token)
	if err != nil {
		return err
	}
	now := s.svc.Now()
	_, err = s.db.NewUpdate().Model((*Subscriber)(nil)).Set("state = ?", SubscriberUnsubscribed).Set("unsubscribed_at = ?", now).
		Set("updated_at = ?", now).Where("id = ? AND state IN (?, ?)", sub.ID, SubscriberPending, SubscriberConfirmed).Exec(ctx)
	if err != nil {
		return fmt.Errorf("unsubscribe %s: %w", sub.ID, err)
	}
	return nil
}

// Recipients returns, in id order, up to limit confirmed subscribers of
// pageID with an id after afterID who follow any of componentIDs: those
// following all components always; a group's followers when a component
// is in that group now; a component's followers. Bounced, pending and
// unsubscribed addresses are never returned. A fan-out streams its
// audience by passing the last id of each batch as the next afterID. With
// no components, only all-component subscribers are returned.
func (s *Subscribers) Recipients(ctx context.Context, pageID string, componentIDs []string, afterID string, limit int) ([]*Subscriber, error) {
	if limit <= 0 {
		limit = 500
	}
	var groupIDs []string
	if len(componentIDs) > 0 {
		var err error
		if groupIDs, err = s.svc.Pages.ComponentGroupIDs(ctx, componentIDs); err != nil {
			return nil, fmt.Errorf("list recipients of page %s: %w", pageID, err)
		}
	}
	var out []*Subscriber
	q := s.db.NewSelect().Model(&out).Where("sub.page_id = ? AND sub.state = ? AND sub.id > ?", pageID, SubscriberConfirmed, afterID)
	if len(componentIDs) == 0 {
		q = q.Where("sub.scope = ?", ScopeAll)
	} else {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			q = q.Where("sub.scope = ?", ScopeAll).
				WhereOr("sub.scope = ? AND EXISTS (SELECT 1 FROM subscriber_components AS sc WHERE sc.subscriber_id = sub.id AND sc.component_id IN (?))",
					ScopeComponents, bun.List(componentIDs))
			if len(groupIDs) > 0 {
				q = q.WhereOr("sub.scope = ? AND EXISTS (SELECT 1 FROM subscriber_groups AS sg WHERE sg.subscriber_id = sub.id AND sg.group_id IN (?))",
					ScopeGroups, bun.List(groupIDs))
			}
			return q
		})
	}
	if err := q.Order("sub.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list recipients of page %s: %w", pageID, err)
	}
	return out, nil
}

// RecordPermanentFailure counts a permanent delivery failure (a 5xx reply)
// to the subscriber; the MaxFailures-th in a row marks it bounced, and it
// is mailed no more.
func (s *Subscribers) RecordPermanentFailure(ctx context.Context, subscriberID string) error {
	return s.recordFailure(ctx, s.db, subscriberID)
}

func (s *Subscribers) recordFailure(ctx context.Context, db bun.IDB, subscriberID string) error {
	_, err := db.NewUpdate().Model((*Subscriber)(nil)).
		Set("failures = failures + 1").
		Set("state = CASE WHEN failures + 1 >= ? AND state = ? THEN ? ELSE state END", MaxFailures, SubscriberConfirmed, SubscriberBounced).
		Set("updated_at = ?", s.svc.Now()).
		Where("id = ?", subscriberID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record failure of subscriber %s: %w", subscriberID, err)
	}
	return nil
}

// RecordDelivered resets the subscribers' counts of consecutive failures.
func (s *Subscribers) RecordDelivered(ctx context.Context, subscriberIDs ...string) error {
	return s.recordDelivered(ctx, s.db, subscriberIDs)
}

func (s *Subscribers) recordDelivered(ctx context.Context, db bun.IDB, subscriberIDs []string) error {
	if len(subscriberIDs) == 0 {
		return nil
	}
	_, err := db.NewUpdate().Model((*Subscriber)(nil)).Set("failures = 0").
		Where("id IN (?) AND failures > 0", bun.List(subscriberIDs)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record delivery to %d subscribers (%s…): %w", len(subscriberIDs), subscriberIDs[0], err)
	}
	return nil
}

// ManageURL is the link to sub's manage page (no expiry), for every email
// to a subscriber. base is Herald's URL for pages without a host name.
func (s *Subscribers) ManageURL(base *url.URL, page *status.Page, sub *Subscriber) string {
	return page.URL(base) + "/manage/" + s.tokens.Make(PurposeManage, sub.ID, time.Time{})
}

// UnsubscribeURL is sub's unsubscribe link (no expiry): a page with a
// button on GET, and RFC 8058 one-click on POST, for the List-Unsubscribe
// header and every email's footer.
func (s *Subscribers) UnsubscribeURL(base *url.URL, page *status.Page, sub *Subscriber) string {
	return page.URL(base) + "/unsubscribe/" + s.tokens.Make(PurposeUnsubscribe, sub.ID, time.Time{})
}
