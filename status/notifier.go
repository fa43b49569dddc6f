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
	// incident, before the decision is written, and says where it
	// forwarded the item: that is recorded with the decision and added to
	// the item's note ("Forwarded to desk@example.com.").
	IntakeDismissed(ctx context.Context, tx *Tx, item *IntakeItem) (Forwarding, error)
	// IntakeDismissalUndone hears of a dismissal undone: item is the item
	// as it was dismissed (ForwardedTo says where it went), open again
	// once the transaction commits.
	IntakeDismissalUndone(ctx context.Context, tx *Tx, item *IntakeItem) error
	// DismissalForwarding says where IntakeDismissed would forward an item
	// now, so that the person dismissing it is told before deciding.
	DismissalForwarding() Forwarding
	// ConfirmationRequested hears of a request that the services be
	// confirmed back: it writes to the customers' primary contacts, each
	// from their own customer's view, or to the team member asked.
	ConfirmationRequested(ctx context.Context, tx *Tx, ask *ConfirmationAsked) error
}

// Forwarding says where an intake item dismissed as not an incident is
// forwarded.
type Forwarding struct {
	// To is the service desk's address; "" when nothing is forwarded.
	To string
	// Why says, when To is "", why nothing is forwarded ("no service desk
	// address is set (HERALD_SERVICE_DESK_EMAIL)"); "" when nobody is
	// there to forward anything.
	Why string
}

// Note is what the item's note says of it: "Forwarded to
// desk@example.com." or "Not forwarded: " and why; "" when there is
// nothing to say.
func (f Forwarding) Note() string {
	switch {
	case f.To != "":
		return "Forwarded to " + f.To + "."
	case f.Why != "":
		return "Not forwarded: " + f.Why + "."
	}
	return ""
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

// IntakeDismissed forwards nothing and adds nothing to the note.
func (NopNotifier) IntakeDismissed(context.Context, *Tx, *IntakeItem) (Forwarding, error) {
	return Forwarding{}, nil
}

// IntakeDismissalUndone does nothing.
func (NopNotifier) IntakeDismissalUndone(context.Context, *Tx, *IntakeItem) error { return nil }

// DismissalForwarding forwards nothing.
func (NopNotifier) DismissalForwarding() Forwarding { return Forwarding{} }

// ConfirmationRequested does nothing.
func (NopNotifier) ConfirmationRequested(context.Context, *Tx, *ConfirmationAsked) error { return nil }
