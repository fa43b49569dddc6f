package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// CloseInput closes an incident by the process: confirmation that the
// services are back, the customer-facing resolution message and the
// closing summary.
type CloseInput struct {
	ConfirmedBy        string // who confirmed the services are back
	ConfirmationSource string // "customer" or "internal"
	ConfirmationMethod string // how: see ConfirmationMethods
	Message            string // the customer-facing resolution message
	Resolution         Resolution
	Cause              string
	Solution           string
	Remaining          string
	FollowUps          string
	// ContinuityNotNeeded says why a business-continuity incident did
	// not need the plan, when it was not triggered and no reason is on
	// record yet.
	ContinuityNotNeeded string
	Author              string
	Notify              *bool
	Version             int // the incident version the form was based on
}

// closingGate refuses to resolve a business-continuity incident until
// the plan is recorded as triggered or not needed (with the reason), and
// one that needs a post-mortem decision (over 4 h, major or business
// continuity) until the decision is recorded and, if it is yes, the
// post-mortem is written (a draft will do).
func closingGate(inc *Incident, now time.Time) error {
	if !inc.State.Open() {
		return nil
	}
	if inc.Severity == SeverityBusinessContinuity && inc.ContinuityPlanAt == nil && strings.TrimSpace(inc.ContinuityNotNeeded) == "" {
		return &Error{Kind: KindConflict, Message: "Record that the business continuity plan was triggered, or why it was not needed, before resolving.",
			Fields: map[string]string{"continuity_not_needed": "say why the plan was not needed, or record it as triggered"}}
	}
	if !PostmortemRequired(inc.Duration(now), inc.Severity) {
		return nil
	}
	switch {
	case inc.PostmortemDecision == PostmortemUndecided:
		return Errorf(KindConflict, "Record the post-mortem decision before resolving: this incident ran over 4 hours or is major.")
	case inc.PostmortemDecision == PostmortemYes && strings.TrimSpace(inc.Postmortem+inc.PostmortemDraft+inc.PostmortemInternal) == "":
		return Errorf(KindConflict, "A post-mortem was decided; write it (a draft will do) before resolving.")
	}
	return nil
}

// Close resolves an incident after checking the closing rules: the
// confirmation is recorded (a new one answers the confirmation requests
// still open), the cause and solution are written down, and
// the post-mortem gate holds (an incident over 4 h, or major or business
// continuity, needs the post-mortem decision, and with "yes" the
// post-mortem itself, before it can close). Refusals are KindInvalid with
// the field to fix, or KindConflict for the gate and stale forms.
func (s *Incidents) Close(ctx context.Context, pageID, incidentID string, in CloseInput) (*IncidentUpdate, error) {
	now := s.Now()
	f := FieldErrors{}
	checkText(f, "confirmed_by", in.ConfirmedBy, MaxNameLen, true, false)
	if in.ConfirmationSource != "customer" && in.ConfirmationSource != "internal" {
		f.Add("confirmation_source", "must say whether the customer or someone internal confirmed")
	}
	checkMethod(f, in.ConfirmationMethod)
	checkText(f, "message", in.Message, MaxBodyLen, true, true)
	if in.Resolution != ResolutionTemporary && in.Resolution != ResolutionPermanent {
		f.Add("resolution", "must be temporary or permanent")
	}
	checkText(f, "cause", in.Cause, MaxBodyLen, true, true)
	checkText(f, "solution", in.Solution, MaxBodyLen, true, true)
	checkText(f, "remaining", in.Remaining, MaxBodyLen, false, true)
	checkText(f, "follow_ups", in.FollowUps, MaxShortLen, false, true)
	checkText(f, "continuity_not_needed", in.ContinuityNotNeeded, MaxShortLen, false, true)
	for _, line := range strings.Split(in.FollowUps, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			checkURL(f, "follow_ups", line)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var upd *IncidentUpdate
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if !inc.State.Open() {
			return Errorf(KindConflict, "This incident is already resolved.")
		}
		if in.Version != 0 && in.Version != inc.Version {
			return Errorf(KindConflict, "Someone else changed this incident meanwhile. Reload it, check what changed, and close again.")
		}
		before := *inc
		if reason := strings.TrimSpace(in.ContinuityNotNeeded); reason != "" && inc.Severity == SeverityBusinessContinuity &&
			inc.ContinuityPlanAt == nil && inc.ContinuityNotNeeded == "" {
			inc.ContinuityNotNeeded = reason
			if _, err := tx.NewUpdate().Model(inc).Column("continuity_not_needed").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("record why the continuity plan was not needed: %w", err)
			}
			if err := addTimeline(ctx, tx, inc.ID, TimelineChange, in.Author, now, now, msgContinuityNotNeeded(reason)); err != nil {
				return err
			}
		}
		if err := closingGate(inc, now); err != nil {
			return err
		}
		by := strings.TrimSpace(in.ConfirmedBy)
		if by != inc.ConfirmedBy || in.ConfirmationSource != inc.ConfirmationSource || in.ConfirmationMethod != inc.ConfirmationMethod {
			// A confirmation on record stays as it was, with its message;
			// anything else is a new one, given at closing.
			inc.ConfirmedBy, inc.ConfirmationSource, inc.ConfirmationMethod, inc.ConfirmationRef, inc.ConfirmedAt =
				by, in.ConfirmationSource, in.ConfirmationMethod, "", &now
			e, err := addTimelineEntry(ctx, tx, inc.ID, TimelineChange, in.Author, now, now,
				msgServicesConfirmed(inc.ConfirmedBy, inc.ConfirmationSource, inc.ConfirmationMethod))
			if err != nil {
				return err
			}
			// The confirmation given at closing answers every request still open.
			if err := answerRequests(ctx, tx, inc.ID, e.ID, by, now, now); err != nil {
				return err
			}
		}
		inc.Cause, inc.Solution, inc.Remaining, inc.FollowUps = in.Cause, in.Solution, in.Remaining, strings.TrimSpace(in.FollowUps)
		if _, err := tx.NewUpdate().Model(inc).Column("confirmed_by", "confirmation_source", "confirmation_method", "confirmation_ref",
			"confirmed_at", "cause", "solution", "remaining", "follow_ups").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record closing summary: %w", err)
		}
		upd, err = s.applyUpdate(ctx, tx, inc, UpdateInput{State: StateResolved, Kind: KindResolution, Resolution: in.Resolution,
			Body: in.Message, Author: in.Author, Notify: in.Notify}, now)
		if err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "close", SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			Before: before, After: withUpdate{inc, upd}})
	})
	return upd, err
}

// ConfirmationMethods are the ways a confirmation that the services are
// back can come, for the forms.
var ConfirmationMethods = []string{"email", "phone", "ticket", "chat", "meeting", "monitoring", "other"}

func checkMethod(f FieldErrors, m string) {
	for _, v := range ConfirmationMethods {
		if m == v {
			return
		}
	}
	f.Add("confirmation_method", "must say how it was confirmed: "+strings.Join(ConfirmationMethods, ", "))
}

func methodLabel(m string) string {
	switch m {
	case "email":
		return "by email"
	case "phone":
		return "by phone"
	case "ticket":
		return "in a ticket"
	case "chat":
		return "in chat"
	case "meeting":
		return "in a meeting or video call"
	case "monitoring":
		return "by monitoring"
	}
	return "other way"
}

func confirmerLabel(source string) string {
	if source == "customer" {
		return "customer contact"
	}
	return "team member"
}

// Confirmation is a proposed confirmation that the services are back,
// taken from a customer's message on the timeline: who sent it, how, and
// what it said. The console shows it and asks before recording it.
type Confirmation struct {
	EntryID string
	By      string // the sender, to check and correct
	Method  string // email, phone or ticket, from the message's channel
	Quote   string // what the message said
	At      time.Time
}

// ConfirmationFrom proposes a confirmation from a customer's message on
// the incident's timeline. KindNotFound for an unknown entry, KindInvalid
// for an entry that is not a customer's message.
func (s *Incidents) ConfirmationFrom(ctx context.Context, pageID, incidentID, entryID string) (*Confirmation, error) {
	if _, err := incidentOnPage(ctx, s.db, pageID, incidentID); err != nil {
		return nil, err
	}
	return confirmationFrom(ctx, s.db, incidentID, entryID)
}

func confirmationFrom(ctx context.Context, db bun.IDB, incidentID, entryID string) (*Confirmation, error) {
	if !ValidID(entryID) {
		return nil, notFound("Timeline entry", entryID)
	}
	e := new(TimelineEntry)
	if err := db.NewSelect().Model(e).Where("id = ? AND incident_id = ?", entryID, incidentID).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Timeline entry", entryID)
	}
	if e.Kind != TimelineCustomer {
		return nil, Errorf(KindInvalid, "Only a customer's message can confirm the services are back.")
	}
	c := &Confirmation{EntryID: e.ID, By: e.Actor, Quote: e.Text(), At: e.At, Method: channelMethod(e.Channel)}
	if e.Ref != "" && ValidID(e.Ref) {
		// Declared or attached from an intake item: its sender wrote, not
		// whoever attached it.
		item := new(IntakeItem)
		err := db.NewSelect().Model(item).Where("id = ?", e.Ref).Scan(ctx)
		switch {
		case err == nil:
			c.By = cmpOr(item.SenderName, item.SenderEmail, item.SenderPhone)
			c.Method = channelMethod(item.Source)
		case KindOf(normalise(err)) != KindNotFound:
			return nil, fmt.Errorf("load intake item %s: %w", e.Ref, err)
		}
	}
	return c, nil
}

func channelMethod(ch IntakeSource) string {
	switch ch {
	case IntakePhone:
		return "phone"
	case IntakePortal:
		return "ticket"
	case IntakeEmail:
		return "email"
	}
	return "other"
}

// ConfirmInput records a confirmation proposed by ConfirmationFrom, as the
// person checked it.
type ConfirmInput struct {
	By     string
	Method string
}

// ConfirmFromEntry records that a customer contact confirmed the services
// are back, by the message in a timeline entry: the name and method as the
// person recording it checked them. The confirmation requests made before
// the message came are answered by it. Errors: KindNotFound for an unknown
// entry, KindInvalid for a wrong name or method or an entry that is not a
// customer's message, KindConflict once the incident is resolved.
func (s *Incidents) ConfirmFromEntry(ctx context.Context, pageID, incidentID, entryID string, in ConfirmInput) error {
	f := FieldErrors{}
	checkText(f, "confirmed_by", in.By, MaxNameLen, true, false)
	checkMethod(f, in.Method)
	if err := f.Err(); err != nil {
		return err
	}
	now := s.Now()
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if !inc.State.Open() {
			return Errorf(KindConflict, "This incident is resolved; its confirmation is on record.")
		}
		c, err := confirmationFrom(ctx, tx, inc.ID, entryID)
		if err != nil {
			return err
		}
		before := *inc
		inc.ConfirmedBy, inc.ConfirmationSource, inc.ConfirmationMethod = strings.TrimSpace(in.By), "customer", in.Method
		inc.ConfirmationRef, inc.ConfirmedAt = c.EntryID, &c.At
		if _, err := tx.NewUpdate().Model(inc).Column("confirmed_by", "confirmation_source", "confirmation_method",
			"confirmation_ref", "confirmed_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record confirmation: %w", err)
		}
		page, err := pageByID(ctx, tx, pageID)
		if err != nil {
			return err
		}
		if err := addTimeline(ctx, tx, inc.ID, TimelineChange, ActorFrom(ctx).Name, now, now,
			msgServicesConfirmedByMessage(inc.ConfirmedBy, inc.ConfirmationMethod, c.At, page.TimeZone)); err != nil {
			return err
		}
		// The message answers the requests made before it came.
		if err := answerRequests(ctx, tx, inc.ID, c.EntryID, inc.ConfirmedBy, c.At, c.At); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "confirm", SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			Before: before, After: inc})
	})
}
