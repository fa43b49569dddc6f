package status

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/uptrace/bun"
)

// IncidentRole is a role someone holds in one incident (DESIGN.md §1).
type IncidentRole string

// Incident roles. One person may hold several; technical help may be
// several people, the others are held by one person at a time.
const (
	RoleLead      IncidentRole = "lead"
	RoleHelp      IncidentRole = "help"
	RoleCommander IncidentRole = "commander"
	RoleComms     IncidentRole = "comms"
)

// IncidentRoles lists the roles in the order the console shows them.
var IncidentRoles = []IncidentRole{RoleCommander, RoleComms, RoleLead, RoleHelp}

// Valid reports whether r is one of IncidentRoles.
func (r IncidentRole) Valid() bool { return slices.Contains(IncidentRoles, r) }

// Single reports whether only one person holds the role at a time.
func (r IncidentRole) Single() bool { return r != RoleHelp }

// Label is the role in words.
func (r IncidentRole) Label() string {
	switch r {
	case RoleLead:
		return "Technical lead"
	case RoleHelp:
		return "Technical help"
	case RoleCommander:
		return "Incident commander"
	case RoleComms:
		return "Communication manager"
	}
	return string(r)
}

// RoleAssignment is a person holding a role in an incident.
type RoleAssignment struct {
	bun.BaseModel `bun:"table:incident_roles,alias:ir"`

	IncidentID string       `bun:"incident_id,pk"`
	Role       IncidentRole `bun:"role,pk"`
	UserID     string       `bun:"user_id,pk"`
	AssignedAt time.Time    `bun:"assigned_at"`

	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// roleChange is how the audit log shows a role changing hands.
type roleChange struct {
	Role    IncidentRole
	Holders []string
}

// AssignRole gives role in an incident to the user. For a single-holder
// role this hands it over from whoever held it; technical help is added.
// actor is the name written on the timeline.
func (s *Incidents) AssignRole(ctx context.Context, pageID, incidentID string, role IncidentRole, userID, actor string) error {
	if !role.Valid() {
		return FieldError("role", OneOf(IncidentRoles))
	}
	if !ValidID(userID) {
		return FieldError("user", "choose a user")
	}
	now := s.Now()
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := incidentOnPage(ctx, tx, pageID, incidentID); err != nil {
			return err
		}
		u := new(User)
		if err := tx.NewSelect().Model(u).Where("id = ?", userID).Scan(ctx); err != nil {
			if KindOf(normalise(err)) == KindNotFound {
				return FieldError("user", "no such user")
			}
			return fmt.Errorf("load user: %w", err)
		}
		if u.Disabled() {
			return FieldError("user", "is disabled")
		}
		var was []string
		if role.Single() {
			var prev []*RoleAssignment
			if err := tx.NewSelect().Model(&prev).Relation("User").Where("ir.incident_id = ? AND ir.role = ?", incidentID, role).Scan(ctx); err != nil {
				return fmt.Errorf("load role holders: %w", err)
			}
			for _, p := range prev {
				if p.UserID == userID {
					return nil // already holds it
				}
				was = append(was, displayName(p.User))
			}
			if _, err := tx.NewDelete().Model((*RoleAssignment)(nil)).Where("incident_id = ? AND role = ?", incidentID, role).Exec(ctx); err != nil {
				return fmt.Errorf("hand over role: %w", err)
			}
		}
		a := &RoleAssignment{IncidentID: incidentID, Role: role, UserID: userID, AssignedAt: now}
		if _, err := tx.NewInsert().Model(a).On("CONFLICT (incident_id, role, user_id) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("assign role: %w", err)
		}
		msg := msgRoleAssigned(displayName(u), role)
		if len(was) > 0 {
			msg = msgRoleTakenOver(displayName(u), role, was)
		}
		if err := audit(ctx, tx, now, Change{Action: "assign_role", SubjectType: "incident", SubjectID: incidentID, PageID: pageID,
			Before: roleChange{Role: role, Holders: was}, After: roleChange{Role: role, Holders: []string{displayName(u)}}}); err != nil {
			return err
		}
		return addTimeline(ctx, tx, incidentID, TimelineRole, actor, now, now, msg)
	})
}

// RemoveRole takes role in an incident away from the user.
func (s *Incidents) RemoveRole(ctx context.Context, pageID, incidentID string, role IncidentRole, userID, actor string) error {
	now := s.Now()
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := incidentOnPage(ctx, tx, pageID, incidentID); err != nil {
			return err
		}
		a := new(RoleAssignment)
		err := tx.NewSelect().Model(a).Relation("User").Where("ir.incident_id = ? AND ir.role = ? AND ir.user_id = ?", incidentID, role, userID).Scan(ctx)
		if err != nil {
			return notFoundOr(err, "Role assignment", string(role))
		}
		if _, err := tx.NewDelete().Model((*RoleAssignment)(nil)).Where("incident_id = ? AND role = ? AND user_id = ?", incidentID, role, userID).Exec(ctx); err != nil {
			return fmt.Errorf("remove role: %w", err)
		}
		if err := audit(ctx, tx, now, Change{Action: "remove_role", SubjectType: "incident", SubjectID: incidentID, PageID: pageID,
			Before: roleChange{Role: role, Holders: []string{displayName(a.User)}}}); err != nil {
			return err
		}
		return addTimeline(ctx, tx, incidentID, TimelineRole, actor, now, now, msgRoleRemoved(displayName(a.User), role))
	})
}

// Roles returns who holds which role in an incident, in IncidentRoles
// order, then by name.
func (s *Incidents) Roles(ctx context.Context, incidentID string) ([]*RoleAssignment, error) {
	return roles(ctx, s.db, incidentID)
}

func roles(ctx context.Context, db bun.IDB, incidentID string) ([]*RoleAssignment, error) {
	var out []*RoleAssignment
	if err := db.NewSelect().Model(&out).Relation("User").Where("ir.incident_id = ?", incidentID).Order("ir.assigned_at").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load roles: %w", err)
	}
	rank := map[IncidentRole]int{}
	for i, r := range IncidentRoles {
		rank[r] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank[out[i].Role] != rank[out[j].Role] {
			return rank[out[i].Role] < rank[out[j].Role]
		}
		return displayName(out[i].User) < displayName(out[j].User)
	})
	return out, nil
}

// Users returns every console user by name.
func (s *Accounts) Users(ctx context.Context) ([]*User, error) {
	return users(ctx, s.db)
}

func users(ctx context.Context, db bun.IDB) ([]*User, error) {
	var out []*User
	if err := db.NewSelect().Model(&out).Order("name", "email").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

func displayName(u *User) string {
	if u == nil {
		return "someone"
	}
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}
