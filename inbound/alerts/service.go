package alerts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/herald-status/herald/status"
)

// Hooks are the webhooks Herald offers, each with its own token.
var Hooks = []string{"alertmanager", "opsgenie", "generic"}

// DefaultWindow is how long after an alert others for the same
// components (or, unmapped, from the same source) join its item.
const DefaultWindow = 5 * time.Minute

// Service keeps alerts, their mapping rules and the hooks' tokens.
type Service struct {
	db     *bun.DB
	status *status.Service
	window time.Duration
	log    *slog.Logger
	pg     bool
}

// Options configure a Service; the zero value is usable.
type Options struct {
	// Window is how long after an alert others for the same components
	// join its item (DefaultWindow when zero).
	Window time.Duration
	Log    *slog.Logger
}

// New returns the alert service over db; svc keeps the triage items and
// incidents, and its clock is the service's.
func New(db *bun.DB, svc *status.Service, o Options) *Service {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, status: svc, window: o.Window, log: o.Log, pg: db.Dialect().Name() == dialect.PG}
}

// Record is one alert as Herald keeps it, in the intake item it went to.
type Record struct {
	bun.BaseModel `bun:"table:alerts,alias:al"`

	ID          string          `bun:"id,pk"`
	IntakeID    string          `bun:"intake_id"`
	Source      string          `bun:"source"`
	Key         string          `bun:"key"`
	Active      bool            `bun:"active"`
	Status      Event           `bun:"status"` // Firing or Resolved
	Title       string          `bun:"title"`
	Description string          `bun:"description"`
	Severity    string          `bun:"severity"`  // as the source said it
	Suggested   status.Severity `bun:"suggested"` // by the rules, or from Severity
	Labels      Labels          `bun:"labels"`
	Link        string          `bun:"link"`
	GroupKey    string          `bun:"group_key"`
	Components  string          `bun:"components"` // ids, comma-separated
	Problems    string          `bun:"problems"`   // one a line
	StartsAt    *time.Time      `bun:"starts_at"`
	ResolvedAt  *time.Time      `bun:"resolved_at"`
	FirstSeenAt time.Time       `bun:"first_seen_at"`
	LastSeenAt  time.Time       `bun:"last_seen_at"`
	// Deliveries counts how often the source sent the alert.
	Deliveries     int        `bun:"deliveries"`
	AcknowledgedBy string     `bun:"acknowledged_by"`
	AcknowledgedAt *time.Time `bun:"acknowledged_at"`
}

// Name is the alert's title with where it fires, when its labels say
// (instance, host, node, pod), so that alerts with one title tell apart.
func (r *Record) Name() string {
	for _, l := range []string{"instance", "host", "node", "pod"} {
		if v := r.Labels[l]; v != "" && !strings.Contains(r.Title, v) {
			return r.Title + " on " + v
		}
	}
	return r.Title
}

// Firing reports whether the alert still fires.
func (r *Record) Firing() bool { return r.Status == Firing }

// ComponentIDs returns the ids of the components the alert maps to.
func (r *Record) ComponentIDs() []string {
	if r.Components == "" {
		return nil
	}
	return strings.Split(r.Components, ",")
}

// Alerts returns the alerts of an intake item in the order they came in,
// at most limit of them (all when limit is 0).
func (s *Service) Alerts(ctx context.Context, intakeID string, limit int) ([]*Record, error) {
	var out []*Record
	q := s.db.NewSelect().Model(&out).Where("intake_id = ?", intakeID).OrderExpr("first_seen_at, id")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("load alerts of %s: %w", intakeID, err)
	}
	return out, nil
}

// Count is how many alerts an item or incident has, and how many fire.
type Count struct {
	All    int
	Firing int
	// LastResolved is when the last of them resolved (IncidentCount only).
	LastResolved *time.Time
}

// AllResolved reports whether there were alerts and none fires now.
func (c Count) AllResolved() bool { return c.All > 0 && c.Firing == 0 }

// IncidentCount sums the alert counts of every item attached to an
// incident or declaring it, with the time the last alert resolved.
func (s *Service) IncidentCount(ctx context.Context, incidentID string) (Count, error) {
	items, err := s.status.Incidents.AlertItems(ctx, incidentID)
	if err != nil {
		return Count{}, fmt.Errorf("count alerts of incident %s: %w", incidentID, err)
	}
	var sum Count
	ids := make([]string, 0, len(items))
	for _, it := range items {
		sum.All += it.AlertCount
		sum.Firing += it.AlertFiring
		ids = append(ids, it.ID)
	}
	if sum.AllResolved() {
		var last []time.Time
		if err := s.db.NewSelect().Model((*Record)(nil)).ColumnExpr("resolved_at").Where("intake_id IN (?)", bun.List(ids)).
			Where("resolved_at IS NOT NULL").OrderExpr("resolved_at DESC").Limit(1).Scan(ctx, &last); err != nil {
			return Count{}, fmt.Errorf("find the last resolved alert of incident %s: %w", incidentID, err)
		}
		if len(last) > 0 {
			sum.LastResolved = &last[0]
		}
	}
	return sum, nil
}

// HookToken is what Herald shows of a hook's token: never the token.
type HookToken struct {
	bun.BaseModel `bun:"table:hook_tokens"`

	Hook      string    `bun:"hook,pk"`
	Hash      string    `bun:"hash"`
	Hint      string    `bun:"hint"` // the token's first characters
	CreatedBy string    `bun:"created_by"`
	CreatedAt time.Time `bun:"created_at"`
	// LastUsedAt is when a delivery last came with the token (written at
	// most once a minute).
	LastUsedAt *time.Time `bun:"last_used_at"`
}

// ValidHook reports whether name is one of Hooks.
func ValidHook(name string) bool {
	for _, h := range Hooks {
		if h == name {
			return true
		}
	}
	return false
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewToken makes a new token for hook, replacing the one it had; the
// token is returned once and kept only as a hash.
func (s *Service) NewToken(ctx context.Context, hook string) (string, error) {
	if !ValidHook(hook) {
		return "", status.Errorf(status.KindNotFound, "There is no hook %q.", hook)
	}
	token := status.RandomToken(24)
	t := &HookToken{Hook: hook, Hash: tokenHash(token), Hint: token[:4], CreatedBy: status.ActorFrom(ctx).Name, CreatedAt: s.status.Now()}
	err := s.status.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		if _, err := tx.NewInsert().Model(t).On("CONFLICT (hook) DO UPDATE").
			Set("hash = EXCLUDED.hash, hint = EXCLUDED.hint, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at, last_used_at = NULL").
			Exec(ctx); err != nil {
			return fmt.Errorf("store token of hook %s: %w", hook, err)
		}
		shown := *t
		shown.Hash = ""
		return tx.Audit(ctx, status.Change{Action: "token", SubjectType: "hook", SubjectID: hook, After: shown})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// RevokeToken removes hook's token: the hook then refuses everything.
func (s *Service) RevokeToken(ctx context.Context, hook string) error {
	return s.status.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		if _, err := tx.NewDelete().Model((*HookToken)(nil)).Where("hook = ?", hook).Exec(ctx); err != nil {
			return fmt.Errorf("revoke token of hook %s: %w", hook, err)
		}
		return tx.Audit(ctx, status.Change{Action: "revoke", SubjectType: "hook", SubjectID: hook})
	})
}

// Tokens returns the hooks that have a token, by hook name.
func (s *Service) Tokens(ctx context.Context) (map[string]*HookToken, error) {
	var all []*HookToken
	if err := s.db.NewSelect().Model(&all).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load hook tokens: %w", err)
	}
	out := make(map[string]*HookToken, len(all))
	for _, t := range all {
		out[t.Hook] = t
	}
	return out, nil
}

// CheckToken returns nil when token is hook's token, compared in
// constant time, and a KindUnauthorized error otherwise.
func (s *Service) CheckToken(ctx context.Context, hook, token string) error {
	t := new(HookToken)
	err := s.db.NewSelect().Model(t).Where("hook = ?", hook).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return status.Errorf(status.KindUnauthorized, "The %s hook has no token yet: an admin makes one in the console (Alerts) or with \"herald hook-token %s\".", hook, hook)
	}
	if err != nil {
		return fmt.Errorf("load token of hook %s: %w", hook, err)
	}
	got := tokenHash(token)
	if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(t.Hash)) != 1 {
		return status.Errorf(status.KindUnauthorized, "Wrong or missing token for the %s hook.", hook)
	}
	now := s.status.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= time.Minute {
		// The condition keeps replicas from writing the same minute twice.
		if _, err := s.db.NewUpdate().Model((*HookToken)(nil)).Set("last_used_at = ?", now).Where("hook = ?", hook).
			Where("last_used_at IS NULL OR last_used_at <= ?", now.Add(-time.Minute)).Exec(ctx); err != nil {
			return fmt.Errorf("note use of the %s hook's token: %w", hook, err)
		}
	}
	return nil
}
