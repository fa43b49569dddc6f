package status

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// Service is the entry point to Herald's domain, one part per noun: each
// part's exported methods own their transactions; a caller that must
// write in the same transaction goes through InTx. Read models that a
// page needs in one go (PageView, IncidentView, the incident desk) are
// read in one transaction by the part that owns them.
type Service struct {
	*core

	// Incidents runs incidents: declaring, updates, roles, closing,
	// post-mortems, their timeline and who they affect.
	Incidents *Incidents
	// Pages keeps status pages, their component groups and components.
	Pages *Pages
	// Maintenances schedules and runs maintenance windows.
	Maintenances *Maintenances
	// Customers keeps customers and their contacts.
	Customers *Customers
	// Intake is the triage inbox: emails, phone calls, tickets, alerts.
	Intake *Intake
	// Accounts keeps users, their sessions and API tokens.
	Accounts *Accounts
	// Templates keeps the update templates.
	Templates *Templates
}

// The parts of a Service share its core: the database, the clock, the
// notifier and the helpers every part uses.
type (
	// Incidents is the part of a Service that runs incidents.
	Incidents struct{ *core }
	// Pages is the part of a Service that keeps status pages.
	Pages struct{ *core }
	// Maintenances is the part of a Service that runs maintenance.
	Maintenances struct{ *core }
	// Customers is the part of a Service that keeps customers.
	Customers struct{ *core }
	// Intake is the part of a Service that runs the triage inbox.
	Intake struct{ *core }
	// Accounts is the part of a Service that keeps users and tokens.
	Accounts struct{ *core }
	// Templates is the part of a Service that keeps update templates.
	Templates struct{ *core }
)

// core is what the parts of a Service share.
type core struct {
	db     *bun.DB
	notify Notifier
	jobs   JobQueue
	now    func() time.Time
	log    *slog.Logger
	// consoleZone is Options.ConsoleTimeZone.
	consoleZone string
	// svc is the Service, for one part to call another.
	svc *Service

	mu      sync.Mutex     // protects changed
	changed []func(string) // called after a commit that changed a page's public data
}

// Options configures a Service. Zero values give sensible defaults.
type Options struct {
	// Notifier hears of changes inside their transactions; by default
	// nobody does.
	Notifier Notifier
	// Jobs queues status's own jobs (the work due at a scheduled time)
	// inside the transaction that schedules it. Without it, due work is
	// done whenever the clock job runs.
	Jobs JobQueue
	Now  func() time.Time
	Log  *slog.Logger
	// ConsoleTimeZone is the IANA name of the zone where people read
	// times that belong to no page (the inbox, the audit log): "" means
	// the oldest page's zone (the only page's, when there is one), else
	// UTC. See ConsoleLocation.
	ConsoleTimeZone string
}

// New returns a Service over db.
func New(bdb *bun.DB, o Options) *Service {
	c := &core{db: bdb, notify: o.Notifier, jobs: o.Jobs, now: o.Now, log: o.Log, consoleZone: o.ConsoleTimeZone}
	if c.notify == nil {
		c.notify = NopNotifier{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.svc = &Service{core: c, Incidents: &Incidents{c}, Pages: &Pages{c}, Maintenances: &Maintenances{c},
		Customers: &Customers{c}, Intake: &Intake{c}, Accounts: &Accounts{c}, Templates: &Templates{c}}
	return c.svc
}

// OnChanged asks for fn to be called with a page's id after each committed
// change to the page's public data, so this replica can refresh what it
// serves at once. Call it before the service is used.
func (s *Service) OnChanged(fn func(pageID string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed = append(s.changed, fn)
}

// Now returns the service clock's current time in UTC, truncated to the
// microsecond both databases keep.
func (s *core) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction and, once it committed, reports the page as
// changed.
func (s *core) inTx(ctx context.Context, pageID *string, fn func(ctx context.Context, tx bun.Tx) error) error {
	err := s.db.RunInTx(ctx, nil, fn)
	if err != nil {
		return normalise(err)
	}
	if pageID != nil && *pageID != "" {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		for _, fn := range changed {
			fn(*pageID)
		}
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
