package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// DismissalUndoWindow is how long, by the service clock, a dismissal as
// not an incident can be undone.
const DismissalUndoWindow = 24 * time.Hour

// CanUndoDismissal reports whether item's dismissal as not an incident
// can be undone at now: the item is dismissed, less than
// DismissalUndoWindow ago.
func CanUndoDismissal(item *IntakeItem, now time.Time) bool {
	return item.State == IntakeDismissed && item.DecidedAt != nil && now.Before(item.DecidedAt.Add(DismissalUndoWindow))
}

// UndoUntil is when the item's dismissal stops being undoable; zero when
// the item is not dismissed.
func (item *IntakeItem) UndoUntil() time.Time {
	if item.State != IntakeDismissed || item.DecidedAt == nil {
		return time.Time{}
	}
	return item.DecidedAt.Add(DismissalUndoWindow)
}

// undoRefusal says why item's dismissal cannot be undone at now, as a
// KindConflict error; nil when it can.
func undoRefusal(item *IntakeItem, now time.Time, loc *time.Location) error {
	switch {
	case CanUndoDismissal(item, now):
		return nil
	case item.State == IntakeOpen:
		return Errorf(KindConflict, "This item is open: it was not dismissed, so there is nothing to undo.")
	case item.State != IntakeDismissed:
		return Errorf(KindConflict, "This item was %s, not dismissed, so there is nothing to undo.", item.State)
	case item.DecidedAt == nil:
		return Errorf(KindConflict, "This dismissal can no longer be undone.")
	}
	return Errorf(KindConflict, "This dismissal can no longer be undone: a dismissal can be undone for 24 hours, and this one was made %s. "+
		"If it is an incident after all, declare one.", item.DecidedAt.In(loc).Format(PeopleTime))
}

// Forwarding says where dismissing an item as not an incident forwards
// it now (the Notifier's word).
func (s *Intake) Forwarding() Forwarding { return s.notify.DismissalForwarding() }

// DismissalPlan is what dismissing an item as not an incident will do,
// shown to the person before they confirm.
type DismissalPlan struct {
	Item *IntakeItem
	// Note is the note as it will be saved, before what is said of the
	// forwarding.
	Note       string
	Forwarding Forwarding
}

// DismissalPlan checks that the item of id may be dismissed with note and
// says where it would be forwarded; it writes nothing. The errors are
// Dismiss's: KindNotFound, KindConflict when the item was decided
// already, KindInvalid for field "note".
func (s *Intake) DismissalPlan(ctx context.Context, id, note string) (*DismissalPlan, error) {
	note, err := checkDismissNote(note)
	if err != nil {
		return nil, err
	}
	item, err := intakeItem(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if item.State != IntakeOpen {
		return nil, Errorf(KindConflict, "This item was %s already.", item.State)
	}
	return &DismissalPlan{Item: item, Note: note, Forwarding: s.Forwarding()}, nil
}

// checkDismissNote checks and trims a dismissal's note.
func checkDismissNote(note string) (string, error) {
	f := FieldErrors{}
	checkText(f, "note", note, MaxShortLen, false, true)
	return strings.TrimSpace(note), f.Err()
}

// Dismiss closes an open item as not an incident, with the reason. The
// Notifier forwards it (to the service desk) in the same transaction;
// where it went is recorded as ForwardedTo and added to the note. It
// returns KindNotFound, KindConflict when the item was decided already,
// or KindInvalid for field "note".
func (s *Intake) Dismiss(ctx context.Context, id, note string) (*IntakeItem, error) {
	note, err := checkDismissNote(note)
	if err != nil {
		return nil, err
	}
	var item *IntakeItem
	err = s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if item, err = openIntake(ctx, tx, id); err != nil {
			return err
		}
		now := s.Now()
		// Told first, so where it went goes into the one decision written.
		candidate := *item
		candidate.State, candidate.Note, candidate.DecidedAt = IntakeDismissed, note, &now
		fw, err := s.notify.IntakeDismissed(ctx, &Tx{Tx: tx, s: s.svc}, &candidate)
		if err != nil {
			return err
		}
		full := note
		if line := fw.Note(); line != "" {
			full = strings.TrimSpace(note + "\n" + line)
		}
		return decideIntake(ctx, tx, item, intakeDecision{state: IntakeDismissed, note: full, forwardedTo: fw.To, at: now})
	})
	return item, err
}

// UndoDismissal takes back a dismissal as not an incident within
// DismissalUndoWindow: the item is open again, an entry on it and the
// audit log say who undid it and when, and the Notifier is told (it
// tells the service desk when the dismissal forwarded the item). An
// item that is not dismissed, or was dismissed too long ago, is a
// KindConflict error saying so; an unknown one KindNotFound.
func (s *Intake) UndoDismissal(ctx context.Context, id string) (*IntakeItem, error) {
	var item *IntakeItem
	err := s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if item, err = intakeItem(ctx, tx, id); err != nil {
			return err
		}
		now := s.Now()
		loc, err := consoleLocation(ctx, tx, s.consoleZone)
		if err != nil {
			return err
		}
		if err := undoRefusal(item, now, loc); err != nil {
			return err
		}
		dismissed := *item
		item.State, item.Note, item.ForwardedTo, item.DecidedBy, item.DecidedAt, item.UpdatedAt = IntakeOpen, "", "", "", nil, now
		res, err := tx.NewUpdate().Model(item).Column("state", "note", "forwarded_to", "decided_by", "decided_at", "updated_at").
			WherePK().Where("state = ? AND decided_at = ?", IntakeDismissed, *dismissed.DecidedAt).Exec(ctx)
		if err != nil {
			return fmt.Errorf("undo the dismissal of intake item %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(KindConflict, "Someone else changed this item meanwhile. Reload the page to see what it is now.")
		}
		actor := ActorFrom(ctx).Name
		if err := s.addIntakeEntry(ctx, tx, item.ID, TimelineChange, actor, undoEntry(&dismissed, loc), now); err != nil {
			return err
		}
		if err := s.notify.IntakeDismissalUndone(ctx, &Tx{Tx: tx, s: s.svc}, &dismissed); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "undo_dismissal", SubjectType: "intake", SubjectID: item.ID,
			Before: dismissed, After: item})
	})
	return item, err
}

// undoEntry is the text of the entry an undone dismissal leaves on the
// item (and, once the item joins an incident, on its timeline), with
// times in loc (the console's zone).
func undoEntry(dismissed *IntakeItem, loc *time.Location) string {
	var b strings.Builder
	b.WriteString("Dismissal as not an incident undone: taken back as a possible incident. It was dismissed")
	if dismissed.DecidedBy != "" {
		b.WriteString(" by " + dismissed.DecidedBy)
	}
	b.WriteString(" at " + dismissed.DecidedAt.In(loc).Format(PeopleTime))
	if dismissed.ForwardedTo != "" {
		b.WriteString(" and forwarded to " + dismissed.ForwardedTo + ", which is told it was taken back")
	}
	b.WriteString(".")
	if dismissed.Note != "" {
		b.WriteString("\nIts note said: " + dismissed.Note)
	}
	return b.String()
}
