package status_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func ptr[T any](v T) *T { return &v }

// auditOf returns the audit entries about a subject, oldest first.
func auditOf(t *testing.T, b *testBundle, subjectType, id string) []*status.AuditEntry {
	t.Helper()
	es, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: subjectType, SubjectID: id, Limit: 500})
	require.NoError(t, err)
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		admin := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin})
		u := statustest.User(t, b.svc, &statustest.UserOpts{Name: "Ada", Role: status.RoleEngineer})
		ctx := status.WithActor(b.ctx, status.UserActor(admin))

		b.clock.Advance(time.Minute)
		got, err := b.svc.Accounts.UpdateUser(ctx, u.ID, status.UserPatch{Name: ptr(" Ada Lovelace "), Role: ptr(status.RoleManager)})
		require.NoError(t, err)
		require.Equal(t, "Ada Lovelace", got.Name)
		require.Equal(t, status.RoleManager, got.Role)
		requireTime(t, b.clock.Now(), got.UpdatedAt)
		again, err := b.svc.Accounts.UserByID(b.ctx, u.ID)
		require.NoError(t, err)
		require.Equal(t, "Ada Lovelace", again.Name)
		require.Equal(t, status.RoleManager, again.Role)
		require.False(t, again.Disabled())

		es := auditOf(t, b, "user", u.ID)
		require.Len(t, es, 2)
		require.Equal(t, "create", es[0].Action)
		last := es[1]
		require.Equal(t, "update", last.Action)
		require.Equal(t, status.ActorUser, last.ActorKind)
		require.Equal(t, admin.ID, last.ActorID)
		require.Contains(t, last.Before, `"Name":"Ada"`)
		require.Contains(t, last.Before, `"Role":"engineer"`)
		require.Contains(t, last.After, `"Name":"Ada Lovelace"`)
		require.Contains(t, last.After, `"Role":"manager"`)

		// A patch with nothing keeps everything.
		got, err = b.svc.Accounts.UpdateUser(ctx, u.ID, status.UserPatch{})
		require.NoError(t, err)
		require.Equal(t, "Ada Lovelace", got.Name)

		for name, p := range map[string]status.UserPatch{
			"unknown role":    {Role: ptr(status.Role("root"))},
			"empty role":      {Role: ptr(status.Role(""))},
			"huge name":       {Name: ptr(strings.Repeat("n", 10000))},
			"name with NUL":   {Name: ptr("Ada\x00")},
			"broken UTF-8":    {Name: ptr("Ada\xff")},
			"newline in name": {Name: ptr("Ada\nLovelace")},
		} {
			_, err := b.svc.Accounts.UpdateUser(ctx, u.ID, p)
			require.Error(t, err, name)
			require.Equal(t, status.KindInvalid, status.KindOf(err), name)
		}
		for _, id := range []string{"nope", "", strings.Repeat("x", 100), "' OR 1=1 --"} {
			_, err := b.svc.Accounts.UpdateUser(ctx, id, status.UserPatch{Name: ptr("x")})
			requireKind(t, err, status.KindNotFound)
			_, err = b.svc.Accounts.UserByID(b.ctx, id)
			requireKind(t, err, status.KindNotFound)
		}
	})
}

func TestUpdateUser_KeepsAnActiveAdmin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		first := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin})
		ctx := status.WithActor(b.ctx, status.Actor{Kind: status.ActorSystem, Name: "Herald"})

		_, err := b.svc.Accounts.UpdateUser(ctx, first.ID, status.UserPatch{Role: ptr(status.RoleManager)})
		e := requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Message, "at least one active admin")
		require.Contains(t, e.Fields, "role")
		_, err = b.svc.Accounts.UpdateUser(ctx, first.ID, status.UserPatch{Disabled: ptr(true)})
		e = requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Fields, "disabled")

		// A disabled admin does not count.
		second := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin})
		_, err = b.svc.Accounts.UpdateUser(ctx, second.ID, status.UserPatch{Disabled: ptr(true)})
		require.NoError(t, err)
		_, err = b.svc.Accounts.UpdateUser(ctx, first.ID, status.UserPatch{Role: ptr(status.RoleViewer)})
		requireKind(t, err, status.KindConflict)

		// With another active admin, one may step down.
		_, err = b.svc.Accounts.UpdateUser(ctx, second.ID, status.UserPatch{Disabled: ptr(false)})
		require.NoError(t, err)
		got, err := b.svc.Accounts.UpdateUser(ctx, first.ID, status.UserPatch{Role: ptr(status.RoleViewer)})
		require.NoError(t, err)
		require.Equal(t, status.RoleViewer, got.Role)
		_, err = b.svc.Accounts.UpdateUser(ctx, second.ID, status.UserPatch{Role: ptr(status.RoleEngineer)})
		requireKind(t, err, status.KindConflict)
		u, err := b.svc.Accounts.UserByID(b.ctx, second.ID)
		require.NoError(t, err)
		require.Equal(t, status.RoleAdmin, u.Role, "a refused change changes nothing")

		// An admin may not disable themselves, even with other admins.
		_, err = b.svc.Accounts.UpdateUser(ctx, first.ID, status.UserPatch{Role: ptr(status.RoleAdmin)})
		require.NoError(t, err)
		self := status.WithActor(b.ctx, status.UserActor(first))
		_, err = b.svc.Accounts.UpdateUser(self, first.ID, status.UserPatch{Disabled: ptr(true)})
		e = requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Message, "your own account")
		_, err = b.svc.Accounts.UpdateUser(self, second.ID, status.UserPatch{Disabled: ptr(true)})
		require.NoError(t, err, "but may disable another admin")
	})
}

func TestUpdateUser_ConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		admins := []*status.User{
			statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin}),
			statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin}),
		}
		var wg sync.WaitGroup
		errs := make([]error, len(admins))
		for i, a := range admins {
			wg.Go(func() {
				_, errs[i] = b.svc.Accounts.UpdateUser(b.ctx, a.ID, status.UserPatch{Role: ptr(status.RoleViewer)})
			})
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if err != nil {
				requireKind(t, err, status.KindConflict)
				failed++
			}
		}
		require.Equal(t, 1, failed, "exactly one demotion wins")
		n, err := bdb.NewSelect().Model((*status.User)(nil)).Where("role = 'admin' AND disabled_at IS NULL").Count(b.ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
	})
}

func TestDisabledUserCannotSignIn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin})
		u := statustest.User(t, b.svc, &statustest.UserOpts{Email: "ada@example.com"})
		tok, _, err := b.svc.Accounts.Login(b.ctx, u.Email, statustest.DefaultPassword, "192.0.2.1", "test")
		require.NoError(t, err)
		tok2, _, err := b.svc.Accounts.Login(b.ctx, u.Email, statustest.DefaultPassword, "192.0.2.1", "test")
		require.NoError(t, err)
		_, _, err = b.svc.Accounts.SessionByToken(b.ctx, tok)
		require.NoError(t, err)
		got, err := b.svc.Accounts.UserByID(b.ctx, u.ID)
		require.NoError(t, err)
		requireTimePtr(t, epoch, got.LastLoginAt)

		b.clock.Advance(time.Minute)
		got, err = b.svc.Accounts.UpdateUser(b.ctx, u.ID, status.UserPatch{Disabled: ptr(true)})
		require.NoError(t, err)
		require.True(t, got.Disabled())
		requireTimePtr(t, b.clock.Now(), got.DisabledAt)
		for _, s := range []string{tok, tok2} {
			_, _, err = b.svc.Accounts.SessionByToken(b.ctx, s)
			requireKind(t, err, status.KindUnauthorized)
		}
		n, err := bdb.NewSelect().Model((*status.Session)(nil)).Where("user_id = ?", u.ID).Count(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "all their sessions are gone")

		// The right password gets the very answer a wrong one gets.
		_, _, err = b.svc.Accounts.Login(b.ctx, u.Email, statustest.DefaultPassword, "192.0.2.1", "test")
		require.Equal(t, status.ErrLoginFailed, err)
		_, _, wrong := b.svc.Accounts.Login(b.ctx, u.Email, "not the password", "192.0.2.1", "test")
		require.Equal(t, wrong, err)
		require.Equal(t, "disable", auditOf(t, b, "user", u.ID)[3].Action)

		// Enabled again, they sign in.
		_, err = b.svc.Accounts.UpdateUser(b.ctx, u.ID, status.UserPatch{Disabled: ptr(false)})
		require.NoError(t, err)
		_, _, err = b.svc.Accounts.Login(b.ctx, u.Email, statustest.DefaultPassword, "192.0.2.1", "test")
		require.NoError(t, err)
	})
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		admin := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin})
		u := statustest.User(t, b.svc, nil)
		sess, _, err := b.svc.Accounts.Login(b.ctx, u.Email, statustest.DefaultPassword, "192.0.2.1", "test")
		require.NoError(t, err)
		ctx := status.WithActor(b.ctx, status.UserActor(admin))

		pw, err := b.svc.Accounts.ResetPassword(ctx, u.ID)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(pw), status.MinPasswordLen)
		_, _, err = b.svc.Accounts.SessionByToken(b.ctx, sess)
		requireKind(t, err, status.KindUnauthorized)
		_, _, err = b.svc.Accounts.Login(b.ctx, u.Email, statustest.DefaultPassword, "192.0.2.2", "test")
		require.Equal(t, status.ErrLoginFailed, err)
		_, _, err = b.svc.Accounts.Login(b.ctx, u.Email, pw, "192.0.2.2", "test")
		require.NoError(t, err)

		other, err := b.svc.Accounts.ResetPassword(ctx, u.ID)
		require.NoError(t, err)
		require.NotEqual(t, pw, other, "each reset makes a new password")

		_, err = b.svc.Accounts.ResetPassword(ctx, admin.ID)
		e := requireKindError(t, err, status.KindConflict)
		require.Contains(t, e.Message, "Password page")
		_, err = b.svc.Accounts.ResetPassword(ctx, "nope")
		requireKind(t, err, status.KindNotFound)
	})
}

func TestTokenRoles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		clear, tok, err := b.svc.Accounts.CreateToken(b.ctx, "Dashboards", status.RoleViewer)
		require.NoError(t, err)
		require.Equal(t, status.RoleViewer, tok.Role)
		got, err := b.svc.Accounts.TokenByValue(b.ctx, clear)
		require.NoError(t, err)
		require.Equal(t, status.RoleViewer, got.Role, "the role is stored")

		for _, role := range []status.Role{"", "root", "Admin", "admin "} {
			_, _, err := b.svc.Accounts.CreateToken(b.ctx, "x", role)
			requireField(t, err, status.KindInvalid, "role")
		}

		// A token from before roles (no role given) keeps every right.
		old := "hrld_" + strings.Repeat("o", 43)
		sum := sha256.Sum256([]byte(old))
		_, err = bdb.NewRaw("INSERT INTO api_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
			status.NewID(), "old", hex.EncodeToString(sum[:]), epoch.Add(-time.Hour)).Exec(b.ctx)
		require.NoError(t, err)
		got, err = b.svc.Accounts.TokenByValue(b.ctx, old)
		require.NoError(t, err)
		require.Equal(t, status.RoleAdmin, got.Role)

		tokens, err := b.svc.Accounts.Tokens(b.ctx)
		require.NoError(t, err)
		require.Len(t, tokens, 2)
		require.Equal(t, tok.ID, tokens[0].ID, "newest first")

		require.True(t, status.RoleAdmin.AtLeast(status.RoleManager))
		require.True(t, status.RoleEngineer.AtLeast(status.RoleEngineer))
		require.False(t, status.RoleEngineer.AtLeast(status.RoleManager))
		require.False(t, status.RoleViewer.AtLeast(status.RoleEngineer))
		require.False(t, status.Role("root").AtLeast(status.RoleViewer))
	})
}

func TestRevokeToken(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		clear, tok, err := b.svc.Accounts.CreateToken(b.ctx, "CI", status.RoleEngineer)
		require.NoError(t, err)
		keep, _, err := b.svc.Accounts.CreateToken(b.ctx, "other", status.RoleEngineer)
		require.NoError(t, err)

		b.clock.Advance(time.Hour)
		require.NoError(t, b.svc.Accounts.RevokeToken(b.ctx, tok.ID))
		_, err = b.svc.Accounts.TokenByValue(b.ctx, clear)
		e := requireKindError(t, err, status.KindUnauthorized)
		require.Equal(t, "The API token is not valid.", e.Message, "a revoked token is refused like an unknown one")
		_, err = b.svc.Accounts.TokenByValue(b.ctx, keep)
		require.NoError(t, err, "other tokens keep working")

		require.NoError(t, b.svc.Accounts.RevokeToken(b.ctx, tok.ID), "revoking twice is fine")
		tokens, err := b.svc.Accounts.Tokens(b.ctx)
		require.NoError(t, err)
		for _, got := range tokens {
			if got.ID == tok.ID {
				requireTimePtr(t, epoch.Add(time.Hour), got.RevokedAt)
			}
		}
		es := auditOf(t, b, "token", tok.ID)
		require.Len(t, es, 2, "create and one revoke")
		require.Equal(t, "revoke", es[1].Action)
		require.Contains(t, es[1].After, `"RevokedAt":"`)

		for _, id := range []string{"nope", "", strings.Repeat("x", 100)} {
			requireKind(t, b.svc.Accounts.RevokeToken(b.ctx, id), status.KindNotFound)
		}
	})
}

func TestTokenLastUsedAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		clear, tok, err := b.svc.Accounts.CreateToken(b.ctx, "CI", status.RoleViewer)
		require.NoError(t, err)
		lastUsed := func() *time.Time {
			var at *time.Time
			require.NoError(t, bdb.NewSelect().Model((*status.APIToken)(nil)).Column("last_used_at").Where("id = ?", tok.ID).Scan(b.ctx, &at))
			return at
		}
		require.Nil(t, lastUsed())
		_, err = b.svc.Accounts.TokenByValue(b.ctx, clear)
		require.NoError(t, err)
		requireTimePtr(t, epoch, lastUsed())
		b.clock.Advance(30 * time.Second)
		_, err = b.svc.Accounts.TokenByValue(b.ctx, clear)
		require.NoError(t, err)
		requireTimePtr(t, epoch, lastUsed())
		b.clock.Advance(30 * time.Second)
		_, err = b.svc.Accounts.TokenByValue(b.ctx, clear)
		require.NoError(t, err)
		requireTimePtr(t, epoch.Add(time.Minute), lastUsed())
	})
}

func TestAuditOfUsersAndTokensKeepsNoSecrets(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		const password = "the first secret password"
		admin := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleAdmin, Password: password})
		ctx := status.WithActor(b.ctx, status.UserActor(admin))
		u, err := b.svc.Accounts.CreateUser(ctx, status.UserInput{Email: "bob@example.com", Name: "Bob", Role: status.RoleViewer, Password: password})
		require.NoError(t, err)
		sessTok, sess, err := b.svc.Accounts.Login(b.ctx, u.Email, password, "192.0.2.1", "test agent")
		require.NoError(t, err)
		require.NoError(t, b.svc.Accounts.ChangePassword(status.WithActor(b.ctx, status.UserActor(u)), u.ID, sess.ID, password, "the second secret password"))
		require.NoError(t, b.svc.Accounts.SetPassword(ctx, u.Email, "the third secret password"))
		reset, err := b.svc.Accounts.ResetPassword(ctx, u.ID)
		require.NoError(t, err)
		_, err = b.svc.Accounts.UpdateUser(ctx, u.ID, status.UserPatch{Disabled: ptr(true)})
		require.NoError(t, err)
		clear, tok, err := b.svc.Accounts.CreateToken(ctx, "CI", status.RoleManager)
		require.NoError(t, err)
		require.NoError(t, b.svc.Accounts.RevokeToken(ctx, tok.ID))
		adminTok, _, err := b.svc.Accounts.Login(b.ctx, admin.Email, password, "192.0.2.1", "test agent")
		require.NoError(t, err)
		require.NoError(t, b.svc.Accounts.Logout(ctx, adminTok))

		var actions []string
		for _, e := range auditOf(t, b, "user", u.ID) {
			actions = append(actions, e.Action)
			who := admin.ID
			if e.Action == "login" || e.Action == "change_password" {
				who = u.ID
			}
			require.Equal(t, who, e.ActorID, e.Action)
			require.Equal(t, status.ActorUser, e.ActorKind, e.Action)
		}
		require.Equal(t, []string{"create", "login", "change_password", "set_password", "reset_password", "disable"}, actions)
		es := auditOf(t, b, "user", admin.ID)
		require.Equal(t, "logout", es[len(es)-1].Action)
		require.Equal(t, "login", es[len(es)-2].Action)
		require.Contains(t, es[len(es)-2].After, "192.0.2.1")

		// Neither hashes nor passwords nor tokens anywhere in the log.
		var users []*status.User
		require.NoError(t, bdb.NewSelect().Model(&users).Scan(b.ctx))
		secrets := []string{"$argon2id$", password, "the second secret password", "the third secret password", reset, clear,
			clear[5:], tok.TokenHash, sessTok, sess.ID, sess.CSRF, adminTok}
		for _, usr := range users {
			secrets = append(secrets, usr.PasswordHash)
		}
		var rows []string
		require.NoError(t, bdb.NewRaw("SELECT before_json || ' ' || after_json FROM audit_log").Scan(b.ctx, &rows))
		require.NotEmpty(t, rows)
		for _, row := range rows {
			for _, s := range secrets {
				require.NotContains(t, row, s)
			}
			require.NotContains(t, row, "PasswordHash")
			require.NotContains(t, row, "TokenHash")
		}
	})
}
