package status

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ActorKind says who made a change: a console user, an API token or Herald
// itself (scheduled jobs, the maintenance clock).
type ActorKind string

// Actor kinds.
const (
	ActorUser   ActorKind = "user"
	ActorToken  ActorKind = "token"
	ActorSystem ActorKind = "system"
)

// Actor is who a change is made on behalf of. The web layer puts it in the
// request's context; the Service reads it when it writes the audit log.
type Actor struct {
	Kind ActorKind
	ID   string
	Name string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries; Herald itself when none.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok && a.Kind != "" {
		return a
	}
	return Actor{Kind: ActorSystem, Name: "Herald"}
}

// UserActor is the actor for a console user.
func UserActor(u *User) Actor {
	name := u.Name
	if name == "" {
		name = u.Email
	}
	return Actor{Kind: ActorUser, ID: u.ID, Name: name}
}

// AuditEntry is one change in the audit log: who, when, what, and the
// subject before and after, as JSON. Secrets (password and token hashes)
// never reach it: their fields are excluded from JSON.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID          string    `bun:"id,pk"`
	At          time.Time `bun:"at"`
	ActorKind   ActorKind `bun:"actor_kind"`
	ActorID     string    `bun:"actor_id"`
	ActorName   string    `bun:"actor_name"`
	Action      string    `bun:"action"`
	SubjectType string    `bun:"subject_type"`
	SubjectID   string    `bun:"subject_id"`
	PageID      string    `bun:"page_id"`
	Before      string    `bun:"before_json"`
	After       string    `bun:"after_json"`
}

// Change is what audit records: an action ("create", "update", "delete",
// or a verb of the domain such as "close") on a subject.
type Change struct {
	Action      string
	SubjectType string // "incident", "page", "user", …
	SubjectID   string
	PageID      string
	Before      any // nil when created
	After       any // nil when deleted
}

// audit writes c to the audit log inside tx, on behalf of the context's
// actor, so the entry commits or rolls back with the change itself.
func audit(ctx context.Context, tx bun.IDB, now time.Time, c Change) error {
	a := ActorFrom(ctx)
	e := &AuditEntry{
		ID: NewID(), At: stamp(now), ActorKind: a.Kind, ActorID: a.ID, ActorName: a.Name,
		Action: c.Action, SubjectType: c.SubjectType, SubjectID: c.SubjectID, PageID: c.PageID,
	}
	var err error
	if e.Before, err = auditJSON(c.Before); err != nil {
		return err
	}
	if e.After, err = auditJSON(c.After); err != nil {
		return err
	}
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("audit %s %s: %w", c.Action, c.SubjectType, err)
	}
	return nil
}

func auditJSON(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("audit: encode %T: %w", v, err)
	}
	if string(b) == "null" {
		return "", nil
	}
	return string(b), nil
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	SubjectType string
	SubjectID   string
	ActorID     string
	// Before continues a listing: only entries older than the entry with
	// this id.
	Before string
	Limit  int // default 50, at most 500
}

// AuditLog returns audit entries matching f, newest first.
func (s *Service) AuditLog(ctx context.Context, f AuditFilter) ([]*AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	var out []*AuditEntry
	q := s.db.NewSelect().Model(&out).OrderExpr("at DESC, id DESC").Limit(int64(f.Limit))
	if f.SubjectType != "" {
		q = q.Where("subject_type = ?", f.SubjectType)
	}
	if f.SubjectID != "" {
		q = q.Where("subject_id = ?", f.SubjectID)
	}
	if f.ActorID != "" {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Before != "" {
		var at time.Time
		err := s.db.NewSelect().Model((*AuditEntry)(nil)).Column("at").Where("id = ?", f.Before).Scan(ctx, &at)
		if err != nil {
			return nil, notFoundOr(err, "Audit entry", f.Before)
		}
		q = q.Where("(at < ? OR (at = ? AND id < ?))", at, at, f.Before)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}
