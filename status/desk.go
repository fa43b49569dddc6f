package status

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Desk is the incident desk: everything the console's incident page shows
// of one incident, read in one consistent go.
type Desk struct {
	Page     *Page
	Incident *Incident
	// View is the team's view of the incident: every update, with its
	// audience.
	View       *IncidentView
	Timeline   []*TimelineEntry
	Components []*Component      // the page's, in order
	Groups     []*ComponentGroup // the page's, in order
	Names      map[string]string // component id → name
	Roles      []*RoleAssignment
	// Users may be given a role: every user not disabled.
	Users     []*User
	Flags     []Flag // escalations due or done
	Nudges    []Nudge
	Scheduled []*ScheduledUpdate
	// Requests are the confirmation requests, oldest first.
	Requests []*ConfirmationRequest
	// Customers are those the incident affects; AllCustomers the choice.
	Customers    []*Customer
	AllCustomers []*Customer
	// Templates are every update template; TemplatesFor picks those that
	// fit a state.
	Templates []*UpdateTemplate
	// Channel is the incident's chat channel.
	Channel string
	// Now is the service clock's time the desk was read at.
	Now time.Time
	// Cadence is the incident's update cadence; HasCadence is false when
	// it has none (resolved). Holding is set when an update is due and a
	// holding update can be drafted.
	Cadence    Cadence
	HasCadence bool
	Holding    bool
}

// CadenceState says whether the next update is on time, due soon or
// overdue at the desk's time.
func (d *Desk) CadenceState() CadenceStatus { return d.Cadence.State(d.Now) }

// InternalPostmortem is the internal post-mortem as saved, else its draft
// from the record and the whole timeline.
func (d *Desk) InternalPostmortem() string {
	if d.Incident.PostmortemInternal != "" {
		return d.Incident.PostmortemInternal
	}
	return InternalPostmortemDraft(d.Incident, d.Roles, d.Timeline, d.Names, d.Page.Location())
}

// PublicPostmortem is the public post-mortem draft as saved, else its
// start from the public updates.
func (d *Desk) PublicPostmortem() string {
	if d.Incident.PostmortemDraft != "" {
		return d.Incident.PostmortemDraft
	}
	return PublicPostmortemDraft(d.View.Updates, d.Page.Location())
}

// Desk reads the incident desk of an incident of the page in one
// transaction (a snapshot on PostgreSQL), or KindNotFound.
func (s *Incidents) Desk(ctx context.Context, pageID, id string) (*Desk, error) {
	d := &Desk{Names: map[string]string{}, Now: s.Now()}
	err := s.db.RunInTx(ctx, snapshotTx(s.db), func(ctx context.Context, tx bun.Tx) error {
		return d.read(ctx, tx, pageID, id)
	})
	if err != nil {
		return nil, normalise(err)
	}
	d.View = d.Incident.InternalView()
	d.Channel = ChannelName(d.Incident, d.Page.Location())
	d.Nudges = Nudges(d.Incident, NudgeInput{Customers: len(d.Customers), Roles: d.Roles, Location: d.Page.Location(),
		ConfirmationRequested: len(d.Requests) > 0}, d.Now)
	if cad, ok := CadenceOf(d.Incident); ok {
		d.Cadence, d.HasCadence = cad, true
		d.Holding = cad.State(d.Now) != CadenceOnTime && HoldingDraft(d.Incident, d.Page.Location(), d.Now) != ""
	}
	return d, nil
}

func (d *Desk) read(ctx context.Context, db bun.IDB, pageID, id string) error {
	var err error
	if d.Page, err = pageByID(ctx, db, pageID); err != nil {
		return err
	}
	if d.Incident, err = incidentOnPage(ctx, db, d.Page.ID, id); err != nil {
		return err
	}
	inc := d.Incident
	if err := loadIncidentDetails(ctx, db, []*Incident{inc}); err != nil {
		return err
	}
	if d.Timeline, err = timeline(ctx, db, d.Page.ID, inc.ID); err != nil {
		return err
	}
	if d.Components, err = components(ctx, db, d.Page.ID); err != nil {
		return err
	}
	for _, c := range d.Components {
		d.Names[c.ID] = c.Name
	}
	if d.Groups, err = groups(ctx, db, d.Page.ID); err != nil {
		return err
	}
	if d.Roles, err = roles(ctx, db, inc.ID); err != nil {
		return err
	}
	all, err := users(ctx, db)
	if err != nil {
		return err
	}
	for _, u := range all {
		if !u.Disabled() {
			d.Users = append(d.Users, u)
		}
	}
	if d.Flags, err = escalationsOf(ctx, db, inc, d.Now); err != nil {
		return err
	}
	if d.Scheduled, err = scheduledUpdates(ctx, db, inc.ID); err != nil {
		return err
	}
	if d.Requests, err = confirmationRequests(ctx, db, inc.ID); err != nil {
		return err
	}
	if d.Customers, err = incidentCustomers(ctx, db, inc.ID); err != nil {
		return err
	}
	if d.AllCustomers, err = customers(ctx, db); err != nil {
		return err
	}
	d.Templates, err = updateTemplates(ctx, db)
	return err
}
