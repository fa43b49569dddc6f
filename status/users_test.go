package status_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/argon2"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestHashPassword(t *testing.T) {
	t.Parallel()
	hash := status.HashPassword("correct horse battery staple")
	require.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"), hash)
	require.NotContains(t, hash, "correct horse")
	require.True(t, status.CheckPassword(hash, "correct horse battery staple"))
	require.False(t, status.CheckPassword(hash, "correct horse battery stapl"))
	require.False(t, status.CheckPassword(hash, ""))
	require.NotEqual(t, hash, status.HashPassword("correct horse battery staple"), "each hash has its own salt")
}

func TestCheckPassword_ReadsParametersFromTheHash(t *testing.T) {
	t.Parallel()
	// A hash made with other (cheaper) parameters still verifies, so the
	// parameters can be raised later without locking anyone out.
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("hunter2hunter2"), salt, 1, 1024, 1, 16)
	hash := fmt.Sprintf("$argon2id$v=19$m=1024,t=1,p=1$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	require.True(t, status.CheckPassword(hash, "hunter2hunter2"))
	require.False(t, status.CheckPassword(hash, "hunter2hunter3"))
}

func TestCheckPassword_BadHashes(t *testing.T) {
	t.Parallel()
	salt := base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef"))
	key := base64.RawStdEncoding.EncodeToString(make([]byte, 32))
	cases := []struct{ name, hash string }{
		{"empty", ""},
		{"clear text", "hunter2hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=1024,t=1,p=1$" + salt + "$" + key},
		{"too few parts", "$argon2id$v=19$m=1024,t=1,p=1$" + salt},
		{"too many parts", "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + key + "$x"},
		{"garbled parameters", "$argon2id$v=19$m=lots$" + salt + "$" + key},
		{"salt not base64", "$argon2id$v=19$m=1024,t=1,p=1$!!!$" + key},
		{"key not base64", "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$!!!"},
		{"empty key", "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$"},
		{"huge key", "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 129))},
		{"huge memory", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{"huge time", "$argon2id$v=19$m=1024,t=1000000,p=1$" + salt + "$" + key},
		{"zero time", "$argon2id$v=19$m=1024,t=0,p=1$" + salt + "$" + key},
		{"zero parallelism", "$argon2id$v=19$m=1024,t=1,p=0$" + salt + "$" + key},
		{"negative time", "$argon2id$v=19$m=1024,t=-1,p=1$" + salt + "$" + key},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NotPanics(t, func() {
				require.False(t, status.CheckPassword(tc.hash, "hunter2hunter2"))
			})
		})
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u, err := b.svc.Accounts.CreateUser(b.ctx, status.UserInput{Email: "  Ada@Example.COM ", Name: " Ada ", Role: status.RoleManager,
			Password: "correct horse battery staple"})
		require.NoError(t, err)
		require.Equal(t, "ada@example.com", u.Email, "emails are stored lower-case")
		require.Equal(t, "Ada", u.Name)
		require.Equal(t, status.RoleManager, u.Role)
		require.True(t, status.CheckPassword(u.PasswordHash, "correct horse battery staple"))

		_, err = b.svc.Accounts.CreateUser(b.ctx, status.UserInput{Email: "ADA@example.com", Role: status.RoleViewer, Password: "another long password"})
		requireField(t, err, status.KindConflict, "email")

		n, err := b.svc.Accounts.UserCount(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func TestCreateUser_InvalidInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		edit  func(in *status.UserInput)
		field string
	}{
		{"no email", func(in *status.UserInput) { in.Email = "" }, "email"},
		{"blank email", func(in *status.UserInput) { in.Email = "   " }, "email"},
		{"not an email", func(in *status.UserInput) { in.Email = "ada" }, "email"},
		{"email with a display name", func(in *status.UserInput) { in.Email = "Ada <ada@example.com>" }, "email"},
		{"email too long", func(in *status.UserInput) { in.Email = strings.Repeat("a", 250) + "@example.com" }, "email"},
		{"name with a NUL", func(in *status.UserInput) { in.Name = "Ada\x00" }, "name"},
		{"name too long", func(in *status.UserInput) { in.Name = strings.Repeat("a", status.MaxNameLen+1) }, "name"},
		{"no role", func(in *status.UserInput) { in.Role = "" }, "role"},
		{"unknown role", func(in *status.UserInput) { in.Role = "root" }, "role"},
		{"short password", func(in *status.UserInput) { in.Password = strings.Repeat("p", status.MinPasswordLen-1) }, "password"},
		{"empty password", func(in *status.UserInput) { in.Password = "" }, "password"},
		{"huge password", func(in *status.UserInput) { in.Password = strings.Repeat("p", 1025) }, "password"},
	}
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := status.UserInput{Email: "ada@example.com", Name: "Ada", Role: status.RoleAdmin, Password: "correct horse battery staple"}
				tc.edit(&in)
				_, err := b.svc.Accounts.CreateUser(b.ctx, in)
				requireField(t, err, status.KindInvalid, tc.field)
			})
		}
		n, err := b.svc.Accounts.UserCount(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		// Twelve characters are enough, counted as characters, not bytes.
		_, err = b.svc.Accounts.CreateUser(b.ctx, status.UserInput{Email: "ada@example.com", Role: status.RoleAdmin, Password: strings.Repeat("ü", status.MinPasswordLen)})
		require.NoError(t, err)
	})
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		u := statustest.User(t, b.svc, &statustest.UserOpts{Email: "ada@example.com"})
		require.NoError(t, b.svc.Accounts.SetPassword(b.ctx, " ADA@example.com", "a brand new password"))
		var hash string
		require.NoError(t, bdb.NewSelect().Model((*status.User)(nil)).Column("password_hash").Where("id = ?", u.ID).Scan(b.ctx, &hash))
		require.True(t, status.CheckPassword(hash, "a brand new password"))
		require.False(t, status.CheckPassword(hash, statustest.DefaultPassword))

		requireKind(t, b.svc.Accounts.SetPassword(b.ctx, "nobody@example.com", "a brand new password"), status.KindNotFound)
		requireField(t, b.svc.Accounts.SetPassword(b.ctx, "ada@example.com", "short"), status.KindInvalid, "password")
	})
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		pw, err := b.svc.Accounts.Bootstrap(b.ctx, "Admin@Example.com")
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(pw), status.MinPasswordLen)

		var users []*status.User
		require.NoError(t, bdb.NewSelect().Model(&users).Scan(b.ctx))
		require.Len(t, users, 1)
		require.Equal(t, "admin@example.com", users[0].Email)
		require.Equal(t, status.RoleAdmin, users[0].Role)
		require.True(t, status.CheckPassword(users[0].PasswordHash, pw))

		again, err := b.svc.Accounts.Bootstrap(b.ctx, "admin@example.com")
		require.NoError(t, err)
		require.Empty(t, again, "a second bootstrap does nothing")
		again, err = b.svc.Accounts.Bootstrap(b.ctx, "other@example.com")
		require.NoError(t, err)
		require.Empty(t, again)
		n, err := b.svc.Accounts.UserCount(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func TestBootstrap_ConcurrentReplicas(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		const replicas = 3
		var wg sync.WaitGroup
		passwords := make([]string, replicas)
		errs := make([]error, replicas)
		for i := range replicas {
			wg.Go(func() { passwords[i], errs[i] = b.svc.Accounts.Bootstrap(b.ctx, "admin@example.com") })
		}
		wg.Wait()
		won := 0
		for i := range replicas {
			require.NoError(t, errs[i])
			if passwords[i] != "" {
				won++
			}
		}
		require.Equal(t, 1, won, "exactly one replica reports a password")
		n, err := b.svc.Accounts.UserCount(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})
}

func TestTokens(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		clear, tok, err := b.svc.Accounts.CreateToken(b.ctx, " CI deploys ", status.RoleAdmin)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(clear, "hrld_"), clear)
		require.Equal(t, "CI deploys", tok.Name)
		require.NotContains(t, tok.TokenHash, clear[5:], "only a hash is stored")
		requireTime(t, epoch, tok.CreatedAt)

		got, err := b.svc.Accounts.TokenByValue(b.ctx, clear)
		require.NoError(t, err)
		require.Equal(t, tok.ID, got.ID)
		require.Equal(t, "CI deploys", got.Name)

		clear2, tok2, err := b.svc.Accounts.CreateToken(b.ctx, "CI deploys", status.RoleAdmin)
		require.NoError(t, err)
		require.NotEqual(t, clear, clear2)
		got, err = b.svc.Accounts.TokenByValue(b.ctx, clear2)
		require.NoError(t, err)
		require.Equal(t, tok2.ID, got.ID)

		for _, bad := range []string{
			"", "hrld_", clear + "x", clear[:len(clear)-1], strings.ToUpper(clear), clear[5:], "Bearer " + clear,
			tok.TokenHash, "hrld_" + strings.Repeat("a", 200), "hrld_' OR '1'='1",
		} {
			_, err := b.svc.Accounts.TokenByValue(b.ctx, bad)
			requireKind(t, err, status.KindUnauthorized)
		}

		for _, name := range []string{"", "  ", "ci\x00", strings.Repeat("n", status.MaxNameLen+1)} {
			_, _, err := b.svc.Accounts.CreateToken(b.ctx, name, status.RoleAdmin)
			requireField(t, err, status.KindInvalid, "name")
		}
	})
}

func TestSetting(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		calls := 0
		create := func() string { calls++; return fmt.Sprintf("value-%d", calls) }

		v, err := b.svc.Setting(b.ctx, "session_key", create)
		require.NoError(t, err)
		require.Equal(t, "value-1", v)
		v, err = b.svc.Setting(b.ctx, "session_key", create)
		require.NoError(t, err)
		require.Equal(t, "value-1", v, "the first value stays")
		require.Equal(t, 1, calls, "create runs only when the key is absent")

		other, err := b.svc.Setting(b.ctx, "other_key", create)
		require.NoError(t, err)
		require.Equal(t, "value-2", other)

		// A second service on the same database (another replica) agrees.
		v, err = status.New(bdb, status.Options{}).Setting(b.ctx, "session_key", func() string { return "replica" })
		require.NoError(t, err)
		require.Equal(t, "value-1", v)
	})
}

func TestSetting_ConcurrentFirstCallsAgree(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		const callers = 8
		var wg sync.WaitGroup
		got := make([]string, callers)
		errs := make([]error, callers)
		for i := range callers {
			wg.Go(func() { got[i], errs[i] = b.svc.Setting(b.ctx, "k", func() string { return fmt.Sprint(i) }) })
		}
		wg.Wait()
		for i := range callers {
			require.NoError(t, errs[i])
			require.Equal(t, got[0], got[i])
		}
	})
}
