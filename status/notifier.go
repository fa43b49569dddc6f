package status

import "context"

// Notifier is how status tells the outside world about a change. Its
// methods run inside the write transaction, so whatever they queue commits
// or rolls back with the change itself (DESIGN.md §3); comms implements it.
type Notifier interface {
	// IncidentUpdated hears of an update posted to an incident.
	IncidentUpdated(ctx context.Context, tx *Tx, inc *Incident, upd *IncidentUpdate) error
	// MaintenanceUpdated hears of a maintenance notice: scheduled,
	// started, completed or updated.
	MaintenanceUpdated(ctx context.Context, tx *Tx, m *Maintenance, upd *MaintenanceUpdate) error
	// CustomerWrote hears of a customer's message written on an
	// incident's timeline.
	CustomerWrote(ctx context.Context, tx *Tx, inc *Incident, m CustomerMessage) error
	// IntakeDismissed hears of an intake item dismissed as not an
	// incident, before the decision is written; what it returns
	// ("Forwarded to desk@example.com.") is added to the item's note.
	IntakeDismissed(ctx context.Context, tx *Tx, item *IntakeItem) (string, error)
	// ConfirmationRequested hears of a request that the services be
	// confirmed back: it writes to the customers' primary contacts, each
	// from their own customer's view, or to the team member asked.
	ConfirmationRequested(ctx context.Context, tx *Tx, ask *ConfirmationAsked) error
}

// NopNotifier tells nobody.
type NopNotifier struct{}

// IncidentUpdated does nothing.
func (NopNotifier) IncidentUpdated(context.Context, *Tx, *Incident, *IncidentUpdate) error {
	return nil
}

// MaintenanceUpdated does nothing.
func (NopNotifier) MaintenanceUpdated(context.Context, *Tx, *Maintenance, *MaintenanceUpdate) error {
	return nil
}

// CustomerWrote does nothing.
func (NopNotifier) CustomerWrote(context.Context, *Tx, *Incident, CustomerMessage) error { return nil }

// IntakeDismissed does nothing and adds nothing to the note.
func (NopNotifier) IntakeDismissed(context.Context, *Tx, *IntakeItem) (string, error) {
	return "", nil
}

// ConfirmationRequested does nothing.
func (NopNotifier) ConfirmationRequested(context.Context, *Tx, *ConfirmationAsked) error { return nil }
