package status

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// Notifier is how the core tells the outside world about a change. Its
// methods run inside the write transaction, so whatever they enqueue commits
// or rolls back with the change itself (DESIGN.md §3).
type Notifier interface {
	IncidentUpdated(ctx context.Context, tx bun.Tx, inc *Incident, upd *IncidentUpdate) error
	MaintenanceUpdated(ctx context.Context, tx bun.Tx, m *Maintenance, upd *MaintenanceUpdate) error
}

// NopNotifier tells nobody.
type NopNotifier struct{}

// IncidentUpdated does nothing.
func (NopNotifier) IncidentUpdated(context.Context, bun.Tx, *Incident, *IncidentUpdate) error {
	return nil
}

// MaintenanceUpdated does nothing.
func (NopNotifier) MaintenanceUpdated(context.Context, bun.Tx, *Maintenance, *MaintenanceUpdate) error {
	return nil
}

// Service is the entry point to Herald's domain. Its exported methods own
// their transactions.
type Service struct {
	db     *bun.DB
	notify Notifier
	now    func() time.Time
	log    *slog.Logger

	// changed is called after a commit that changed a page's public data.
	changed func(pageID string)
	// scheduled asks, inside the transaction, for PublishDueUpdates to run
	// at the given time.
	scheduled func(ctx context.Context, tx bun.Tx, at time.Time) error
	// intakeDismissed forwards a dismissed intake item, inside the
	// transaction.
	intakeDismissed func(ctx context.Context, tx bun.Tx, item *IntakeItem) (string, error)
}

// Options configures a Service. Zero values give sensible defaults.
type Options struct {
	Notifier Notifier
	Now      func() time.Time
	Log      *slog.Logger
	// Changed is called after each committed change with the page's id, so
	// this replica can refresh its snapshot at once.
	Changed func(pageID string)
	// Scheduled is called inside the transaction that schedules an update,
	// so a job can be queued to publish it at its time. Without it, due
	// updates are published whenever PublishDueUpdates runs.
	Scheduled func(ctx context.Context, tx bun.Tx, at time.Time) error
	// IntakeDismissed is called inside the transaction that dismisses an
	// intake item, so the original can be forwarded to the service desk.
	// What it returns ("Forwarded to desk@example.com.") is added to the
	// item's note.
	IntakeDismissed func(ctx context.Context, tx bun.Tx, item *IntakeItem) (string, error)
}

// New returns a Service over db.
func New(bdb *bun.DB, o Options) *Service {
	s := &Service{db: bdb, notify: o.Notifier, now: o.Now, log: o.Log, changed: o.Changed, scheduled: o.Scheduled,
		intakeDismissed: o.IntakeDismissed}
	if s.notify == nil {
		s.notify = NopNotifier{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.changed == nil {
		s.changed = func(string) {}
	}
	if s.scheduled == nil {
		s.scheduled = func(context.Context, bun.Tx, time.Time) error { return nil }
	}
	return s
}

// InTx runs fn in a transaction on the service's database: the one door
// for a caller outside status that must write in the same transaction as
// status does (queueing emails or jobs with a change, storing what an
// intake item comes from), passing tx to the status methods that take
// one. fn's error rolls everything back; errors come back normalised as
// the service's own (not found, conflict, invalid). Unlike the service's
// own writes, it reports no page as changed.
func (s *Service) InTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.inTx(ctx, nil, fn)
}

// Now returns the service clock's current time in UTC, truncated to the
// microsecond both databases keep.
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction and, once it committed, reports the page as
// changed.
func (s *Service) inTx(ctx context.Context, pageID *string, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := s.db.RunInTx(ctx, nil, fn)
	if err != nil {
		return normalise(err)
	}
	if pageID != nil && *pageID != "" {
		s.changed(*pageID)
	}
	return nil
}

// normalise turns driver errors into domain errors where it can.
func normalise(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return &Error{Kind: KindNotFound, Message: "Not found."}
	case db.IsUniqueViolation(err):
		return &Error{Kind: KindConflict, Message: "That already exists."}
	case db.IsForeignKeyViolation(err):
		return &Error{Kind: KindInvalid, Message: "It refers to something that does not exist."}
	}
	return err
}

// bumpPage marks the page's public data as changed.
func bumpPage(ctx context.Context, tx bun.IDB, pageID string, now time.Time) error {
	_, err := tx.NewUpdate().Model((*Page)(nil)).
		Set("version = version + 1").Set("updated_at = ?", now).
		Where("id = ?", pageID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("bump page %s: %w", pageID, err)
	}
	return nil
}

func notFound(what, id string) error {
	if len(id) > 40 || !utf8.ValidString(id) {
		id = "with that id" // never echo long or broken input
	}
	return Errorf(KindNotFound, "%s %s not found.", what, id)
}
