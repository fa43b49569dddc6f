package status

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// EscalationRecord is something recorded about an escalation step.
type EscalationRecord string

// What can be recorded.
const (
	RecordAMInformed          EscalationRecord = "am_informed"
	RecordPostmortemYes       EscalationRecord = "postmortem_yes"
	RecordPostmortemNo        EscalationRecord = "postmortem_no"
	RecordContinuityPlan      EscalationRecord = "continuity_plan"
	RecordContinuityNotNeeded EscalationRecord = "continuity_not_needed"
	RecordSecurityReported    EscalationRecord = "security_reported"
)

// EscalationRecords lists what can be recorded.
var EscalationRecords = []EscalationRecord{RecordAMInformed, RecordPostmortemYes, RecordPostmortemNo,
	RecordContinuityPlan, RecordContinuityNotNeeded, RecordSecurityReported}

// EscalationStep is a step to record on an incident.
type EscalationStep struct {
	What EscalationRecord
	// DecidedBy names the member of Account Management who was informed
	// (RecordAMInformed) or took the post-mortem decision. A user flagged
	// as Account Management records it in their own name and may leave it
	// empty; anyone else (and any API token) must name the person.
	DecidedBy string
	// Reason says why the continuity plan was not needed
	// (RecordContinuityNotNeeded).
	Reason string
}

// RecordEscalation records an escalation step on the incident (who and
// when), on its timeline and in the audit log. Account Management's steps
// (informed, the post-mortem decision) record the member of Account
// Management who decided: the acting user when flagged as one, otherwise
// step.DecidedBy, with the actor recorded as who entered it. Errors:
// KindInvalid for an unknown step, a missing name or reason;
// KindNotFound; KindConflict for a security report on an incident that is
// not a security matter, or for a continuity step on a resolved incident.
func (s *Incidents) RecordEscalation(ctx context.Context, pageID, incidentID string, step EscalationStep) error {
	now := s.Now()
	f := FieldErrors{}
	if !slices.Contains(EscalationRecords, step.What) {
		f.Add("record", "is not something that can be recorded")
	}
	checkText(f, "decided_by", step.DecidedBy, MaxNameLen, false, false)
	checkText(f, "reason", step.Reason, MaxShortLen, step.What == RecordContinuityNotNeeded, true)
	if err := f.Err(); err != nil {
		return err
	}
	actor := ActorFrom(ctx)
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		before := *inc
		var msg said
		switch step.What {
		case RecordAMInformed, RecordPostmortemYes, RecordPostmortemNo:
			by, recordedBy, err := amDecider(ctx, tx, actor, step.DecidedBy)
			if err != nil {
				return err
			}
			if step.What == RecordAMInformed {
				inc.AMInformedAt, inc.AMInformedBy, inc.AMInformedRecordedBy = &now, by, recordedBy
				msg = msgAMInformed(by, recordedBy)
				break
			}
			inc.PostmortemDecision = PostmortemYes
			if step.What == RecordPostmortemNo {
				inc.PostmortemDecision = PostmortemNo
			}
			inc.PostmortemDecidedBy, inc.PostmortemRecordedBy, inc.PostmortemDecidedAt = by, recordedBy, &now
			msg = msgPostmortemDecided(inc.PostmortemDecision, by, recordedBy)
		case RecordContinuityPlan, RecordContinuityNotNeeded:
			if !inc.State.Open() {
				return Errorf(KindConflict, "This incident is resolved; its business continuity record is closed.")
			}
			if step.What == RecordContinuityPlan {
				inc.ContinuityPlanAt, msg = &now, plain(MsgContinuityPlanTriggered)
				break
			}
			inc.ContinuityNotNeeded = strings.TrimSpace(step.Reason)
			msg = msgContinuityNotNeeded(inc.ContinuityNotNeeded)
		case RecordSecurityReported:
			if inc.Security == SecurityNone {
				return Errorf(KindConflict, "This incident is not marked as a security matter.")
			}
			inc.SecurityReportedAt, inc.SecurityReportedBy, msg = &now, actor.Name, plain(MsgSecurityReported)
		}
		inc.Version++
		inc.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(inc).Column("am_informed_at", "am_informed_by", "am_informed_recorded_by",
			"postmortem_decision", "postmortem_decided_by", "postmortem_recorded_by", "postmortem_decided_at",
			"continuity_plan_at", "continuity_not_needed", "security_reported_at", "security_reported_by",
			"version", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record escalation: %w", err)
		}
		if err := audit(ctx, tx, now, Change{Action: "record_" + string(step.What), SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			Before: before, After: inc}); err != nil {
			return err
		}
		return addTimeline(ctx, tx, inc.ID, TimelineChange, actor.Name, now, now, msg)
	})
}

// amDecider returns who in Account Management decided a step and who
// recorded it for them: the acting user alone when they are flagged as
// Account Management (a name they give is then ignored); otherwise the
// named person, with the actor as recorder. Naming nobody is KindInvalid.
func amDecider(ctx context.Context, db bun.IDB, actor Actor, named string) (by, recordedBy string, err error) {
	if actor.Kind == ActorUser && actor.ID != "" {
		u, err := userByID(ctx, db, actor.ID)
		if err != nil && KindOf(err) != KindNotFound {
			return "", "", err
		}
		if err == nil && u.AccountManagement {
			return cmpOr(u.Name, u.Email), "", nil
		}
	}
	named = strings.TrimSpace(named)
	if named == "" {
		return "", "", FieldError("decided_by", "must name the person in Account Management who decided")
	}
	return named, actor.Name, nil
}

// EscalationsOf returns the escalation flags of an incident at the
// service's now, with the incident history of its components.
func (s *Incidents) EscalationsOf(ctx context.Context, inc *Incident) ([]Flag, error) {
	return escalationsOf(ctx, s.db, inc, s.Now())
}

func escalationsOf(ctx context.Context, db bun.IDB, inc *Incident, now time.Time) ([]Flag, error) {
	in := EscalationInput{AccountManagementInformedAt: inc.AMInformedAt, PostmortemDecision: inc.PostmortemDecision,
		ContinuityPlanAt: inc.ContinuityPlanAt, SecurityReportedAt: inc.SecurityReportedAt}
	for _, ic := range inc.Components {
		var rows []struct {
			StartedAt time.Time `bun:"started_at"`
		}
		if err := db.NewSelect().Model((*Incident)(nil)).Column("i.started_at").
			Join("JOIN incident_components AS ic ON ic.incident_id = i.id").
			Where("ic.component_id = ? AND i.id <> ?", ic.ComponentID, inc.ID).
			Where("i.started_at >= ? AND i.started_at <= ?", inc.StartedAt.Add(-RepeatWindow), inc.StartedAt).
			Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("load incident history of component %s: %w", ic.ComponentID, err)
		}
		h := ComponentHistory{ComponentID: ic.ComponentID}
		if c, err := componentOnPage(ctx, db, inc.PageID, ic.ComponentID); err == nil {
			h.Name = c.Name
		}
		for _, r := range rows {
			h.Starts = append(h.Starts, r.StartedAt)
		}
		in.Components = append(in.Components, h)
	}
	return Escalations(inc, in, now), nil
}
