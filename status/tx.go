package status

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// Tx is a transaction status shares with a caller outside it: the one
// door through which another package writes in the same transaction as
// status does (queueing emails or jobs with a change, storing what an
// intake item comes from, recording an admin's change in the audit log).
// It is only ever made by Service.InTx. The embedded bun.Tx is for the
// caller's own tables; status's are read and written through Tx's
// methods only.
type Tx struct {
	bun.Tx
	s *Service
}

// InTx runs fn in a transaction on the service's database. fn's error
// rolls everything back; errors come back normalised as the service's own
// (not found, conflict, invalid). Unlike the service's own writes, it
// reports no page as changed.
func (s *Service) InTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, &Tx{Tx: tx, s: s.svc})
	})
}

// Now returns the service clock's time (see Service.Now).
func (t *Tx) Now() time.Time { return t.s.Now() }

// Incident returns an incident of the page without its details.
func (t *Tx) Incident(ctx context.Context, pageID, id string) (*Incident, error) {
	return t.s.incidentWith(ctx, t.Tx, pageID, id)
}

// IncidentView returns what audience a may see of an incident.
func (t *Tx) IncidentView(ctx context.Context, a Audience, pageID, id string) (*IncidentView, error) {
	return t.s.incidentViewWith(ctx, t.Tx, a, pageID, id)
}

// Page returns a page.
func (t *Tx) Page(ctx context.Context, id string) (*Page, error) {
	return t.s.pageWith(ctx, t.Tx, id)
}

// Component returns a component of any page, or KindNotFound.
func (t *Tx) Component(ctx context.Context, id string) (*Component, error) {
	return t.s.componentWithID(ctx, t.Tx, id)
}

// ComponentGroupIDs returns the ids of the groups the components with the
// given ids are in now (see Service.ComponentGroupIDs).
func (t *Tx) ComponentGroupIDs(ctx context.Context, componentIDs []string) ([]string, error) {
	return t.s.componentGroupIDs(ctx, t.Tx, componentIDs)
}

// MatchCustomer finds the customer an email address belongs to (see
// Service.CustomerForEmail).
func (t *Tx) MatchCustomer(ctx context.Context, address string) (*Customer, CustomerMatch, error) {
	return t.s.matchCustomer(ctx, t.Tx, address)
}

// IncidentCustomerIDs returns the ids of the customers an incident
// affects.
func (t *Tx) IncidentCustomerIDs(ctx context.Context, incidentID string) ([]string, error) {
	return t.s.incidentCustomerIDs(ctx, t.Tx, incidentID)
}

// AddCustomerMessage writes a customer's message on the timeline of an
// incident of the page and tells the Notifier.
func (t *Tx) AddCustomerMessage(ctx context.Context, pageID, incidentID string, m CustomerMessage) error {
	return t.s.addCustomerMessage(ctx, t.Tx, pageID, incidentID, m)
}

// CreateIntake is Service.CreateIntake inside the transaction.
func (t *Tx) CreateIntake(ctx context.Context, in IntakeInput) (*IntakeItem, bool, error) {
	return t.s.createIntakeTx(ctx, t.Tx, in)
}

// IntakeItem returns an intake item.
func (t *Tx) IntakeItem(ctx context.Context, id string) (*IntakeItem, error) {
	return t.s.intakeItemWith(ctx, t.Tx, id)
}

// AddIntakeEntry writes what happened to an intake item; the entry goes on
// the incident's timeline when the item is attached or declared.
func (t *Tx) AddIntakeEntry(ctx context.Context, itemID string, kind TimelineKind, actor, body string, at time.Time) error {
	return t.s.addIntakeEntry(ctx, t.Tx, itemID, kind, actor, body, at)
}

// LiveAlertItems returns the live alert items f selects (see
// Service.LiveAlertItems).
func (t *Tx) LiveAlertItems(ctx context.Context, f AlertItemFilter) ([]*IntakeItem, error) {
	return t.s.liveAlertItems(ctx, t.Tx, f)
}

// OpenAlertItemIDs returns the ids of the alert items waiting in triage.
func (t *Tx) OpenAlertItemIDs(ctx context.Context) ([]string, error) {
	return t.s.openAlertItemIDs(ctx, t.Tx)
}

// UpdateAlertItem writes what the alerts of an alert item make of it (see
// Service.updateAlertItem).
func (t *Tx) UpdateAlertItem(ctx context.Context, item *IntakeItem) error {
	return t.s.updateAlertItem(ctx, t.Tx, item)
}

// AddAlertEntry writes what monitoring said about an incident's alerts on
// its timeline.
func (t *Tx) AddAlertEntry(ctx context.Context, incidentID, body, itemID string, at time.Time) error {
	return t.s.addAlertEntry(ctx, t.Tx, incidentID, body, itemID, at)
}

// Audit writes c to the audit log on behalf of the context's actor, at the
// service clock's time, so that packages outside status record their
// admins' changes in the same log and the same transaction as the change.
func (t *Tx) Audit(ctx context.Context, c Change) error {
	return audit(ctx, t.Tx, t.s.Now(), c)
}

// snapshotTx returns options for a consistent multi-query read: repeatable
// read on PostgreSQL; SQLite's single connection is consistent already.
func snapshotTx(bdb *bun.DB) *sql.TxOptions {
	if db.DialectOf(bdb) == db.Postgres {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return nil
}
