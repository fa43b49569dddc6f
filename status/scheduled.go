package status

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// ScheduledStatus says where a scheduled update stands.
type ScheduledStatus string

// Scheduled update statuses.
const (
	ScheduledPending   ScheduledStatus = "pending"
	ScheduledPublished ScheduledStatus = "published"
	ScheduledCancelled ScheduledStatus = "cancelled"
	ScheduledFailed    ScheduledStatus = "failed"
)

// Scheduling limits: far enough ahead that the form is not racing the
// clock, close enough that the message still fits the incident.
const (
	MinScheduleAhead = time.Minute
	MaxScheduleAhead = 7 * 24 * time.Hour
)

// ScheduledUpdate is an incident update written now and published at
// PublishAt. Until then it is visible in the console only.
type ScheduledUpdate struct {
	bun.BaseModel `bun:"table:scheduled_updates,alias:su"`

	ID         string          `bun:"id,pk"`
	IncidentID string          `bun:"incident_id"`
	PageID     string          `bun:"page_id"`
	PublishAt  time.Time       `bun:"publish_at"`
	InputJSON  string          `bun:"input_json" json:"-"`
	Status     ScheduledStatus `bun:"status"`
	Reason     string          `bun:"reason"` // why it failed
	UpdateID   *string         `bun:"update_id"`
	CreatedBy  string          `bun:"created_by"`
	CreatedAt  time.Time       `bun:"created_at"`
	DoneAt     *time.Time      `bun:"done_at"`

	// Input is the update to post, decoded from InputJSON.
	Input UpdateInput `bun:"-"`
}

func (su *ScheduledUpdate) decode() error {
	if err := json.Unmarshal([]byte(su.InputJSON), &su.Input); err != nil {
		return fmt.Errorf("decode scheduled update %s: %w", su.ID, err)
	}
	return nil
}

// ScheduleUpdate stores an update to publish at at. It is validated now as
// it would be at its time (an ETA or next-update time must lie after at),
// and again when it is published. The incident must be open.
func (s *Incidents) ScheduleUpdate(ctx context.Context, pageID, incidentID string, in UpdateInput, at time.Time) (*ScheduledUpdate, error) {
	now := s.Now()
	at = at.UTC().Truncate(time.Microsecond)
	if in.Kind == "" {
		in.Kind = KindGeneral
	}
	f := FieldErrors{}
	switch {
	case at.Before(now.Add(MinScheduleAhead)):
		f.Add("publish_at", "must be at least a minute from now (or publish now)")
	case at.After(now.Add(MaxScheduleAhead)):
		f.Add("publish_at", "must be within 7 days")
	}
	in.validate(f, at)
	if err := f.Err(); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("encode scheduled update: %w", err)
	}
	su := &ScheduledUpdate{ID: NewID(), IncidentID: incidentID, PageID: pageID, PublishAt: at, InputJSON: string(raw),
		Status: ScheduledPending, CreatedBy: strings.TrimSpace(in.Author), CreatedAt: now, Input: in}
	err = s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if !inc.State.Open() {
			return Errorf(KindConflict, "This incident is resolved; post the update now instead of scheduling it.")
		}
		if in.Version != 0 && in.Version != inc.Version {
			return Errorf(KindConflict, "Someone else changed this incident meanwhile. Reload it, check what changed, and schedule again.")
		}
		page, err := pageByID(ctx, tx, pageID)
		if err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(su).Exec(ctx); err != nil {
			return fmt.Errorf("insert scheduled update: %w", err)
		}
		if err := addTimeline(ctx, tx, incidentID, TimelineChange, in.Author, now, now,
			msgUpdateScheduled(in.Kind, at, page.TimeZone, firstLine(in.Body))); err != nil {
			return err
		}
		if err := audit(ctx, tx, now, Change{Action: "schedule_update", SubjectType: "incident", SubjectID: incidentID, PageID: pageID, After: su}); err != nil {
			return err
		}
		return s.scheduleDue(ctx, tx, at)
	})
	if err != nil {
		return nil, err
	}
	return su, nil
}

// CancelScheduledUpdate withdraws a pending scheduled update.
func (s *Incidents) CancelScheduledUpdate(ctx context.Context, pageID, incidentID, id, actor string) error {
	if !ValidID(id) {
		return notFound("Scheduled update", id)
	}
	now := s.Now()
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		su, err := lockScheduled(ctx, tx, id)
		if err != nil {
			return err
		}
		if su.IncidentID != incidentID || su.PageID != pageID {
			return notFound("Scheduled update", id)
		}
		if su.Status != ScheduledPending {
			return Errorf(KindConflict, "This update is already %s.", su.Status)
		}
		before := *su
		su.Status, su.DoneAt = ScheduledCancelled, &now
		if _, err := tx.NewUpdate().Model(su).Column("status", "done_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("cancel scheduled update: %w", err)
		}
		page, err := pageByID(ctx, tx, pageID)
		if err != nil {
			return err
		}
		if err := addTimeline(ctx, tx, incidentID, TimelineChange, actor, now, now,
			msgScheduledUpdateCancelled(su.PublishAt, page.TimeZone)); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "cancel_scheduled_update", SubjectType: "incident", SubjectID: incidentID,
			PageID: pageID, Before: before, After: su})
	})
}

// lockScheduled loads a scheduled update, holding its row on PostgreSQL so
// two replicas never both publish it (SQLite has one writer anyway).
func lockScheduled(ctx context.Context, tx bun.Tx, id string) (*ScheduledUpdate, error) {
	su := new(ScheduledUpdate)
	q := tx.NewSelect().Model(su).Where("id = ?", id)
	if db.DialectOf(tx) == db.Postgres {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Scheduled update", id)
	}
	return su, su.decode()
}

// ScheduledUpdates returns an incident's scheduled updates, the next to be
// published first, then the finished ones newest first.
func (s *Incidents) ScheduledUpdates(ctx context.Context, incidentID string) ([]*ScheduledUpdate, error) {
	return scheduledUpdates(ctx, s.db, incidentID)
}

func scheduledUpdates(ctx context.Context, db bun.IDB, incidentID string) ([]*ScheduledUpdate, error) {
	var out []*ScheduledUpdate
	err := db.NewSelect().Model(&out).Where("incident_id = ?", incidentID).
		OrderExpr("CASE WHEN status = 'pending' THEN 0 ELSE 1 END").
		OrderExpr("CASE WHEN status = 'pending' THEN publish_at END ASC").
		OrderExpr("publish_at DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list scheduled updates: %w", err)
	}
	for _, su := range out {
		if err := su.decode(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PublishDueUpdates publishes every pending scheduled update whose time has
// come, by the service's clock, and returns how many it published. An
// update that can no longer be posted (the incident was resolved meanwhile,
// its ETA has passed) is marked failed with the reason, on the incident's
// timeline too. Safe to run on several replicas at once.
func (s *Incidents) PublishDueUpdates(ctx context.Context) (int, error) {
	var due []*ScheduledUpdate
	err := s.db.NewSelect().Model(&due).Column("id", "page_id").
		Where("status = ?", ScheduledPending).Where("publish_at <= ?", s.Now()).
		Order("publish_at").Limit(100).Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("list due updates: %w", err)
	}
	n := 0
	for _, d := range due {
		ok, err := s.publishScheduled(ctx, d.PageID, d.ID)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (s *core) publishScheduled(ctx context.Context, pageID, id string) (bool, error) {
	published := false
	var failure string
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		now := s.Now()
		su, err := lockScheduled(ctx, tx, id)
		if err != nil {
			return err
		}
		if su.Status != ScheduledPending || su.PublishAt.After(now) {
			return nil // published, cancelled or moved by someone else
		}
		inc, err := incidentOnPage(ctx, tx, su.PageID, su.IncidentID)
		if err != nil {
			return err
		}
		in := su.Input
		in.Version = 0 // published at its time whatever happened meanwhile…
		f := FieldErrors{}
		in.validate(f, now)
		var gate error
		if in.State == StateResolved {
			gate = closingGate(inc, now)
		}
		switch {
		case !inc.State.Open():
			failure = "the incident was resolved before its time"
		case f.Err() != nil:
			failure = describeFields(f)
		case gate != nil:
			failure = strings.TrimSuffix(Message(gate), ".")
		}
		before := *su
		su.DoneAt = &now
		if failure == "" {
			if in.State == "" {
				in.State = inc.State
			}
			incBefore := *inc
			upd, err := s.applyUpdate(ctx, tx, inc, in, now)
			if err != nil {
				return err
			}
			su.Status, su.UpdateID = ScheduledPublished, &upd.ID
			if err := audit(ctx, tx, now, Change{Action: "post_update", SubjectType: "incident", SubjectID: inc.ID, PageID: inc.PageID,
				Before: incBefore, After: withUpdate{inc, upd}}); err != nil {
				return err
			}
			published = true
		} else {
			su.Status, su.Reason = ScheduledFailed, failure
			if err := addTimeline(ctx, tx, inc.ID, TimelineChange, su.CreatedBy, now, now,
				msgScheduledUpdateFailed(failure)); err != nil {
				return err
			}
		}
		if _, err := tx.NewUpdate().Model(su).Column("status", "reason", "update_id", "done_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("mark scheduled update: %w", err)
		}
		return audit(ctx, tx, now, Change{Action: "publish_scheduled_update", SubjectType: "incident", SubjectID: inc.ID,
			PageID: inc.PageID, Before: before, After: su})
	})
	if err != nil {
		return false, fmt.Errorf("publish scheduled update %s: %w", id, err)
	}
	if failure != "" {
		s.log.Warn("scheduled update not published", "id", id, "reason", failure)
	}
	return published, nil
}

// describeFields turns field errors into one sentence.
func describeFields(f FieldErrors) string {
	parts := make([]string, 0, len(f))
	for k, msg := range f {
		parts = append(parts, strings.ReplaceAll(k, "_", " ")+" "+msg)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
