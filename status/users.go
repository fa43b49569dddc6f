package status

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// Role is what a console user may do.
type Role string

// Roles, most powerful first.
const (
	RoleAdmin    Role = "admin"
	RoleManager  Role = "manager"
	RoleEngineer Role = "engineer"
	RoleViewer   Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleManager, RoleEngineer, RoleViewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// rank orders roles: the higher, the more a role may do; 0 for unknown.
func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 4
	case RoleManager:
		return 3
	case RoleEngineer:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// AtLeast reports whether r may do everything least may: roles are
// ordered viewer < engineer < manager < admin. Unknown roles may nothing.
func (r Role) AtLeast(least Role) bool {
	return r.rank() > 0 && r.rank() >= least.rank()
}

// User is a console user.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID    string `bun:"id,pk"`
	Email string `bun:"email"`
	Name  string `bun:"name"`
	Role  Role   `bun:"role"`
	// AccountManagement marks a member of Account Management, who
	// takes the post-mortem decision (DESIGN.md §1).
	AccountManagement bool      `bun:"account_management"`
	PasswordHash      string    `bun:"password_hash" json:"-"`
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
	// DisabledAt is set while the user may not sign in.
	DisabledAt *time.Time `bun:"disabled_at"`
	// LastLoginAt is the last successful sign-in. It is left out of the
	// audit log's before and after, where it would be noise.
	LastLoginAt *time.Time `bun:"last_login_at" json:"-"`
}

// Disabled reports whether the user may not sign in.
func (u *User) Disabled() bool { return u.DisabledAt != nil }

// MinPasswordLen is the shortest password Herald accepts.
const MinPasswordLen = 12

// argon2id parameters: OWASP's recommended minimum for argon2id (19 MiB,
// two passes, one lane), so that a burst of logins stays within a small
// container's memory.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
)

// hashBudget bounds the memory (in KiB) that argon2id computations use at
// once: two at today's parameters. A hash made with more memory (an older
// hash) waits for the whole budget, so it runs alone.
var hashBudget = semaphore.NewWeighted(2 * argonMemory)

func idKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	w := min(int64(m), 2*argonMemory)
	_ = hashBudget.Acquire(context.Background(), w) // never fails without a deadline
	defer hashBudget.Release(w)
	key := argon2.IDKey(pw, salt, t, m, p, n)
	// The m KiB argon2id just used are garbage now: collect them before
	// the next hash allocates as much again, instead of letting a burst of
	// logins grow the heap to twice its size before the collector runs.
	runtime.GC()
	return key
}

// currentParams reports whether hash was made with today's parameters;
// a hash made with others is replaced at the next sign-in.
func currentParams(hash string) bool {
	return strings.HasPrefix(hash, fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$", argon2.Version, argonMemory, argonTime, argonThreads))
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := idKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// CheckPassword reports whether pw matches the PHC-format argon2id hash,
// comparing in constant time.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 || m > 1<<20 || t < 1 || t > 20 || p < 1 {
		return false
	}
	got := idKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// UserInput describes a new user.
type UserInput struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

func checkPassword(f FieldErrors, pw string) {
	switch {
	case len([]rune(pw)) < MinPasswordLen:
		f.Add("password", fmt.Sprintf("must be at least %d characters", MinPasswordLen))
	case len(pw) > 1024:
		f.Add("password", "is too long")
	}
}

// CreateUser adds a console user and records it in the audit log. Invalid
// input is KindInvalid; a taken email is KindConflict naming the field.
func (s *Accounts) CreateUser(ctx context.Context, in UserInput) (*User, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	f := FieldErrors{}
	if in.Email == "" {
		f.Add("email", "is required")
	}
	checkEmail(f, "email", in.Email)
	checkText(f, "name", in.Name, MaxNameLen, false, false)
	if !in.Role.Valid() {
		f.Add("role", OneOf(Roles))
	}
	checkPassword(f, in.Password)
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	u := &User{ID: NewID(), Email: in.Email, Name: strings.TrimSpace(in.Name), Role: in.Role,
		PasswordHash: HashPassword(in.Password), CreatedAt: now, UpdatedAt: now}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			if err := normalise(err); KindOf(err) == KindConflict {
				return &Error{Kind: KindConflict, Message: "A user with that email exists.", Fields: map[string]string{"email": "is already taken"}}
			}
			return fmt.Errorf("insert user: %w", err)
		}
		return audit(ctx, tx, now, Change{Action: "create", SubjectType: "user", SubjectID: u.ID, After: u})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SetPassword changes a user's password, found by email, ends the user's
// sessions and records the change (not the password) in the audit log.
func (s *Accounts) SetPassword(ctx context.Context, email, pw string) error {
	f := FieldErrors{}
	checkPassword(f, pw)
	if err := f.Err(); err != nil {
		return err
	}
	email = strings.ToLower(strings.TrimSpace(email))
	hash := HashPassword(pw)
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u := new(User)
		if err := tx.NewSelect().Model(u).Where("email = ?", email).Scan(ctx); err != nil {
			if KindOf(normalise(err)) == KindNotFound {
				return Errorf(KindNotFound, "No user with email %s.", Cut(strings.ToValidUTF8(email, "?"), 254, "…"))
			}
			return fmt.Errorf("load user %s: %w", email, err)
		}
		return setPassword(ctx, tx, u, hash, s.Now(), "set_password")
	})
}

// setPassword stores a new password hash for u, ends all of u's sessions
// and records action in the audit log.
func setPassword(ctx context.Context, tx bun.Tx, u *User, hash string, now time.Time, action string) error {
	before := *u
	u.PasswordHash, u.UpdatedAt = hash, now
	if _, err := tx.NewUpdate().Model(u).Column("password_hash", "updated_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("set password of user %s: %w", u.ID, err)
	}
	if err := endSessions(ctx, tx, u.ID, ""); err != nil {
		return err
	}
	return audit(ctx, tx, now, Change{Action: action, SubjectType: "user", SubjectID: u.ID, Before: &before, After: u})
}

// UserCount returns how many users exist.
func (s *Accounts) UserCount(ctx context.Context) (int, error) {
	n, err := s.db.NewSelect().Model((*User)(nil)).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return int(n), nil
}

// Bootstrap creates the first admin user when there is none, with a random
// password that it returns once. It returns "" if users already exist. It is
// safe when several replicas start together: only one insert wins.
func (s *Accounts) Bootstrap(ctx context.Context, email string) (password string, err error) {
	n, err := s.UserCount(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	password = RandomToken(18)
	if _, err := s.CreateUser(ctx, UserInput{Email: email, Name: "Administrator", Role: RoleAdmin, Password: password}); err != nil {
		if KindOf(err) == KindConflict {
			return "", nil
		}
		return "", err
	}
	return password, nil
}

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// APIToken authorises calls to the admin API with the rights of its role.
// Only a hash of the token is stored.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID         string     `bun:"id,pk"`
	Name       string     `bun:"name"`
	Role       Role       `bun:"role"`
	TokenHash  string     `bun:"token_hash" json:"-"`
	UserID     *string    `bun:"user_id"`
	CreatedAt  time.Time  `bun:"created_at"`
	LastUsedAt *time.Time `bun:"last_used_at" json:"-"`
	// RevokedAt is set once the token is refused for good.
	RevokedAt *time.Time `bun:"revoked_at"`
}

// Revoked reports whether the token has been revoked.
func (t *APIToken) Revoked() bool { return t.RevokedAt != nil }

// tokenPrefix marks Herald API tokens so secret scanners can find them.
const tokenPrefix = "hrld_"

// tokenTouchMinimum is how often at most a token's last use is written.
const tokenTouchMinimum = time.Minute

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// errBadToken is the one answer to an unknown, malformed or revoked token.
func errBadToken() error { return Errorf(KindUnauthorized, "The API token is not valid.") }

// CreateToken makes an admin API token with the given role, records it in
// the audit log (without the secret) and returns it in clear text, once.
// Invalid input is KindInvalid.
func (s *Accounts) CreateToken(ctx context.Context, name string, role Role) (string, *APIToken, error) {
	f := FieldErrors{}
	checkText(f, "name", name, MaxNameLen, true, false)
	if !role.Valid() {
		f.Add("role", OneOf(Roles))
	}
	if err := f.Err(); err != nil {
		return "", nil, err
	}
	clear := tokenPrefix + RandomToken(32)
	now := s.Now()
	t := &APIToken{ID: NewID(), Name: strings.TrimSpace(name), Role: role, TokenHash: hashToken(clear), CreatedAt: now}
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return fmt.Errorf("insert token: %w", err)
		}
		return audit(ctx, tx, now, Change{Action: "create", SubjectType: "token", SubjectID: t.ID, After: t})
	})
	if err != nil {
		return "", nil, err
	}
	return clear, t, nil
}

// Tokens returns every API token, revoked ones included, newest first.
func (s *Accounts) Tokens(ctx context.Context) ([]*APIToken, error) {
	var out []*APIToken
	if err := s.db.NewSelect().Model(&out).OrderExpr("created_at DESC, id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken refuses the token with the given id from now on and records
// that in the audit log. Revoking a revoked token changes nothing; an
// unknown id is KindNotFound.
func (s *Accounts) RevokeToken(ctx context.Context, id string) error {
	if !ValidID(id) {
		return notFound("Token", id)
	}
	now := s.Now()
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		t := new(APIToken)
		if err := tx.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
			return notFoundOr(err, "Token", id)
		}
		if t.Revoked() {
			return nil
		}
		before := *t
		t.RevokedAt = &now
		if _, err := tx.NewUpdate().Model(t).Column("revoked_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("revoke token %s: %w", id, err)
		}
		return audit(ctx, tx, now, Change{Action: "revoke", SubjectType: "token", SubjectID: id, Before: &before, After: t})
	})
}

// TokenByValue returns the live token whose clear text is tok, or
// KindUnauthorized for unknown, malformed and revoked tokens alike. The
// lookup is by SHA-256 of the token, and the stored hash is compared in
// constant time, so the time it takes reveals nothing about stored tokens.
// It notes the token's last use, at most once a minute per token.
func (s *Accounts) TokenByValue(ctx context.Context, tok string) (*APIToken, error) {
	if !strings.HasPrefix(tok, tokenPrefix) || len(tok) > 100 {
		return nil, errBadToken()
	}
	hash := hashToken(tok)
	t := new(APIToken)
	if err := s.db.NewSelect().Model(t).Where("token_hash = ?", hash).Scan(ctx); err != nil {
		if KindOf(normalise(err)) == KindNotFound {
			return nil, errBadToken()
		}
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(t.TokenHash), []byte(hash)) != 1 || t.Revoked() {
		return nil, errBadToken()
	}
	now := s.Now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= tokenTouchMinimum {
		// The condition keeps replicas from writing the same minute twice.
		if _, err := s.db.NewUpdate().Model((*APIToken)(nil)).Set("last_used_at = ?", now).Where("id = ?", t.ID).
			Where("last_used_at IS NULL OR last_used_at <= ?", now.Add(-tokenTouchMinimum)).Exec(ctx); err != nil {
			return nil, fmt.Errorf("note use of token %s: %w", t.ID, err)
		}
		t.LastUsedAt = &now
	}
	return t, nil
}

// Setting returns the value stored under key, creating it with create()
// when absent. Concurrent first calls agree on one value.
func (s *Service) Setting(ctx context.Context, key string, create func() string) (string, error) {
	var v string
	err := s.db.NewSelect().Model((*setting)(nil)).Column("value").Where("key = ?", key).Scan(ctx, &v)
	if err == nil {
		return v, nil
	}
	if KindOf(normalise(err)) != KindNotFound {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	if _, err := s.db.NewInsert().Model(&setting{Key: key, Value: create()}).
		On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
		return "", fmt.Errorf("store setting %s: %w", key, err)
	}
	if err := s.db.NewSelect().Model((*setting)(nil)).Column("value").Where("key = ?", key).Scan(ctx, &v); err != nil {
		return "", fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, nil
}

type setting struct {
	bun.BaseModel `bun:"table:settings"`

	Key   string `bun:"key,pk"`
	Value string `bun:"value"`
}
