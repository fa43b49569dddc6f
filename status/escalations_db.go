package status

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// EscalationRecord is something recorded about an escalation step.
type EscalationRecord string

// What can be recorded.
const (
	RecordAMInformed     EscalationRecord = "am_informed"
	RecordPostmortemYes  EscalationRecord = "postmortem_yes"
	RecordPostmortemNo   EscalationRecord = "postmortem_no"
	RecordContinuityPlan EscalationRecord = "continuity_plan"
)

// RecordEscalation records an escalation step on the incident (who and
// when) and on its timeline.
func (s *Incidents) RecordEscalation(ctx context.Context, pageID, incidentID string, what EscalationRecord, actor string) error {
	now := s.Now()
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		before := *inc
		var msg TimelineMessage
		switch what {
		case RecordAMInformed:
			inc.AMInformedAt, inc.AMInformedBy, msg = &now, actor, MsgAMInformed
		case RecordPostmortemYes, RecordPostmortemNo:
			inc.PostmortemDecision, inc.PostmortemDecidedBy, inc.PostmortemDecidedAt = PostmortemYes, actor, &now
			msg = MsgPostmortemDecisionYes
			if what == RecordPostmortemNo {
				inc.PostmortemDecision, msg = PostmortemNo, MsgPostmortemDecisionNo
			}
		case RecordContinuityPlan:
			inc.ContinuityPlanAt, msg = &now, MsgContinuityPlanTriggered
		default:
			return FieldError("record", "is not something that can be recorded")
		}
		inc.Version++
		inc.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(inc).Column("am_informed_at", "am_informed_by", "postmortem_decision",
			"postmortem_decided_by", "postmortem_decided_at", "continuity_plan_at", "version", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("record escalation: %w", err)
		}
		if err := audit(ctx, tx, now, Change{Action: "record_" + string(what), SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			Before: before, After: inc}); err != nil {
			return err
		}
		return addTimeline(ctx, tx, inc.ID, TimelineChange, actor, now, now, plain(msg))
	})
}

// EscalationsOf returns the escalation flags of an incident at the
// service's now, with the incident history of its components.
func (s *Incidents) EscalationsOf(ctx context.Context, inc *Incident) ([]Flag, error) {
	return escalationsOf(ctx, s.db, inc, s.Now())
}

func escalationsOf(ctx context.Context, db bun.IDB, inc *Incident, now time.Time) ([]Flag, error) {
	in := EscalationInput{AccountManagementInformedAt: inc.AMInformedAt, PostmortemDecision: inc.PostmortemDecision,
		ContinuityPlanAt: inc.ContinuityPlanAt}
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
