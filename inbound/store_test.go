package inbound_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func rawMail(id, subject, body string) []byte {
	var b strings.Builder
	b.WriteString("From: Wile E. Coyote <wile@acme.example>\r\nTo: support@herald.example\r\n")
	if id != "" {
		b.WriteString("Message-ID: <" + id + ">\r\n")
	}
	b.WriteString("Subject: " + subject + "\r\nDate: Tue, 24 Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return []byte(b.String())
}

func countMessages(t *testing.T, bdb *bun.DB) int {
	t.Helper()
	n, err := bdb.NewSelect().Model((*inbound.StoredMessage)(nil)).Count(t.Context())
	require.NoError(t, err)
	return int(n)
}

// A message is stored once, by Message-ID or by content without one, its
// raw bytes come back intact from chunks, and its routing is queued in the
// same transaction: a failing queue stores nothing.
func TestStoreKeepsEachMessageOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		var routed []string
		failRoute := false
		st := inbound.NewStore(bdb, inbound.StoreOptions{Jobs: &statustest.Jobs{Queued: func(args river.JobArgs, _ *river.InsertOpts) error {
			if failRoute {
				return errors.New("queue unavailable")
			}
			routed = append(routed, args.(inbound.RouteArgs).MessageID)
			return nil
		}}})
		ctx := t.Context()

		first := rawMail("a1@acme.example", "Is the API down?", "Since 10:00.")
		id, stored, err := st.Add(ctx, bytes.NewReader(first))
		require.NoError(t, err)
		require.True(t, stored)
		_, stored, err = st.Add(ctx, bytes.NewReader(first))
		require.NoError(t, err)
		require.False(t, stored, "the same Message-ID again")
		require.Equal(t, []string{id}, routed)
		m, err := st.Message(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "a1@acme.example", m.MessageID)
		require.Equal(t, "wile@acme.example", m.FromAddress)
		require.Equal(t, "Wile E. Coyote", m.FromName)
		require.Equal(t, "Is the API down?", m.Subject)
		require.Equal(t, inbound.MessageNew, m.Status)
		require.Equal(t, int64(len(first)), m.Size)
		require.NotNil(t, m.SentAt)
		require.True(t, m.SentAt.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)))

		noID := rawMail("", "No id", "Hello.")
		_, stored, err = st.Add(ctx, bytes.NewReader(noID))
		require.NoError(t, err)
		require.True(t, stored)
		_, stored, err = st.Add(ctx, bytes.NewReader(noID))
		require.NoError(t, err)
		require.False(t, stored, "the same bytes without a Message-ID")
		_, stored, err = st.Add(ctx, bytes.NewReader(rawMail("", "No id", "Hello again.")))
		require.NoError(t, err)
		require.True(t, stored, "other bytes without a Message-ID are another message")

		// 3.5 MiB: four chunks, read back byte for byte.
		big := rawMail("big@acme.example", "Logs attached", strings.Repeat("0123456789abcdef", 3.5*(1<<20)/16))
		bigID, stored, err := st.Add(ctx, bytes.NewReader(big))
		require.NoError(t, err)
		require.True(t, stored)
		back, err := io.ReadAll(st.OpenRaw(ctx, bigID))
		require.NoError(t, err)
		require.True(t, bytes.Equal(big, back), "raw bytes intact (%d vs %d)", len(back), len(big))

		failRoute = true
		_, _, err = st.Add(ctx, bytes.NewReader(rawMail("a2@acme.example", "Lost?", "x")))
		require.ErrorContains(t, err, "queue unavailable")
		require.Equal(t, 4, countMessages(t, bdb), "a failed queue stores nothing")
		var chunks int
		require.NoError(t, bdb.NewRaw("SELECT count(*) FROM inbound_message_chunks").Scan(ctx, &chunks))
		require.Equal(t, 7, chunks, "1 + 1 + 1 + 4 chunks, none left over")

		_, err = st.Message(ctx, "zzzzzzzzzzzz")
		require.Error(t, err)
		_, err = st.Message(ctx, "../x")
		require.Error(t, err)
	})
}

// The checkpoint advances with each processed UID and starts over when
// UIDVALIDITY changes (0 is a value).
func TestStoreCheckpoint(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		st := inbound.NewStore(bdb, inbound.StoreOptions{})
		ctx := t.Context()
		_, _, ok, err := st.Checkpoint(ctx, "INBOX")
		require.NoError(t, err)
		require.False(t, ok)
		require.NoError(t, st.Done(ctx, "INBOX", 0, 3, 1))
		v, last, ok, err := st.Checkpoint(ctx, "INBOX")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, [2]uint32{0, 3}, [2]uint32{v, last})
		require.NoError(t, st.Done(ctx, "INBOX", 0, 7, 1))
		require.NoError(t, st.Done(ctx, "INBOX", 0, 5, 1), "an older UID does not move it back")
		_, last, _, err = st.Checkpoint(ctx, "INBOX")
		require.NoError(t, err)
		require.Equal(t, uint32(7), last)
		require.NoError(t, st.Done(ctx, "INBOX", 99, 2, 1))
		v, last, _, err = st.Checkpoint(ctx, "INBOX")
		require.NoError(t, err)
		require.Equal(t, [2]uint32{99, 2}, [2]uint32{v, last}, "a new UIDVALIDITY starts over")
		_, _, ok, err = st.Checkpoint(ctx, "Other")
		require.NoError(t, err)
		require.False(t, ok)

		// The watcher's state, for the console; the checkpoint stays.
		at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		require.NoError(t, st.RecordState(ctx, "INBOX", inbound.MailboxState{Connected: false, LastError: "login refused", LastErrorAt: at}))
		require.NoError(t, st.RecordState(ctx, "Other", inbound.MailboxState{Connected: true, Idle: true}))
		boxes, err := st.Mailboxes(ctx)
		require.NoError(t, err)
		require.Len(t, boxes, 2)
		require.Equal(t, "INBOX", boxes[0].Name)
		require.Equal(t, "login refused", boxes[0].LastError)
		require.True(t, boxes[0].LastErrorAt.Equal(at))
		require.Equal(t, uint32(2), boxes[0].LastUID)
		require.Equal(t, int64(4), boxes[0].Processed)
		require.True(t, boxes[1].Connected && boxes[1].Idle)
		v, last, _, err = st.Checkpoint(ctx, "INBOX")
		require.NoError(t, err)
		require.Equal(t, [2]uint32{99, 2}, [2]uint32{v, last})
	})
}

// Through a real IMAP server: every message is stored once, also when the
// mailbox is read again after a UIDVALIDITY change.
func TestWatcherIntoStore(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		srv := imaptest.Start(t)
		for i := range 3 {
			srv.Append(t, "INBOX", rawMail(fmt.Sprintf("m%d@acme.example", i), fmt.Sprintf("Mail %d", i), "Hello."))
		}
		st := inbound.NewStore(bdb, inbound.StoreOptions{})
		w := inbound.NewWatcher(st, inbound.WatcherOptions{Config: inbound.IMAPConfig{Host: srv.Host(), Port: srv.Port(),
			Username: imaptest.DefaultUsername, Password: imaptest.DefaultPassword, TLS: "none", Mailbox: "INBOX"}})
		ctx := t.Context()
		require.NoError(t, w.Poll(ctx))
		require.Equal(t, 3, countMessages(t, bdb))
		srv.Append(t, "INBOX", rawMail("m3@acme.example", "Mail 3", "Hello."))
		require.NoError(t, w.Poll(ctx))
		require.Equal(t, 4, countMessages(t, bdb))
		_, last, ok, err := st.Checkpoint(ctx, "INBOX")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, uint32(4), last)

		srv.RecreateMailbox(t, "INBOX")
		for i := range 5 { // the four again, and one new
			srv.Append(t, "INBOX", rawMail(fmt.Sprintf("m%d@acme.example", i), fmt.Sprintf("Mail %d", i), "Hello."))
		}
		// The deleted mailbox ends the session; the next pass reconnects.
		if err := w.Poll(ctx); err != nil {
			require.NoError(t, w.Poll(ctx))
		}
		require.Equal(t, 5, countMessages(t, bdb), "read again, stored once")
		v, last, _, err := st.Checkpoint(ctx, "INBOX")
		require.NoError(t, err)
		require.Equal(t, srv.UIDValidity(t, "INBOX"), v)
		require.Equal(t, uint32(5), last)
	})
}
