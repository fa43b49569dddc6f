package status

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status/db"
)

// UserByID returns the user with the given id, or a KindNotFound error.
func (s *Accounts) UserByID(ctx context.Context, id string) (*User, error) {
	return userByID(ctx, s.db, id)
}

func userByID(ctx context.Context, idb bun.IDB, id string) (*User, error) {
	if !ValidID(id) {
		return nil, notFound("User", id)
	}
	u := new(User)
	if err := idb.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "User", id)
	}
	return u, nil
}

// UserPatch changes a user; nil fields stay as they are.
type UserPatch struct {
	Name     *string
	Role     *Role
	Disabled *bool
	// AccountManagement marks or unmarks a member of Account Management.
	AccountManagement *bool
}

// UpdateUser changes a user's name, role, Account Management flag or
// whether they may sign in, and
// records the change in the audit log. Disabling a user ends all their
// sessions. Herald keeps at least one active admin: demoting or disabling
// the last one is KindConflict, as is disabling oneself (the actor in ctx).
// Invalid input is KindInvalid; an unknown id KindNotFound.
func (s *Accounts) UpdateUser(ctx context.Context, id string, p UserPatch) (*User, error) {
	f := FieldErrors{}
	if p.Name != nil {
		checkText(f, "name", *p.Name, MaxNameLen, false, false)
	}
	if p.Role != nil && !p.Role.Valid() {
		f.Add("role", OneOf(Roles))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	var out *User
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		admins, err := lockActiveAdmins(ctx, tx)
		if err != nil {
			return err
		}
		u, err := userByID(ctx, tx, id)
		if err != nil {
			return err
		}
		before := *u
		if p.Name != nil {
			u.Name = strings.TrimSpace(*p.Name)
		}
		if p.Role != nil {
			u.Role = *p.Role
		}
		setIf(&u.AccountManagement, p.AccountManagement)
		if p.Disabled != nil && *p.Disabled != u.Disabled() {
			u.DisabledAt = nil
			if *p.Disabled {
				u.DisabledAt = &now
			}
		}
		if err := checkAdminsRemain(ctx, &before, u, admins); err != nil {
			return err
		}
		u.UpdatedAt = now
		if _, err := tx.NewUpdate().Model(u).Column("name", "role", "account_management", "disabled_at", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update user %s: %w", id, err)
		}
		action := "update"
		if u.Disabled() && !before.Disabled() {
			action = "disable"
			if err := endSessions(ctx, tx, id, ""); err != nil {
				return err
			}
		} else if !u.Disabled() && before.Disabled() {
			action = "enable"
		}
		out = u
		return audit(ctx, tx, now, Change{Action: action, SubjectType: "user", SubjectID: id, Before: &before, After: u})
	})
	if err != nil {
		return nil, normalise(err)
	}
	return out, nil
}

// lockActiveAdmins returns the ids of the active admins, holding their rows
// on PostgreSQL until the transaction ends, so that two admins demoting
// each other at once cannot leave Herald without one (SQLite has one writer
// anyway).
func lockActiveAdmins(ctx context.Context, tx bun.Tx) ([]string, error) {
	var ids []string
	q := tx.NewSelect().Model((*User)(nil)).Column("id").Where("role = ? AND disabled_at IS NULL", RoleAdmin).Order("id")
	if db.DialectOf(tx) == db.Postgres {
		q.For("UPDATE")
	}
	if err := q.Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("lock admins: %w", err)
	}
	return ids, nil
}

// checkAdminsRemain refuses a change from before to after that would
// disable the acting user, or leave no active admin.
func checkAdminsRemain(ctx context.Context, before, after *User, admins []string) error {
	if a := ActorFrom(ctx); a.Kind == ActorUser && a.ID == after.ID && after.Disabled() && !before.Disabled() {
		return &Error{Kind: KindConflict, Message: "You cannot disable your own account.",
			Fields: map[string]string{"disabled": "cannot be set on your own account"}}
	}
	wasAdmin := before.Role == RoleAdmin && !before.Disabled()
	isAdmin := after.Role == RoleAdmin && !after.Disabled()
	if !wasAdmin || isAdmin {
		return nil
	}
	for _, id := range admins {
		if id != after.ID {
			return nil
		}
	}
	field, msg := "role", "must stay admin: this is the last active admin"
	if after.Disabled() && !before.Disabled() {
		field, msg = "disabled", "cannot be set: this is the last active admin"
	}
	return &Error{Kind: KindConflict, Message: "Herald needs at least one active admin. Make another user admin first.",
		Fields: map[string]string{field: msg}}
}

// ResetPassword gives a user a new random password, which it returns
// once, ends all the user's sessions and records the reset (not the
// password) in the audit log. Resetting one's own password this way is
// KindConflict: change it with the current one instead. An unknown id is
// KindNotFound.
func (s *Accounts) ResetPassword(ctx context.Context, id string) (string, error) {
	if a := ActorFrom(ctx); a.Kind == ActorUser && a.ID == id {
		return "", Errorf(KindConflict, "Change your own password on the Password page.")
	}
	pw := RandomToken(18)
	hash, now := HashPassword(pw), s.Now()
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := userByID(ctx, tx, id)
		if err != nil {
			return err
		}
		return setPassword(ctx, tx, u, hash, now, "reset_password")
	})
	if err != nil {
		return "", normalise(err)
	}
	return pw, nil
}
