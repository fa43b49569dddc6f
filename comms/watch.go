package comms

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/herald-status/herald/status"
)

// Watch sends the internal notices of the process, checked on every clock
// tick (on the leader only): the communication manager's reminder 5
// minutes before an update is due, the incident commander's notice when it
// is overdue (worded by the incident's audience: an internal incident's
// update is for the ticket, see status.CadenceWordsFor), and Account Management's notices at 2 h, at the third
// incident on a component within 48 h and for the post-mortem decision.
// Each notice has a dedupe key naming its incident and occasion, so it goes
// out once however often the tick runs, on however many replicas.
type Watch struct {
	Service *status.Service
	Outbox  *Outbox
	BaseURL *url.URL
	// AccountManagement is where escalation notices go when the affected
	// customers name no account manager of their own.
	AccountManagement string
	// Security is the information-security officer's address, told once
	// of each incident marked as a security matter until it is recorded
	// as reported; empty tells nobody.
	Security string
	// Jobs queues the maintenance reminders' fan-outs.
	Jobs status.JobQueue
}

// Maintenance reminders go out this long before the window.
var maintenanceReminders = []struct {
	before time.Duration
	label  string
}{{time.Hour, "in 1 hour"}, {24 * time.Hour, "in 24 hours"}}

// Run checks every open incident once.
func (w *Watch) Run(ctx context.Context) error {
	pages, err := w.Service.Pages.List(ctx)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	now := w.Service.Now()
	open := true
	for _, p := range pages {
		incs, err := w.Service.Incidents.List(ctx, status.IncidentFilter{PageID: p.ID, Open: &open, Limit: 500})
		if err != nil {
			return fmt.Errorf("watch: %w", err)
		}
		for _, inc := range incs {
			if err := w.check(ctx, p, inc, now); err != nil {
				return err
			}
		}
		if err := w.remind(ctx, p, now); err != nil {
			return err
		}
	}
	return nil
}

// remind queues the reminder of each maintenance whose window starts
// within a reminder's lead time: the nearest one only, so a maintenance
// scheduled 30 minutes ahead gets "in 1 hour", not both.
func (w *Watch) remind(ctx context.Context, p *status.Page, now time.Time) error {
	if w.Jobs == nil {
		return nil
	}
	ms, err := w.Service.Maintenances.List(ctx, status.MaintenanceFilter{PageID: p.ID,
		States: []status.MaintenanceState{status.MaintenanceScheduled}, Limit: 200})
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	for _, m := range ms {
		left := m.ScheduledFor.Sub(now)
		if left <= 0 || len(m.Updates) == 0 {
			continue
		}
		for _, r := range maintenanceReminders {
			if left > r.before {
				continue
			}
			first := m.Updates[len(m.Updates)-1]
			if first.CreatedAt.After(m.ScheduledFor.Add(-r.before)) {
				break // announced within the lead time: the announcement is the reminder
			}
			args := MaintenanceFanOutArgs{PageID: p.ID, MaintenanceID: m.ID, UpdateID: first.ID, Reminder: r.label}
			err := w.Service.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
				_, err := w.Jobs.InsertTx(ctx, tx.Tx.Tx, args, uniqueJob)
				return err
			})
			if err != nil {
				return fmt.Errorf("watch: remind of %s: %w", m.ID, err)
			}
			break
		}
	}
	return nil
}

// internal is an email to people running an incident.
type internal struct {
	key, to, subject, text string
}

func (w *Watch) check(ctx context.Context, p *status.Page, inc *status.Incident, now time.Time) error {
	var out []internal
	link := strings.TrimRight(baseString(w.BaseURL), "/") + "/console/pages/" + p.ID + "/incidents/" + inc.ID
	roles, err := w.Service.Incidents.Roles(ctx, inc.ID)
	if err != nil {
		return fmt.Errorf("watch %s: %w", inc.ID, err)
	}
	if cad, ok := status.CadenceOf(inc); ok {
		slot := cad.Due.UTC().Format("20060102T1504")
		loc := p.Location()
		words := status.CadenceWordsFor(inc.Visibility)
		switch cad.State(now) {
		case status.CadenceDueSoon:
			for _, to := range holders(roles, status.RoleComms, status.RoleCommander) {
				out = append(out, internal{key: "reminder:" + inc.ID + ":" + slot + ":" + to, to: to,
					subject: words.Due + " at " + cad.Due.In(loc).Format("15:04 MST") + ": " + oneLine(inc.Title),
					text: fmt.Sprintf("The next %s of %q is due at %s.\n\nPost it (or a holding update) here:\n%s\n",
						words.Update, inc.Title, cad.Due.In(loc).Format("15:04 MST"), link)})
			}
		case status.CadenceOverdue:
			posted, err := w.Service.Incidents.PostHoldingUpdate(ctx, p.ID, inc.ID, cad.Due)
			if err != nil {
				return fmt.Errorf("watch %s: holding update: %w", inc.ID, err)
			}
			if posted {
				break // customers heard from us; the next update is due later
			}
			for _, to := range holders(roles, status.RoleCommander) {
				out = append(out, internal{key: "overdue:" + inc.ID + ":" + slot + ":" + to, to: to,
					subject: words.Overdue + ": " + oneLine(inc.Title),
					text: fmt.Sprintf("The %s of %q was due at %s and has not been posted.\n\n%s\n",
						words.Update, inc.Title, cad.Due.In(loc).Format("15:04 MST"), link)})
			}
		}
	}
	flags, err := w.Service.Incidents.EscalationsOf(ctx, inc)
	if err != nil {
		return fmt.Errorf("watch %s: %w", inc.ID, err)
	}
	ams, err := w.accountManagers(ctx, inc)
	if err != nil {
		return err
	}
	for _, f := range flags {
		if f.Kind == status.FlagSecurityReport && !f.Done && w.Security != "" {
			out = append(out, internal{key: "security:" + inc.ID + ":" + string(inc.Security), to: w.Security,
				subject: inc.Security.Label() + ": " + oneLine(inc.Title),
				text: fmt.Sprintf("%s.\n\nIncident: %s (%s, %s), started %s, declared by %s\n%s\n", f.Reason, inc.Title,
					strings.ToLower(inc.Severity.Label()), inc.State.Label(), inc.StartedAt.In(p.Location()).Format("2 Jan 15:04 MST"),
					cmp.Or(inc.DeclaredBy, "Herald"), link)})
		}
		if f.Done || (f.Kind != status.FlagAccountManagement && f.Kind != status.FlagPostmortemDecision) {
			continue
		}
		for _, to := range ams {
			out = append(out, internal{key: "escalation:" + inc.ID + ":" + string(f.Kind) + ":" + to, to: to,
				subject: escalationSubject[f.Kind] + oneLine(inc.Title),
				text: fmt.Sprintf("%s.\n\nIncident: %s (%s, %s)\n%s\n", f.Reason, inc.Title,
					strings.ToLower(inc.Severity.Label()), inc.State.Label(), link)})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return w.Service.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		room := status.VideoRoom(inc, p)
		for _, m := range out {
			_, err := w.Outbox.Queue(ctx, tx.Tx, &Email{DedupeKey: m.key, Kind: "internal", PageID: p.ID, IncidentID: inc.ID,
				To: m.to, Subject: m.subject, Text: withVideoRoom(m.text, room)})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// withVideoRoom ends an internal notice's text with the video room where
// the team meets about the incident, when there is one (DESIGN.md §1).
func withVideoRoom(text, room string) string {
	if room == "" {
		return text
	}
	return text + "\nVideo room: " + room + "\n"
}

var escalationSubject = map[status.FlagKind]string{
	status.FlagAccountManagement:  "Escalation: ",
	status.FlagPostmortemDecision: "Post-mortem decision needed: ",
}

// holders returns the email addresses of who holds the first of roles that
// someone holds.
func holders(as []*status.RoleAssignment, roles ...status.IncidentRole) []string {
	for _, r := range roles {
		var out []string
		for _, a := range as {
			if a.Role == r && a.User != nil && !a.User.Disabled() {
				out = append(out, a.User.Email)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// accountManagers returns the affected customers' account managers, or
// the Account Management address when none is named.
func (w *Watch) accountManagers(ctx context.Context, inc *status.Incident) ([]string, error) {
	cs, err := w.Service.Incidents.Customers(ctx, inc.ID)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", inc.ID, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range cs {
		if a := strings.ToLower(c.AccountManagerEmail); a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) == 0 && w.AccountManagement != "" {
		out = append(out, w.AccountManagement)
	}
	return out, nil
}

func baseString(u *url.URL) string {
	if u == nil {
		return "http://localhost:8080"
	}
	return u.String()
}
