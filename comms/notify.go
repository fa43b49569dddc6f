package comms

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/riverqueue/river"

	"github.com/herald-status/herald/status"
)

// FanOutArgs asks for the emails of one published update: to the
// subscribers of its components (public incidents) and to the contacts of
// the affected customers.
type FanOutArgs struct {
	PageID     string `json:"page_id"`
	IncidentID string `json:"incident_id"`
	UpdateID   string `json:"update_id"`
}

// Kind is the job's stable name.
func (FanOutArgs) Kind() string { return "comms.fan_out" }

// Notifier is status.Notifier for Herald's email. Whatever it queues is
// queued in the change's own transaction, so the change and its emails
// commit together or not at all:
//   - an update published with its notify switch on: one fan-out job;
//   - a maintenance notice: its fan-out job;
//   - a customer's reply on an incident's timeline: a notice to the
//     incident's communication manager;
//   - an intake item dismissed as not an incident: the item forwarded to
//     the service desk, when ServiceDesk is set;
//   - a request that the services be confirmed back: the emails to the
//     customers' primary contacts, or the notice to the team member asked.
type Notifier struct {
	Jobs   status.JobQueue
	Outbox *Outbox
	// ServiceDesk is where dismissed intake items are forwarded; empty
	// forwards nothing.
	ServiceDesk string
	// BaseURL is Herald's address (HERALD_BASE_URL), for links in emails.
	BaseURL *url.URL
	// Tokens signs customers' private links to incidents that are not
	// public; nil leaves them out.
	Tokens *Tokens
}

var _ status.Notifier = (*Notifier)(nil)

// uniqueJob is how Herald queues a job that must run once: retried for
// hours, never queued twice for the same thing.
var uniqueJob = &river.InsertOpts{MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true}}

// IncidentUpdated queues the update's fan-out. Silent updates (notify off)
// and internal ones send nothing.
func (n *Notifier) IncidentUpdated(ctx context.Context, tx *status.Tx, inc *status.Incident, upd *status.IncidentUpdate) error {
	if !upd.Notify || upd.Visibility == status.VisibilityInternal {
		return nil
	}
	return n.queue(ctx, tx, FanOutArgs{PageID: inc.PageID, IncidentID: inc.ID, UpdateID: upd.ID}, uniqueJob)
}

// MaintenanceUpdated queues the fan-out of a maintenance notice: when it
// is scheduled, started, completed or updated.
func (n *Notifier) MaintenanceUpdated(ctx context.Context, tx *status.Tx, m *status.Maintenance, upd *status.MaintenanceUpdate) error {
	if !upd.Notify {
		return nil
	}
	return n.queue(ctx, tx, MaintenanceFanOutArgs{PageID: m.PageID, MaintenanceID: m.ID, UpdateID: upd.ID}, uniqueJob)
}

// replyExcerpt is how much of a customer's reply its notice quotes.
const replyExcerpt = 2000

// CustomerWrote queues the notice telling the incident's communication
// manager (else its commander) of a customer's message on its timeline.
func (n *Notifier) CustomerWrote(ctx context.Context, tx *status.Tx, inc *status.Incident, m status.CustomerMessage) error {
	return n.queue(ctx, tx, ReplyNoticeArgs{PageID: inc.PageID, IncidentID: inc.ID, Ref: m.Ref, From: m.From,
		Subject: m.Title, Excerpt: status.Cut(m.Text, replyExcerpt, "…")},
		&river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}})
}

// noServiceDesk is why nothing is forwarded without a service desk
// address.
const noServiceDesk = "no service desk address is set (HERALD_SERVICE_DESK_EMAIL)"

// DismissalForwarding says where dismissed intake items go: the service
// desk, or nowhere when no address is set.
func (n *Notifier) DismissalForwarding() status.Forwarding {
	if n.ServiceDesk == "" {
		return status.Forwarding{Why: noServiceDesk}
	}
	return status.Forwarding{To: n.ServiceDesk}
}

// IntakeDismissed forwards a dismissed intake item to the service desk
// and says so for the item's note.
func (n *Notifier) IntakeDismissed(ctx context.Context, tx *status.Tx, item *status.IntakeItem) (status.Forwarding, error) {
	fw := n.DismissalForwarding()
	if fw.To == "" {
		return fw, nil
	}
	if n.Outbox == nil {
		return status.Forwarding{}, errors.New("forward intake item: no outbox")
	}
	if err := n.Outbox.ForwardIntake(ctx, tx.Tx, item, fw.To); err != nil {
		return status.Forwarding{}, err
	}
	return fw, nil
}

// IntakeDismissalUndone tells the service desk that an item forwarded to
// it was taken back as a possible incident; a dismissal that forwarded
// nothing tells nobody.
func (n *Notifier) IntakeDismissalUndone(ctx context.Context, tx *status.Tx, item *status.IntakeItem) error {
	if item.ForwardedTo == "" {
		return nil
	}
	if n.Outbox == nil {
		return errors.New("tell the service desk of an undone dismissal: no outbox")
	}
	return n.Outbox.IntakeTakenBack(ctx, tx.Tx, item)
}

func (n *Notifier) queue(ctx context.Context, tx *status.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if n.Jobs == nil {
		return nil
	}
	if _, err := n.Jobs.InsertTx(ctx, tx.Tx.Tx, args, opts); err != nil {
		return fmt.Errorf("queue %s: %w", args.Kind(), err)
	}
	return nil
}

// MaintenanceFanOutArgs asks for the emails of one maintenance notice to
// the subscribers of its components; with Reminder set ("in 24 hours"),
// the reminder before its window.
type MaintenanceFanOutArgs struct {
	PageID        string `json:"page_id"`
	MaintenanceID string `json:"maintenance_id"`
	UpdateID      string `json:"update_id"`
	Reminder      string `json:"reminder,omitempty"`
}

// Kind is the job's stable name.
func (MaintenanceFanOutArgs) Kind() string { return "comms.maintenance_fan_out" }

// RunMaintenance queues every email of the maintenance notice in args.
func (f *FanOut) RunMaintenance(ctx context.Context, args MaintenanceFanOutArgs) error {
	if f.Audience == nil {
		return nil
	}
	svc := f.Service
	page, err := svc.Pages.ByID(ctx, args.PageID)
	if err != nil {
		return fmt.Errorf("fan out %s: %w", args.UpdateID, err)
	}
	m, err := svc.Maintenances.ByID(ctx, args.PageID, args.MaintenanceID)
	if err != nil {
		return fmt.Errorf("fan out %s: %w", args.UpdateID, err)
	}
	comps, err := svc.Pages.Components(ctx, page.ID)
	if err != nil {
		return fmt.Errorf("fan out %s: %w", args.UpdateID, err)
	}
	names := map[string]string{}
	for _, c := range comps {
		if !c.Hidden {
			names[c.ID] = c.Name
		}
	}
	n := maintenanceNotice(page, m, args.UpdateID, f.BaseURL, names)
	if n == nil {
		return nil
	}
	n.replyTo = page.SupportEmail
	if n.replyTo == "" {
		n.replyTo = f.ReplyTo
	}
	if args.Reminder != "" {
		n = n.reminder(args.Reminder)
	}
	return f.toSubscribers(ctx, n)
}

// Recipient is one subscriber an update goes to, with the links its email
// carries.
type Recipient struct {
	ID             string // the subscriber's id
	Email          string
	ManageURL      string
	UnsubscribeURL string
}

// Audience lists the confirmed subscribers of a page's components, paged
// by id (after the given id, at most limit), so a fan-out streams them
// instead of loading all at once.
type Audience func(ctx context.Context, page *status.Page, componentIDs []string, afterID string, limit int) ([]Recipient, error)

// FanOut queues the emails of one update. It runs as a job: it may run
// again after a crash, and the dedupe keys make a second run queue only
// what the first did not. Recipients are read and queued in batches, each
// batch in one transaction.
type FanOut struct {
	Service  *status.Service
	Outbox   *Outbox
	Audience Audience // nil: no subscribers yet
	BaseURL  *url.URL
	// ReplyTo is where customer replies go (the support mailbox); a page's
	// support address wins.
	ReplyTo string
	// Tokens signs customers' private links to incidents that are not
	// public; nil leaves them out.
	Tokens *Tokens
	Batch  int // default 500
}

// Run queues every email of the update in args. Each audience gets the
// update as its own view shows it: subscribers the public view (only for an
// update the public may see), each affected customer's contacts that
// customer's view. The incident is read once for all of them.
func (f *FanOut) Run(ctx context.Context, args FanOutArgs) error {
	svc := f.Service
	page, err := svc.Pages.ByID(ctx, args.PageID)
	if err != nil {
		return fmt.Errorf("fan out %s: %w", args.UpdateID, err)
	}
	customers, err := svc.Incidents.Customers(ctx, args.IncidentID)
	if err != nil {
		return fmt.Errorf("fan out %s: customers: %w", args.UpdateID, err)
	}
	audiences := []status.Audience{status.Public()}
	for _, c := range customers {
		audiences = append(audiences, status.CustomerAudience(c.ID))
	}
	views, err := svc.Incidents.Views(ctx, args.PageID, args.IncidentID, audiences...)
	if status.KindOf(err) == status.KindNotFound {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("fan out %s: %w", args.UpdateID, err)
	}
	if v := views[0]; v != nil && f.Audience != nil {
		if n := f.notice(page, v, args.UpdateID); n != nil {
			if err := f.toSubscribers(ctx, n); err != nil {
				return err
			}
		}
	}
	return f.toCustomers(ctx, page, args, customers, views[1:])
}

// notice prepares the emails of an update as view v shows it; nil when the
// view has no such update (not for this audience, or deleted meanwhile).
func (f *FanOut) notice(page *status.Page, v *status.IncidentView, updateID string) *notice {
	n := newNotice(page, v, updateID, f.BaseURL)
	if n == nil {
		return nil
	}
	n.replyTo = page.SupportEmail
	if n.replyTo == "" {
		n.replyTo = f.ReplyTo
	}
	return n
}

func (f *FanOut) toSubscribers(ctx context.Context, n *notice) error {
	batch := f.Batch
	if batch <= 0 {
		batch = 500
	}
	after := ""
	for {
		rs, err := f.Audience(ctx, n.page, n.components, after, batch)
		if err != nil {
			return fmt.Errorf("fan out %s: list subscribers: %w", n.updateID, err)
		}
		if len(rs) == 0 {
			return nil
		}
		es := make([]*Email, len(rs))
		for i, r := range rs {
			es[i] = n.forSubscriber(f.Outbox, r)
		}
		err = f.Service.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
			_, err := f.Outbox.QueueMany(ctx, tx.Tx, es)
			return err
		})
		if err != nil {
			return fmt.Errorf("fan out %s: %w", n.updateID, err)
		}
		after = rs[len(rs)-1].ID
	}
}

// toCustomers sends one email per contact of each affected customer, from
// that customer's view (views[i] is customers[i]'s): it names only that
// customer.
func (f *FanOut) toCustomers(ctx context.Context, page *status.Page, args FanOutArgs, customers []*status.Customer, views []*status.IncidentView) error {
	var es []*Email
	for i, c := range customers {
		v := views[i]
		if v == nil {
			continue // internal: the customer may not see it
		}
		n := f.notice(page, v, args.UpdateID)
		if n == nil {
			continue
		}
		link := ""
		if !n.public && f.Tokens != nil {
			link = PrivateIncidentURL(f.Tokens, f.BaseURL, page, args.IncidentID, c.ID, f.Service.Now())
		}
		for _, ct := range c.Contacts {
			es = append(es, n.forContact(f.Outbox, c, ct, link))
		}
	}
	if len(es) == 0 {
		return nil
	}
	return f.Service.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		_, err := f.Outbox.QueueMany(ctx, tx.Tx, es)
		return err
	})
}
