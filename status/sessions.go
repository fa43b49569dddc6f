package status

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Session lengths: a session ends after IdleTimeout without use, and in
// any case MaxSessionAge after login.
const (
	IdleTimeout   = 12 * time.Hour
	MaxSessionAge = 7 * 24 * time.Hour
)

// Login throttling (per account and per client address), kept in the
// database so that it holds across replicas.
const (
	throttleWindow     = 15 * time.Minute
	accountMaxFailures = 5
	addressMaxFailures = 20
	throttleLockout    = 15 * time.Minute
)

// sessionTouchMinimum is how long a session is used before its last use
// (and so its idle expiry) is written again: not a write per request.
const sessionTouchMinimum = time.Minute

// Session is a signed-in console user. Only a hash of its token is stored.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID         string    `bun:"id,pk"` // SHA-256 of the cookie token
	UserID     string    `bun:"user_id"`
	CSRF       string    `bun:"csrf"`
	IP         string    `bun:"ip"`
	UserAgent  string    `bun:"user_agent"`
	CreatedAt  time.Time `bun:"created_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
	ExpiresAt  time.Time `bun:"expires_at"`
}

// CheckCSRF reports whether token is the session's CSRF token, in
// constant time.
func (s *Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

type loginFailure struct {
	bun.BaseModel `bun:"table:login_failures"`

	Key         string     `bun:"key,pk"`
	Failures    int        `bun:"failures"`
	FirstAt     time.Time  `bun:"first_at"`
	LockedUntil *time.Time `bun:"locked_until"`
}

// dummyHash is checked against when the account does not exist, so a login
// takes as long for unknown emails as for known ones. It is computed on
// first use: argon2id takes 64 MiB, which an idle process should not hold.
var dummyHash = sync.OnceValue(func() string { return HashPassword("herald-dummy-password-for-timing") })

// ErrLoginFailed is the one answer to a wrong email or password: it does
// not tell which was wrong.
var ErrLoginFailed = &Error{Kind: KindUnauthorized, Message: "The email or password is not right."}

// Login checks credentials and opens a session, returning the cookie token
// (shown once) and the session. A wrong email or password and a disabled
// account all give ErrLoginFailed. Too many failures for the account or the
// address lock further attempts for a while (KindForbidden with the wait).
// A sign-in is recorded in the audit log, on behalf of the user.
func (s *Accounts) Login(ctx context.Context, email, password, ip, userAgent string) (string, *Session, error) {
	now := s.Now()
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > 254 || len(password) > 1024 {
		return "", nil, ErrLoginFailed
	}
	keys := []string{"account:" + email, "address:" + ip}
	// Each attempt is counted before its password is checked, in one
	// atomic statement per key: however many arrive at once, at most the
	// limit of them is checked, and the count is exact.
	if err := s.countAttempt(ctx, keys, now); err != nil {
		return "", nil, err
	}
	u := new(User)
	err := s.db.NewSelect().Model(u).Where("email = ?", email).Scan(ctx)
	if err != nil && KindOf(normalise(err)) != KindNotFound {
		return "", nil, fmt.Errorf("look up user: %w", err)
	}
	hash := dummyHash()
	if err == nil {
		hash = u.PasswordHash
	}
	// A disabled account gets the same answer as a wrong password, after
	// the same work, so the answer tells nothing about the account.
	if !CheckPassword(hash, password) || err != nil || u.Disabled() {
		return "", nil, ErrLoginFailed // counted already
	}
	token := RandomToken(32)
	sess := &Session{ID: hashToken(token), UserID: u.ID, CSRF: RandomToken(24), IP: Cut(ip, 64, ""),
		UserAgent: Cut(strings.ToValidUTF8(userAgent, "\uFFFD"), 300, "…"), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(IdleTimeout)}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// A success clears the account's count and takes its own attempt
		// off the address's.
		if _, err := tx.NewDelete().Model((*loginFailure)(nil)).Where("key = ?", keys[0]).Exec(ctx); err != nil {
			return fmt.Errorf("clear failures: %w", err)
		}
		if _, err := tx.NewUpdate().Model((*loginFailure)(nil)).Set("failures = failures - 1").
			Where("key = ? AND failures > 0", keys[1]).Exec(ctx); err != nil {
			return fmt.Errorf("clear failure: %w", err)
		}
		if _, err := tx.NewInsert().Model(sess).Exec(ctx); err != nil {
			return fmt.Errorf("insert session: %w", err)
		}
		if _, err := tx.NewUpdate().Model(u).Set("last_login_at = ?", now).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("note sign-in of user %s: %w", u.ID, err)
		}
		if !currentParams(u.PasswordHash) {
			// Made with older parameters: replaced now that the password
			// is at hand.
			if _, err := tx.NewUpdate().Model(u).Set("password_hash = ?", HashPassword(password)).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("rehash password of user %s: %w", u.ID, err)
			}
		}
		u.LastLoginAt = &now
		return audit(WithActor(ctx, UserActor(u)), tx, now, Change{Action: "login", SubjectType: "user", SubjectID: u.ID,
			After: signIn{IP: sess.IP, UserAgent: sess.UserAgent}})
	})
	if err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// signIn is what the audit log keeps of a sign-in: never the password or
// the session token.
type signIn struct {
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// countAttempt counts a login attempt against each key, atomically, and
// refuses it (KindForbidden with the wait) when a key is locked or the
// attempt is past its limit within the window; the attempt that reaches
// the limit locks the key for throttleLockout. A window that has passed,
// with no lock in force, starts again at one.
func (s *core) countAttempt(ctx context.Context, keys []string, now time.Time) error {
	windowStart := now.Add(-throttleWindow)
	for _, k := range keys {
		limit := accountMaxFailures
		if strings.HasPrefix(k, "address:") {
			limit = addressMaxFailures
		}
		fresh := "(?TableAlias.first_at < ? AND (?TableAlias.locked_until IS NULL OR ?TableAlias.locked_until <= ?))"
		f := &loginFailure{Key: k, Failures: 1, FirstAt: now}
		var got loginFailure
		err := s.db.NewInsert().Model(f).On("CONFLICT (key) DO UPDATE").
			Set("failures = CASE WHEN "+fresh+" THEN 1 ELSE ?TableAlias.failures + 1 END", windowStart, now).
			Set("first_at = CASE WHEN "+fresh+" THEN EXCLUDED.first_at ELSE ?TableAlias.first_at END", windowStart, now).
			Set("locked_until = CASE WHEN "+fresh+" THEN NULL"+
				" WHEN ?TableAlias.failures + 1 >= ? AND (?TableAlias.locked_until IS NULL OR ?TableAlias.locked_until <= ?) THEN ?"+
				" ELSE ?TableAlias.locked_until END", windowStart, now, limit, now, now.Add(throttleLockout)).
			Returning("failures, locked_until").Scan(ctx, &got.Failures, &got.LockedUntil)
		if err != nil {
			return fmt.Errorf("count login attempt: %w", err)
		}
		if got.Failures > limit {
			wait := throttleLockout
			if got.LockedUntil != nil {
				wait = got.LockedUntil.Sub(now)
			}
			return Errorf(KindForbidden, "Too many failed logins. Try again in %d minutes.", max(1, int(wait.Round(time.Minute).Minutes())))
		}
	}
	return nil
}

// SessionByToken returns the live session for a cookie token and its user,
// extending its idle timeout; KindUnauthorized if there is none or the user
// is disabled.
func (s *Accounts) SessionByToken(ctx context.Context, token string) (*Session, *User, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, Errorf(KindUnauthorized, "Please sign in.")
	}
	now := s.Now()
	sess := new(Session)
	err := s.db.NewSelect().Model(sess).Where("id = ?", hashToken(token)).Scan(ctx)
	if KindOf(normalise(err)) == KindNotFound || (err == nil && (!sess.ExpiresAt.After(now) || now.Sub(sess.CreatedAt) > MaxSessionAge)) {
		return nil, nil, Errorf(KindUnauthorized, "Your session has ended. Please sign in again.")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("look up session: %w", err)
	}
	u := new(User)
	if err := s.db.NewSelect().Model(u).Where("id = ?", sess.UserID).Scan(ctx); err != nil {
		return nil, nil, notFoundOr(err, "User", sess.UserID)
	}
	if u.Disabled() { // its sessions were ended; this is a second lock
		return nil, nil, Errorf(KindUnauthorized, "Your session has ended. Please sign in again.")
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchMinimum {
		sess.LastSeenAt, sess.ExpiresAt = now, now.Add(IdleTimeout)
		if _, err := s.db.NewUpdate().Model(sess).Column("last_seen_at", "expires_at").WherePK().Exec(ctx); err != nil {
			return nil, nil, fmt.Errorf("touch session: %w", err)
		}
	}
	return sess, u, nil
}

// Logout ends the session with the given cookie token and records the
// sign-out in the audit log. An unknown token changes nothing.
func (s *Accounts) Logout(ctx context.Context, token string) error {
	now := s.Now()
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		sess := new(Session)
		err := tx.NewSelect().Model(sess).Where("id = ?", hashToken(token)).Scan(ctx)
		if KindOf(normalise(err)) == KindNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("look up session: %w", err)
		}
		if _, err := tx.NewDelete().Model(sess).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
		return audit(ctx, tx, now, Change{Action: "logout", SubjectType: "user", SubjectID: sess.UserID})
	})
}

// endSessions deletes the sessions of a user, except keepID.
func endSessions(ctx context.Context, tx bun.IDB, userID, keepID string) error {
	if _, err := tx.NewDelete().Model((*Session)(nil)).Where("user_id = ? AND id <> ?", userID, keepID).Exec(ctx); err != nil {
		return fmt.Errorf("end sessions of user %s: %w", userID, err)
	}
	return nil
}

// ChangePassword sets a new password after checking the current one, ends
// the user's other sessions and records the change (not the password) in
// the audit log.
func (s *Accounts) ChangePassword(ctx context.Context, userID, keepSessionID, current, next string) error {
	u := new(User)
	if err := s.db.NewSelect().Model(u).Where("id = ?", userID).Scan(ctx); err != nil {
		return notFoundOr(err, "User", userID)
	}
	f := FieldErrors{}
	if !CheckPassword(u.PasswordHash, current) {
		f.Add("current", "is not your current password")
	}
	checkPassword(f, next)
	if next == current {
		f.Add("password", "must differ from the current password")
	}
	if err := f.Err(); err != nil {
		return err
	}
	hash, now := HashPassword(next), s.Now()
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		before := *u
		u.PasswordHash, u.UpdatedAt = hash, now
		if _, err := tx.NewUpdate().Model(u).Column("password_hash", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if err := endSessions(ctx, tx, userID, keepSessionID); err != nil {
			return err
		}
		return audit(ctx, tx, now, Change{Action: "change_password", SubjectType: "user", SubjectID: userID, Before: &before, After: u})
	})
}

// PruneSessions deletes expired sessions and old login failures.
func (s *Accounts) PruneSessions(ctx context.Context) error {
	now := s.Now()
	if _, err := s.db.NewDelete().Model((*Session)(nil)).Where("expires_at <= ? OR created_at <= ?", now, now.Add(-MaxSessionAge)).Exec(ctx); err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	if _, err := s.db.NewDelete().Model((*loginFailure)(nil)).Where("first_at <= ? AND (locked_until IS NULL OR locked_until <= ?)", now.Add(-throttleWindow), now).Exec(ctx); err != nil {
		return fmt.Errorf("prune login failures: %w", err)
	}
	return nil
}
