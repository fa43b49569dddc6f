package main

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
)

// With HERALD_IMAP_URL set, a customer's email in the support mailbox
// becomes one triage item through the real IMAP protocol and the job
// queue, is flagged \Seen, and the console can see the mailbox connected.
func TestSupportMailboxBecomesTriage(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			srv := imaptest.Start(t)
			u := url.URL{Scheme: "imap", User: url.UserPassword(imaptest.DefaultUsername, imaptest.DefaultPassword),
				Host: fmt.Sprintf("%s:%d", srv.Host(), srv.Port()), Path: "/INBOX", RawQuery: "tls=none"}
			a := startAppWith(t, d, false, appOptions{tick: time.Second}, "HERALD_IMAP_URL", u.String(), "HERALD_IMAP_INTERVAL", "5s")
			ctx := t.Context()
			uid := srv.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <q1@acme.example>\r\n"+
				"Subject: Is the API down?\r\n\r\nWe get 500s since 10:00.\r\n"))

			var items []*status.IntakeItem
			require.Eventually(t, func() bool {
				var err error
				items, err = a.svc.IntakeItems(ctx, status.IntakeFilter{})
				return err == nil && len(items) == 1
			}, 30*time.Second, 100*time.Millisecond, "the email reaches the triage inbox")
			require.Equal(t, "Is the API down?", items[0].Title)
			require.Equal(t, status.IntakeEmail, items[0].Source)
			require.Eventually(t, func() bool {
				return slices.Contains(srv.Flags(t, "INBOX", uid), `\Seen`)
			}, 10*time.Second, 50*time.Millisecond, "flagged once stored")
			store := inbound.NewStore(a.db, inbound.StoreOptions{})
			require.Eventually(t, func() bool {
				boxes, err := store.Mailboxes(ctx)
				return err == nil && len(boxes) == 1 && boxes[0].Connected && boxes[0].LastUID == uid
			}, 10*time.Second, 100*time.Millisecond, "the mailbox state is kept for the console")
			time.Sleep(2 * time.Second)
			items, err := a.svc.IntakeItems(ctx, status.IntakeFilter{})
			require.NoError(t, err)
			require.Len(t, items, 1, "once")
		})
	}
}

// One replica at a time holds the mailbox lock; it is free again once
// released.
func TestMailboxLockIsHeldOnce(t *testing.T) {
	t.Parallel()
	bdb := dbtest.Open(t, "postgres")
	ctx := t.Context()
	first, release, err := holdLock(ctx, bdb, mailboxLockKey)
	require.NoError(t, err)
	_, _, err = holdLock(ctx, bdb, mailboxLockKey)
	require.ErrorIs(t, err, errLockHeld)
	release()
	require.Error(t, first.Err(), "the holder's context ends with the lock")
	_, release2, err := holdLock(ctx, bdb, mailboxLockKey)
	require.NoError(t, err, "free again")
	release2()
}
