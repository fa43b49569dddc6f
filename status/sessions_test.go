package status_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/argon2"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// However many login attempts for one account arrive at once, at most the
// account's limit of them has its password checked, the right password
// among the others included, and the count of attempts is exact.
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		const password = "correct horse battery staple"
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: password})

		// A burst of wrong guesses, all at once.
		const n = 60
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, results[i] = b.svc.Accounts.Login(b.ctx, u.Email, fmt.Sprint("wrong password ", i), fmt.Sprintf("192.0.2.%d", i), "test")
			}()
		}
		wg.Wait()
		checked := 0
		for _, err := range results {
			if status.KindOf(err) == status.KindUnauthorized {
				checked++
				continue
			}
			requireKind(t, err, status.KindForbidden)
			require.Contains(t, status.Message(err), "Too many failed logins")
		}
		require.Equal(t, 5, checked, "exactly the account's limit of attempts is checked")
		got, err := b.svc.Accounts.LoginAttempts(b.ctx, "account:"+u.Email)
		require.NoError(t, err)
		require.Equal(t, n, got, "every attempt is counted, none lost")
		// The right password after the burst is refused unchecked.
		_, _, err = b.svc.Accounts.Login(b.ctx, u.Email, password, "198.51.100.1", "test")
		requireKind(t, err, status.KindForbidden)

		// From one address, across accounts: the address's limit holds.
		var addrWG sync.WaitGroup
		forbidden := make(chan bool, 40)
		for i := range 40 {
			addrWG.Add(1)
			go func() {
				defer addrWG.Done()
				_, _, err := b.svc.Accounts.Login(b.ctx, fmt.Sprintf("nobody%d@herald.example", i), "wrong password", "203.0.113.9", "test")
				forbidden <- status.KindOf(err) == status.KindForbidden
			}()
		}
		addrWG.Wait()
		close(forbidden)
		refused := 0
		for f := range forbidden {
			if f {
				refused++
			}
		}
		require.Equal(t, 20, refused, "the address's 21st to 40th attempts are refused unchecked")
		got, err = b.svc.Accounts.LoginAttempts(b.ctx, "address:203.0.113.9")
		require.NoError(t, err)
		require.Equal(t, 40, got, "the count is exact")

		// The window passes: attempts count from one again.
		b.clock.Advance(16 * time.Minute)
		_, _, err = b.svc.Accounts.Login(b.ctx, "nobody@herald.example", "wrong password", "203.0.113.9", "test")
		requireKind(t, err, status.KindUnauthorized)
		got, err = b.svc.Accounts.LoginAttempts(b.ctx, "address:203.0.113.9")
		require.NoError(t, err)
		require.Equal(t, 1, got)
	})
}

// A password hashed with older, dearer parameters still signs in, and is
// rehashed with today's at that sign-in.
func TestLoginRehashesOldPasswords(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		const password = "correct horse battery staple"
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: password})
		old := oldHash(password)
		_, err := bdb.NewUpdate().Table("users").Set("password_hash = ?", old).Where("id = ?", u.ID).Exec(b.ctx)
		require.NoError(t, err)
		_, _, err = b.svc.Accounts.Login(b.ctx, u.Email, password, "192.0.2.1", "test")
		require.NoError(t, err)
		var hash string
		require.NoError(t, bdb.NewSelect().Table("users").Column("password_hash").Where("id = ?", u.ID).Scan(b.ctx, &hash))
		require.NotEqual(t, old, hash)
		require.Contains(t, hash, "$m=19456,t=2,p=1$")
		require.True(t, status.CheckPassword(hash, password))
	})
}

// oldHash hashes pw with the parameters Herald used before (64 MiB, three
// passes, two lanes).
func oldHash(pw string) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, 3, 64*1024, 2, 32)
	return fmt.Sprintf("$argon2id$v=19$m=65536,t=3,p=2$%s$%s", base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// A long User-Agent is cut on a character boundary, so the sign-in works
// on PostgreSQL (which refuses broken UTF-8) as on SQLite.
func TestLoginKeepsLongUserAgentsValid(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		const password = "correct horse battery staple"
		u := statustest.User(t, b.svc, &statustest.UserOpts{Password: password})
		ua := strings.Repeat("a", 299) + "ü" + strings.Repeat("é", 50) + "\xff"
		_, sess, err := b.svc.Accounts.Login(b.ctx, u.Email, password, "192.0.2.1", ua)
		require.NoError(t, err)
		require.True(t, utf8.ValidString(sess.UserAgent))
		require.LessOrEqual(t, len(sess.UserAgent), 300)
	})
}

// Portal tickets and phone calls name the sender's address as an address.
func TestIntakeSenderEmailMustBeAnAddress(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for _, bad := range []string{"not an address", "a@b@c", "<script>@x", "Ann <ann@acme.example>"} {
			_, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakePortal, Title: "Ticket", SenderEmail: bad})
			requireField(t, err, status.KindInvalid, "sender_email")
		}
		_, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakePortal, Title: "Ticket", SenderEmail: "ann@acme.example"})
		require.NoError(t, err)
	})
}
