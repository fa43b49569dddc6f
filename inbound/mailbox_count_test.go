package inbound_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status/db/dbtest"
)

// syncBuffer is a log destination safe for the watcher's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The console's "messages read" counts messages, not the batches they
// were checkpointed in (issue 14.11: 105 after 601); and a fresh
// database, whose mailbox row the console's state made before anything
// was read, is a first read, not a UIDVALIDITY change to warn about.
func TestMailboxCountsMessagesAndFirstReadIsNoChange(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		srv := imaptest.Start(t)
		st := inbound.NewStore(bdb, inbound.StoreOptions{})
		ctx := t.Context()
		// The state is recorded as soon as the watcher starts.
		require.NoError(t, st.RecordState(ctx, "INBOX", inbound.MailboxState{Connected: true}))

		const n = 121 // three batches: 50, 50, 21
		for i := range n {
			srv.Append(t, "INBOX", rawMail(fmt.Sprintf("c%d@acme.example", i), fmt.Sprintf("Mail %d", i), "Hello."))
		}
		logs := &syncBuffer{}
		o := imapOptions(t, srv)
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		w := inbound.NewWatcher(st, o)
		defer closeWatcher(t, w)
		require.NoError(t, w.Poll(ctx))
		require.Equal(t, n, countMessages(t, bdb))
		require.NotContains(t, logs.String(), "UIDVALIDITY changed", "a first read is no change")
		processed := func() int64 {
			t.Helper()
			boxes, err := st.Mailboxes(ctx)
			require.NoError(t, err)
			require.Len(t, boxes, 1)
			return boxes[0].Processed
		}
		require.Equal(t, int64(n), processed(), "messages, not batches")
		require.Equal(t, int64(n), w.State().Processed, "the watcher counts alike")

		// An empty pass reads nothing; one more message is one more.
		require.NoError(t, w.Poll(ctx))
		require.Equal(t, int64(n), processed())
		srv.Append(t, "INBOX", rawMail("one-more@acme.example", "One more", "Hello."))
		require.NoError(t, w.Poll(ctx))
		require.Equal(t, int64(n+1), processed())

		// A real change is still told, and what is read again counts.
		srv.RecreateMailbox(t, "INBOX")
		srv.Append(t, "INBOX", rawMail("c0@acme.example", "Mail 0", "Hello."))
		if err := w.Poll(ctx); err != nil {
			require.NoError(t, w.Poll(ctx))
		}
		require.Contains(t, logs.String(), "UIDVALIDITY changed")
		require.Equal(t, 1, strings.Count(logs.String(), "UIDVALIDITY changed"))
		require.Equal(t, int64(n+2), processed())
		require.Equal(t, n+1, countMessages(t, bdb), "read again, stored once")
	})
}
