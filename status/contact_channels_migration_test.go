package status_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
)

// contactChannelsMigration is the migration that gave contacts phone
// numbers and intake items the address their dismissal forwarded them to.
const contactChannelsMigration = "20261208010000_contact_channels"

// Contacts from before prefer email and have no number; items dismissed
// before learn where their forward went (from the forward itself, not
// from a note that merely says "Forwarded to …"); rolling back works.
func TestContactChannelsMigration(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			bdb, err := db.Open(ctx, dbtest.EmptyURL(t, d))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, bdb.Close()) })
			require.NoError(t, db.NewMigratorFS(bdb, migrationsBefore(t, d, contactChannelsMigration), nil).Up(ctx))

			exec := func(query string, args ...any) {
				t.Helper()
				_, err := bdb.ExecContext(ctx, query, args...)
				require.NoError(t, err)
			}
			cu, ct := status.NewID(), status.NewID()
			exec("INSERT INTO customers (id, name, created_at, updated_at) VALUES (?, 'Acme', ?, ?)", cu, epoch, epoch)
			exec("INSERT INTO customer_contacts (id, customer_id, email, role, created_at) VALUES (?, ?, 'a@acme.example', 'primary', ?)",
				ct, cu, epoch)
			item := func(note string) string {
				id := status.NewID()
				exec("INSERT INTO intake_items (id, source, state, title, note, decided_at, created_at, updated_at) "+
					"VALUES (?, 'email', 'dismissed', 'Old', ?, ?, ?, ?)", id, note, epoch, epoch, epoch)
				return id
			}
			forwarded, claimed := item("Forwarded to desk@example.com."), item("Forwarded to billing.")
			exec("INSERT INTO emails (id, dedupe_key, kind, to_addr, subject, text_body, message_id, status, created_at, updated_at) "+
				"VALUES (?, ?, 'forward', 'desk@example.com', 'Fwd: Old', 'x', 'm1@herald.example', 'sent', ?, ?)",
				status.NewID(), "forward:"+forwarded, epoch, epoch)

			m, err := db.NewMigrator(bdb, nil)
			require.NoError(t, err)
			require.NoError(t, m.Up(ctx))
			svc := status.New(bdb, status.Options{})
			got, err := svc.Intake.Item(ctx, forwarded)
			require.NoError(t, err)
			require.Equal(t, "desk@example.com", got.ForwardedTo)
			got, err = svc.Intake.Item(ctx, claimed)
			require.NoError(t, err)
			require.Empty(t, got.ForwardedTo, "a note is no forward")
			c, err := svc.Customers.ByID(ctx, cu)
			require.NoError(t, err)
			require.Equal(t, status.ChannelEmail, c.Contacts[0].PreferredChannel)
			require.Empty(t, c.Contacts[0].Phone)
			require.Empty(t, c.OncallURL)

			_, err = m.Down(ctx)
			require.NoError(t, err)
			_, err = bdb.ExecContext(ctx, "SELECT phone FROM customer_contacts")
			require.Error(t, err, "rolled back")
		})
	}
}
