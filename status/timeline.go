package status

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// TimelineKind says what a timeline entry records.
type TimelineKind string

// Timeline entry kinds.
const (
	TimelineDeclared  TimelineKind = "declared"
	TimelineUpdate    TimelineKind = "update"
	TimelineState     TimelineKind = "state"
	TimelineSeverity  TimelineKind = "severity"
	TimelineComponent TimelineKind = "component"
	TimelineChange    TimelineKind = "change"
	TimelineNote      TimelineKind = "note"
	TimelineRole      TimelineKind = "role"
	// TimelineCustomer is what a customer said: an email, a phone call, a
	// portal ticket; Ref names the intake item or stored email.
	TimelineCustomer TimelineKind = "customer"
	// TimelineAlert is what monitoring said: alerts firing, resolved or
	// acknowledged at their source; Ref names the intake item.
	TimelineAlert TimelineKind = "alert"
)

// TimelineEntry is one event in an incident's history. Entries are written
// by the Service as things happen; notes are added by people, with a time
// of their choosing. An entry stores what it says as a message and its
// parameters; Text renders the sentence.
type TimelineEntry struct {
	bun.BaseModel `bun:"table:timeline_entries"`

	ID         string          `bun:"id,pk"`
	IncidentID string          `bun:"incident_id"`
	Kind       TimelineKind    `bun:"kind"`
	Message    TimelineMessage `bun:"message"`
	Params     TimelineParams  `bun:"params"`
	Actor      string          `bun:"actor"`
	At         time.Time       `bun:"at"`
	CreatedAt  time.Time       `bun:"created_at"`
	Ref        string          `bun:"ref"` // what the entry records, e.g. an intake item's id
	// Channel is how a customer's entry came: email, phone or portal.
	Channel IntakeSource `bun:"channel"`

	loc *time.Location // where TextIn shows times without a zone of their own
}

// lastStamp is the newest CreatedAt handed out by stamp, in microseconds.
var lastStamp atomic.Int64

// stamp returns now, or one microsecond after the previous stamp when that
// is not earlier, so entries written together keep the order they were
// written in (the timeline sorts by At, then CreatedAt).
func stamp(now time.Time) time.Time {
	for {
		prev, t := lastStamp.Load(), now.UnixMicro()
		if t <= prev {
			t = prev + 1
		}
		if lastStamp.CompareAndSwap(prev, t) {
			return time.UnixMicro(t).UTC()
		}
	}
}

// addTimeline writes what s says on an incident's timeline, at at.
func addTimeline(ctx context.Context, tx bun.IDB, incidentID string, kind TimelineKind, actor string, at, now time.Time, s said) error {
	_, err := addTimelineEntry(ctx, tx, incidentID, kind, actor, at, now, s)
	return err
}

// addTimelineEntry is addTimeline returning the entry written.
func addTimelineEntry(ctx context.Context, tx bun.IDB, incidentID string, kind TimelineKind, actor string, at, now time.Time, s said) (*TimelineEntry, error) {
	e := &TimelineEntry{ID: NewID(), IncidentID: incidentID, Kind: kind, Message: s.msg, Params: s.params,
		Actor: strings.TrimSpace(actor), At: at, CreatedAt: stamp(now)}
	if err := insertTimeline(ctx, tx, e); err != nil {
		return nil, fmt.Errorf("add timeline entry: %w", err)
	}
	return e, nil
}

// insertTimeline inserts entries. The body column holds the sentences of
// entries from before messages (see migration 20261207120000_timeline_params);
// new entries leave it empty.
func insertTimeline(ctx context.Context, tx bun.IDB, e *TimelineEntry) error {
	_, err := tx.NewInsert().Model(e).Value("body", "''").Exec(ctx)
	return err
}

// addAlertEntry writes what monitoring said about an incident's alerts
// on its timeline, inside tx.
func (s *core) addAlertEntry(ctx context.Context, tx bun.Tx, incidentID, body, itemID string, at time.Time) error {
	m := msgText(MsgAlert, Cut(body, MaxBodyLen, "\n…"))
	e := &TimelineEntry{ID: NewID(), IncidentID: incidentID, Kind: TimelineAlert, Message: m.msg, Params: m.params,
		Actor: AlertActor, At: at.UTC().Truncate(time.Microsecond), CreatedAt: stamp(s.Now()), Ref: itemID}
	if err := insertTimeline(ctx, tx, e); err != nil {
		return fmt.Errorf("add alert timeline entry: %w", err)
	}
	return nil
}

// AlertActor is who alert entries name.
const AlertActor = "Monitoring"

// Timeline returns an incident's entries, oldest first.
func (s *Incidents) Timeline(ctx context.Context, pageID, incidentID string) ([]*TimelineEntry, error) {
	return timeline(ctx, s.db, pageID, incidentID)
}

func timeline(ctx context.Context, db bun.IDB, pageID, incidentID string) ([]*TimelineEntry, error) {
	if _, err := incidentOnPage(ctx, db, pageID, incidentID); err != nil {
		return nil, err
	}
	var out []*TimelineEntry
	if err := db.NewSelect().Model(&out).Where("incident_id = ?", incidentID).Order("at", "created_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load timeline: %w", err)
	}
	return out, nil
}

// AddNote adds a manual timeline entry. at defaults to now; it may lie in
// the past (to record what happened before the incident was declared) but
// not in the future.
func (s *Incidents) AddNote(ctx context.Context, pageID, incidentID, body, actor string, at *time.Time) (*TimelineEntry, error) {
	now := s.Now()
	f := FieldErrors{}
	checkText(f, "body", body, MaxBodyLen, true, true)
	checkText(f, "actor", actor, MaxNameLen, false, false)
	when := now
	if at != nil {
		when = at.UTC().Truncate(time.Microsecond)
		if when.After(now.Add(clockSkew)) {
			f.Add("at", "must not be in the future")
		}
		if when.Before(now.AddDate(-1, 0, 0)) {
			f.Add("at", "must be within the last year")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	m := msgText(MsgNote, body)
	e := &TimelineEntry{ID: NewID(), IncidentID: incidentID, Kind: TimelineNote, Message: m.msg, Params: m.params,
		Actor: strings.TrimSpace(actor), At: when, CreatedAt: stamp(now)}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := incidentOnPage(ctx, tx, pageID, incidentID); err != nil {
			return err
		}
		if err := insertTimeline(ctx, tx, e); err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		return audit(ctx, tx, now, Change{Action: "add_note", SubjectType: "incident", SubjectID: incidentID, PageID: pageID, After: e})
	})
	if err != nil {
		return nil, normalise(err)
	}
	return e, nil
}

// moveStartedEntry puts the incident's "The incident started." entry at
// its (corrected) start, so the timeline reads in order; an incident
// declared as starting when it was declared has none, and gets one at an
// earlier start.
func moveStartedEntry(ctx context.Context, tx bun.IDB, incidentID string, started, now time.Time) error {
	res, err := tx.NewUpdate().Model((*TimelineEntry)(nil)).Set("at = ?", started).
		Where("incident_id = ?", incidentID).Where("message = ?", MsgIncidentStarted).Exec(ctx)
	if err != nil {
		return fmt.Errorf("move the started entry: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	var declared TimelineEntry
	err = tx.NewSelect().Model(&declared).Where("incident_id = ?", incidentID).
		Where("message = ?", MsgIncidentDeclared).Limit(1).Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("find the declared entry: %w", err)
	case !started.Before(declared.At):
		return nil
	}
	return addTimeline(ctx, tx, incidentID, TimelineDeclared, declared.Actor, started, now, plain(MsgIncidentStarted))
}
