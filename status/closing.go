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
	Message            string // the customer-facing resolution message
	Resolution         Resolution
	Cause              string
	Solution           string
	Remaining          string
	FollowUps          string
	Author             string
	Notify             *bool
	Version            int // the incident version the form was based on
}

// postmortemGate refuses to resolve an incident that needs a post-mortem
// decision (over 4 h, major or business continuity) until the decision is
// recorded and, if it is yes, the post-mortem is written (a draft will do).
func postmortemGate(inc *Incident, now time.Time) error {
	if !inc.State.Open() || !PostmortemRequired(inc.Duration(now), inc.Severity) {
		return nil
	}
	switch {
	case inc.PostmortemDecision == PostmortemUndecided:
		return Errorf(KindConflict, "Record the post-mortem decision before resolving: this incident ran over 4 hours or is major.")
	case inc.PostmortemDecision == PostmortemYes && strings.TrimSpace(inc.Postmortem+inc.PostmortemDraft) == "":
		return Errorf(KindConflict, "A post-mortem was decided; write it (a draft will do) before resolving.")
	}
	return nil
}

// Close resolves an incident after checking the closing rules: the
// confirmation is recorded, the cause and solution are written down, and
// the post-mortem gate holds (an incident over 4 h, or major or business
// continuity, needs the post-mortem decision, and with "yes" the
// post-mortem itself, before it can close). Refusals are KindInvalid with
// the field to fix, or KindConflict for the gate and stale forms.
func (s *Service) Close(ctx context.Context, pageID, incidentID string, in CloseInput) (*IncidentUpdate, error) {
	now := s.Now()
	f := FieldErrors{}
	checkText(f, "confirmed_by", in.ConfirmedBy, MaxNameLen, true, false)
	if in.ConfirmationSource != "customer" && in.ConfirmationSource != "internal" {
		f.Add("confirmation_source", "must say whether the customer or someone internal confirmed")
	}
	checkText(f, "message", in.Message, MaxBodyLen, true, true)
	if in.Resolution != ResolutionTemporary && in.Resolution != ResolutionPermanent {
		f.Add("resolution", "must be temporary or permanent")
	}
	checkText(f, "cause", in.Cause, MaxBodyLen, true, true)
	checkText(f, "solution", in.Solution, MaxBodyLen, true, true)
	checkText(f, "remaining", in.Remaining, MaxBodyLen, false, true)
	checkText(f, "follow_ups", in.FollowUps, MaxShortLen, false, true)
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
		if err := postmortemGate(inc, now); err != nil {
			return err
		}
		before := *inc
		inc.ConfirmedBy, inc.ConfirmationSource, inc.ConfirmedAt = strings.TrimSpace(in.ConfirmedBy), in.ConfirmationSource, &now
		inc.Cause, inc.Solution, inc.Remaining, inc.FollowUps = in.Cause, in.Solution, in.Remaining, strings.TrimSpace(in.FollowUps)
		if _, err := tx.NewUpdate().Model(inc).Column("confirmed_by", "confirmation_source", "confirmed_at", "cause",
			"solution", "remaining", "follow_ups").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record closing summary: %w", err)
		}
		if err := addTimeline(ctx, tx, inc.ID, TimelineChange, in.Author, now, now,
			"Services confirmed back by %s (%s).", inc.ConfirmedBy, in.ConfirmationSource); err != nil {
			return err
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

// ConfirmFromEntry records that the customer confirmed the services are
// back, from one of their messages on the incident's timeline (a customer
// entry): the one click that saves typing it at closing, where it is
// filled in already.
func (s *Service) ConfirmFromEntry(ctx context.Context, pageID, incidentID, entryID string) error {
	if !ValidID(entryID) {
		return notFound("Timeline entry", entryID)
	}
	now := s.Now()
	return s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if !inc.State.Open() {
			return Errorf(KindConflict, "This incident is resolved; its confirmation is on record.")
		}
		e := new(TimelineEntry)
		if err := tx.NewSelect().Model(e).Where("id = ? AND incident_id = ?", entryID, inc.ID).Scan(ctx); err != nil {
			return notFoundOr(err, "Timeline entry", entryID)
		}
		if e.Kind != TimelineCustomer {
			return Errorf(KindInvalid, "Only a customer's message can confirm the services are back.")
		}
		before := *inc
		inc.ConfirmedBy, inc.ConfirmationSource, inc.ConfirmedAt = e.Actor, "customer", &e.At
		if _, err := tx.NewUpdate().Model(inc).Column("confirmed_by", "confirmation_source", "confirmed_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record confirmation: %w", err)
		}
		if err := addTimeline(ctx, tx, inc.ID, TimelineChange, ActorFrom(ctx).Name, now, now,
			"Services confirmed back by %s (customer), by their message of %s.", e.Actor, e.At.UTC().Format("2006-01-02 15:04 UTC")); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "confirm", SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			Before: before, After: inc})
	})
}
