package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/web"
)

// The inbox shows the support mailbox's state as its watcher wrote it:
// connected or not, how much was read, the last error.
func TestConsoleInboxShowsTheMailbox(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		store := inbound.NewStore(bdb, inbound.StoreOptions{})
		b := setup(t, bdb, func(d *web.Deps) { d.Messages = store })
		br := customerBrowser(t, b, status.RoleViewer)
		require.NotContains(t, br.send(http.MethodGet, "/console/inbox", nil).String(), "Support mailbox", "nothing watched yet")

		require.NoError(t, store.Done(b.ctx, "INBOX", 7, 40, 40)) // a batch of 40 messages
		require.NoError(t, store.Done(b.ctx, "INBOX", 7, 41, 1))
		require.NoError(t, store.RecordState(b.ctx, "INBOX", inbound.MailboxState{Connected: true, Idle: true}))
		body := br.send(http.MethodGet, "/console/inbox", nil).String()
		require.Contains(t, body, "Support mailbox INBOX:")
		require.Contains(t, body, "<strong>connected</strong>, waiting for mail (IDLE)")
		require.Contains(t, body, "41 messages read, the last at", "messages, not batches")

		require.NoError(t, store.RecordState(b.ctx, "INBOX", inbound.MailboxState{LastError: "IMAP server refused the login <b>",
			LastErrorAt: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}))
		body = br.send(http.MethodGet, "/console/inbox", nil).String()
		require.Contains(t, body, "<strong>not connected</strong>")
		require.Contains(t, body, "IMAP server refused the login &lt;b&gt;")
	})
}
