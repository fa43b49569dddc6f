package comms_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// harness is an outbox over a test database and an in-process SMTP server,
// with the jobs it queued recorded instead of run.
type harness struct {
	db   *bun.DB
	smtp *mailtest.Server
	box  *comms.Outbox
	now  time.Time

	mu   sync.Mutex
	jobs []string // email ids of queued deliveries
}

func newHarness(t *testing.T, bdb *bun.DB, dev bool) *harness {
	h := &harness{db: bdb, smtp: mailtest.Start(t), now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	o := comms.OutboxOptions{From: "Northwind Status <status@status.northwind.example>", Now: func() time.Time { return h.now },
		Jobs: &statustest.Jobs{Queued: func(args river.JobArgs, _ *river.InsertOpts) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.jobs = append(h.jobs, args.(comms.SendEmailArgs).EmailID)
			return nil
		}}}
	if !dev {
		o.Mailer = comms.NewSMTPMailer(comms.SMTPConfig{Host: h.smtp.Host, Port: h.smtp.Port, TLS: comms.TLSNone}, comms.MailerOptions{Timeout: 5 * time.Second})
	}
	h.box = comms.NewOutbox(bdb, o)
	return h
}

func (h *harness) queue(t *testing.T, e *comms.Email) bool {
	t.Helper()
	var queued bool
	err := h.db.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		queued, err = h.box.Queue(ctx, tx, e)
		return err
	})
	require.NoError(t, err)
	return queued
}

func (h *harness) email(t *testing.T, id string) *comms.Email {
	t.Helper()
	e := new(comms.Email)
	require.NoError(t, h.db.NewSelect().Model(e).Where("id = ?", id).Scan(t.Context()))
	return e
}

func update(key, to string) *comms.Email {
	return &comms.Email{DedupeKey: key, Kind: "incident_update", To: to,
		Subject: "[Northwind] Élevated errors — Mitigating", Text: "We are on it.\n\nManage: https://status.example/manage/x",
		HTML: "<p>We are <strong>on it</strong>.</p>", InReplyTo: "incident.abc@status.northwind.example",
		ReplyTo: "support@northwind.example", UnsubscribeURL: "https://status.example/unsubscribe/tok"}
}

// parseEmail reads a received message with a MIME parser and returns its
// header and its parts as "type: decoded body".
func parseEmail(t *testing.T, data []byte) (mail.Header, []string) {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(data))
	require.NoError(t, err)
	var parts []string
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		ct := p.Header.Get("Content-Type")
		body, err := io.ReadAll(p.Body)
		require.NoError(t, err)
		parts = append(parts, strings.SplitN(ct, ";", 2)[0]+": "+string(body))
	}
	return r.Header, parts
}

// A batch stores every new email and queues one delivery for each;
// emails queued before are skipped, and a bad header refuses the batch.
func TestOutboxQueuesABatch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		require.True(t, h.queue(t, update("update:u9:b@example.com", "b@example.com")))
		batch := []*comms.Email{update("update:u9:a@example.com", "a@example.com"),
			update("update:u9:b@example.com", "b@example.com"), update("update:u9:c@example.com", "c@example.com")}
		var n int
		require.NoError(t, bdb.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			n, err = h.box.QueueMany(ctx, tx, batch)
			return err
		}))
		require.Equal(t, 2, n, "b was queued before")
		require.Len(t, h.jobs, 3, "one delivery per email")
		var tos []string
		for _, id := range h.jobs {
			tos = append(tos, h.email(t, id).To)
		}
		require.ElementsMatch(t, []string{"a@example.com", "b@example.com", "c@example.com"}, tos,
			"each job names a stored email")

		bad := update("update:u9:d@example.com", "d@example.com")
		bad.Subject = "Hi\r\nBcc: all@example.com"
		err := bdb.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := h.box.QueueMany(ctx, tx, []*comms.Email{update("update:u9:e@example.com", "e@example.com"), bad})
			return err
		})
		require.ErrorContains(t, err, "line break")
		var count int
		require.NoError(t, bdb.NewSelect().Model((*comms.Email)(nil)).ColumnExpr("count(*)").Scan(t.Context(), &count))
		require.Equal(t, 3, count, "nothing of the refused batch is stored")
	})
}

// One email goes out once, as valid MIME with threading, one-click
// unsubscribe and a stable Message-ID.
func TestOutboxDeliversOnceAsValidMIME(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		e := update("update:u1:ann@example.com", "ann@example.com")
		require.True(t, h.queue(t, e))
		require.False(t, h.queue(t, update("update:u1:ann@example.com", "ann@example.com")), "the same email is queued once")
		require.Len(t, h.jobs, 1)

		require.NoError(t, h.box.Deliver(t.Context(), e.ID))
		require.NoError(t, h.box.Deliver(t.Context(), e.ID), "a retried job finds it sent")
		msgs := h.smtp.Messages()
		require.Len(t, msgs, 1, "sent exactly once")
		require.Equal(t, []string{"ann@example.com"}, msgs[0].To)
		got := h.email(t, e.ID)
		require.Equal(t, comms.EmailSent, got.Status)
		require.NotNil(t, got.SentAt)
		require.Equal(t, 1, got.Attempts)

		hd, parts := parseEmail(t, msgs[0].Data)
		subj, err := hd.Subject()
		require.NoError(t, err)
		require.Equal(t, "[Northwind] Élevated errors — Mitigating", subj, "non-ASCII subjects are encoded and decode back")
		ids, err := hd.MsgIDList("Message-Id")
		require.NoError(t, err)
		require.Equal(t, []string{e.MessageID}, ids)
		require.True(t, strings.HasSuffix(e.MessageID, "@status.northwind.example"), "Message-IDs at Herald's own domain")
		irt, err := hd.MsgIDList("In-Reply-To")
		require.NoError(t, err)
		require.Equal(t, []string{"incident.abc@status.northwind.example"}, irt)
		refs, err := hd.MsgIDList("References")
		require.NoError(t, err)
		require.Equal(t, []string{"incident.abc@status.northwind.example"}, refs)
		require.Equal(t, "<https://status.example/unsubscribe/tok>", hd.Get("List-Unsubscribe"))
		require.Equal(t, "List-Unsubscribe=One-Click", hd.Get("List-Unsubscribe-Post"))
		require.Equal(t, "auto-generated", hd.Get("Auto-Submitted"))
		require.Equal(t, "All", hd.Get("X-Auto-Response-Suppress"), "no out-of-office replies")
		require.Empty(t, hd.Get("User-Agent"))
		require.Empty(t, hd.Get("X-Mailer"))
		replyTo, err := hd.AddressList("Reply-To")
		require.NoError(t, err)
		require.Equal(t, "support@northwind.example", replyTo[0].Address)

		require.Len(t, parts, 2)
		require.Contains(t, parts[0], "text/plain: We are on it.")
		require.Contains(t, parts[1], "text/html: <p>We are <strong>on it</strong>.</p>")
	})
}

// 451 is retried; 550 is recorded and not retried; a server that is down
// is retried until it is up, and then the email goes out once.
func TestOutboxRetriesTemporaryAndRecordsPermanentFailures(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		ctx := t.Context()

		later := update("update:u2:bob@example.com", "bob@example.com")
		h.queue(t, later)
		h.smtp.Refuse(func(string) error { return mailtest.Temporary() })
		err := h.box.Deliver(ctx, later.ID)
		require.Error(t, err, "returned for River to retry")
		require.False(t, isCancel(err))
		got := h.email(t, later.ID)
		require.Equal(t, comms.EmailRetrying, got.Status)
		require.Contains(t, got.LastError, "451")
		h.smtp.Refuse(nil)
		require.NoError(t, h.box.Deliver(ctx, later.ID))
		require.Equal(t, comms.EmailSent, h.email(t, later.ID).Status)
		require.Equal(t, 2, h.email(t, later.ID).Attempts)

		never := update("update:u2:nobody@example.com", "nobody@example.com")
		h.queue(t, never)
		h.smtp.Refuse(func(string) error { return mailtest.Permanent() })
		err = h.box.Deliver(ctx, never.ID)
		require.True(t, isCancel(err), "a permanent failure is not retried: %v", err)
		got = h.email(t, never.ID)
		require.Equal(t, comms.EmailFailed, got.Status)
		require.Contains(t, got.LastError, "550")
		require.NoError(t, h.box.Deliver(ctx, never.ID), "a failed email is not tried again")
		require.Equal(t, 2, h.smtp.Refused(), "one 451, one 550")

		// Retrying stops after RetryFor.
		h.smtp.Refuse(func(string) error { return mailtest.Temporary() })
		late := update("update:u2:late@example.com", "late@example.com")
		h.queue(t, late)
		h.now = h.now.Add(25 * time.Hour)
		err = h.box.Deliver(ctx, late.ID)
		require.True(t, isCancel(err))
		got = h.email(t, late.ID)
		require.Equal(t, comms.EmailFailed, got.Status)
		require.Contains(t, got.LastError, "gave up after retrying")
		require.Len(t, h.smtp.Messages(), 1, "only bob's email was accepted")
	})
}

func TestOutboxWhileTheServerIsDown(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		// A port where nothing listens.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
		down := comms.NewOutbox(bdb, comms.OutboxOptions{From: "status@example.com", Now: func() time.Time { return h.now },
			Mailer: comms.NewSMTPMailer(comms.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: comms.TLSNone}, comms.MailerOptions{Timeout: 2 * time.Second}),
			Jobs:   &statustest.Jobs{}})
		e := update("update:u3:cem@example.com", "cem@example.com")
		require.NoError(t, bdb.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := down.Queue(ctx, tx, e)
			return err
		}))
		err = down.Deliver(t.Context(), e.ID)
		require.Error(t, err)
		require.False(t, isCancel(err), "a refused connection is temporary")
		require.Equal(t, comms.EmailRetrying, h.email(t, e.ID).Status)

		require.NoError(t, h.box.Deliver(t.Context(), e.ID), "the server is back")
		require.Len(t, h.smtp.Messages(), 1)
		require.NoError(t, h.box.Deliver(t.Context(), e.ID))
		require.Len(t, h.smtp.Messages(), 1, "exactly once")
	})
}

func TestOutboxRefusesHeaderInjectionAndKeepsDevMail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, true)
		for name, e := range map[string]*comms.Email{
			"subject": {DedupeKey: "a", To: "x@example.com", Subject: "Hi\r\nBcc: everyone@example.com", Text: "x"},
			"to":      {DedupeKey: "b", To: "x@example.com\nBcc: y@example.com", Subject: "Hi", Text: "x"},
			"reply":   {DedupeKey: "c", To: "x@example.com", ReplyTo: "a@b\r\nX: y", Subject: "Hi", Text: "x"},
		} {
			err := h.db.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
				_, err := h.box.Queue(ctx, tx, e)
				return err
			})
			require.Error(t, err, name)
		}
		n, err := h.db.NewSelect().Model((*comms.Email)(nil)).Count(t.Context())
		require.NoError(t, err)
		require.Zero(t, n, "nothing stored")

		// Without SMTP the email stays in the dev outbox, never sent.
		e := update("update:u4:dee@example.com", "dee@example.com")
		require.True(t, h.queue(t, e))
		require.Empty(t, h.jobs)
		require.NoError(t, h.box.Deliver(t.Context(), e.ID))
		require.Equal(t, comms.EmailOutbox, h.email(t, e.ID).Status)
		require.Empty(t, h.smtp.Messages())
	})
}

func isCancel(err error) bool {
	var c *river.JobCancelError
	return errors.As(err, &c)
}
