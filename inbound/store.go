package inbound

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound/mime"
	"github.com/herald-status/herald/status"
)

// MessageStatus says what became of a stored message.
type MessageStatus string

// Message statuses: stored and waiting to be routed, made an intake item,
// put on an incident's timeline, understood as a delivery report, or not
// routable (the reason in Problems).
const (
	MessageNew      MessageStatus = "new"
	MessageIntake   MessageStatus = "intake"
	MessageTimeline MessageStatus = "timeline"
	MessageReport   MessageStatus = "report"
	MessageFailed   MessageStatus = "failed"
)

// StoredMessage is one message read from the support mailbox. Its raw
// bytes are kept in chunks (OpenRaw reads them back).
type StoredMessage struct {
	bun.BaseModel `bun:"table:inbound_messages,alias:im"`

	ID          string        `bun:"id,pk"`
	DedupeKey   string        `bun:"dedupe_key"`
	Mailbox     string        `bun:"mailbox"`
	UIDValidity int64         `bun:"uid_validity"`
	UID         int64         `bun:"uid"`
	MessageID   string        `bun:"message_id"`
	ContentHash string        `bun:"content_hash"`
	Size        int64         `bun:"size"`
	TooLarge    bool          `bun:"too_large"`
	FromAddress string        `bun:"from_addr"`
	FromName    string        `bun:"from_name"`
	Subject     string        `bun:"subject"`
	SentAt      *time.Time    `bun:"sent_at"`
	ReceivedAt  time.Time     `bun:"received_at"`
	Status      MessageStatus `bun:"status"`
	Automatic   string        `bun:"automatic"`
	Problems    string        `bun:"problems"` // one per line
	IncidentID  string        `bun:"incident_id"`
	IntakeID    string        `bun:"intake_id"`
}

type messageChunk struct {
	bun.BaseModel `bun:"table:inbound_message_chunks"`

	MessageID string `bun:"message_id,pk"`
	Seq       int    `bun:"seq,pk"`
	Data      []byte `bun:"data"`
}

// chunkSize is the most raw bytes one chunk row holds.
const chunkSize = 1 << 20

// mailboxRow is a mailbox's checkpoint and connection state.
type mailboxRow struct {
	bun.BaseModel `bun:"table:mailboxes,alias:mb"`

	Name          string     `bun:"name,pk"`
	UIDValidity   int64      `bun:"uid_validity"`
	LastUID       int64      `bun:"last_uid"`
	Connected     bool       `bun:"connected"`
	Idle          bool       `bun:"idle"`
	Processed     int64      `bun:"processed"`
	LastMessageAt *time.Time `bun:"last_message_at"`
	LastError     string     `bun:"last_error"`
	LastErrorAt   *time.Time `bun:"last_error_at"`
	UpdatedAt     time.Time  `bun:"updated_at"`
}

// StoreOptions configures a Store.
type StoreOptions struct {
	// Own are Herald's own From addresses ("Herald <status@example.com>"
	// or the bare address): mail from them is automatic, never answered.
	Own []string
	// MaxBytes is the most of a message that is parsed (default 25 MiB);
	// everything read is stored.
	MaxBytes int64
	// Jobs queues the routing of a newly stored message in the
	// transaction that stores it, so it is routed once it is committed.
	// Optional: without it, nothing is routed.
	Jobs status.JobQueue
	Now  func() time.Time
}

// Store keeps the support mailbox's messages and checkpoint in the
// database: it is the Sink the Watcher hands messages to.
type Store struct {
	db *bun.DB
	o  StoreOptions
}

var _ Sink = (*Store)(nil)

// NewStore returns a Store over db.
func NewStore(db *bun.DB, o StoreOptions) *Store {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = mime.DefaultMaxBytes
	}
	own := make([]string, 0, len(o.Own))
	for _, from := range o.Own {
		if a, err := mail.ParseAddress(from); err == nil {
			own = append(own, strings.ToLower(a.Address))
		}
	}
	o.Own = own
	return &Store{db: db, o: o}
}

func (s *Store) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// Checkpoint returns the mailbox's UIDVALIDITY and last processed UID.
func (s *Store) Checkpoint(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, ok bool, err error) {
	row := new(mailboxRow)
	err = s.db.NewSelect().Model(row).Where("name = ?", mailbox).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("load checkpoint of %s: %w", mailbox, err)
	}
	return uint32(row.UIDValidity), uint32(row.LastUID), true, nil
}

// Done advances the mailbox's checkpoint to uid (under uidValidity, which
// replaces a different stored one) and adds read to the messages read.
func (s *Store) Done(ctx context.Context, mailbox string, uidValidity, uid uint32, read int) error {
	now := s.now()
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		row := new(mailboxRow)
		err := tx.NewSelect().Model(row).Where("name = ?", mailbox).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			row = &mailboxRow{Name: mailbox, UIDValidity: int64(uidValidity), LastUID: int64(uid), Processed: int64(read),
				LastMessageAt: &now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return fmt.Errorf("store checkpoint of %s: %w", mailbox, err)
			}
			return nil
		case err != nil:
			return fmt.Errorf("load checkpoint of %s: %w", mailbox, err)
		}
		if row.UIDValidity != int64(uidValidity) {
			row.UIDValidity, row.LastUID = int64(uidValidity), 0
		}
		row.LastUID = max(row.LastUID, int64(uid))
		row.Processed += int64(read)
		row.LastMessageAt, row.UpdatedAt = &now, now
		if _, err := tx.NewUpdate().Model(row).Column("uid_validity", "last_uid", "processed", "last_message_at", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store checkpoint of %s: %w", mailbox, err)
		}
		return nil
	})
}

// Deliver stores a fetched message: its raw bytes in chunks as they
// stream in, then what Parse understood of it, under a dedupe key (its
// Message-ID, or its content hash without one). A message stored before
// is dropped here, so reading a mailbox again adds nothing. A new one has
// its routing queued in the same transaction.
func (s *Store) Deliver(ctx context.Context, m *Fetched) error {
	_, _, err := s.store(ctx, m.Raw, m.Mailbox, m.UIDValidity, m.UID, m.TooLarge)
	return err
}

// Add stores a raw message that did not come through the Watcher (an
// admin's upload, a test). It returns the stored message's id, and false
// when it was stored before.
func (s *Store) Add(ctx context.Context, raw io.Reader) (string, bool, error) {
	return s.store(ctx, raw, "", 0, 0, false)
}

func (s *Store) store(ctx context.Context, raw io.Reader, mailbox string, validity, uid uint32, tooLarge bool) (string, bool, error) {
	id := status.NewID()
	now := s.now()
	var stored bool
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The row comes first, for the chunks' foreign key; its dedupe key is
		// known only once the message is read.
		row := &StoredMessage{ID: id, DedupeKey: "pending:" + id, Mailbox: mailbox, UIDValidity: int64(validity), UID: int64(uid),
			ReceivedAt: now, Status: MessageNew, TooLarge: tooLarge}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return fmt.Errorf("store message: %w", err)
		}
		w := &chunkWriter{ctx: ctx, tx: tx, id: id, hash: sha256.New()}
		msg, err := mime.Parse(io.TeeReader(raw, w), mime.Options{Limits: mime.Limits{MaxBytes: s.o.MaxBytes}, Own: s.o.Own})
		if err != nil {
			return fmt.Errorf("read message: %w", err)
		}
		// Parse stops at its limit: what is left is stored all the same.
		if _, err := io.Copy(w, raw); err != nil {
			return fmt.Errorf("read message: %w", err)
		}
		if err := w.flush(); err != nil {
			return err
		}
		row.ContentHash, row.Size = hex.EncodeToString(w.hash.Sum(nil)), w.total
		row.DedupeKey = "sha256:" + row.ContentHash
		if msg.MessageID != "" {
			row.DedupeKey = "mid:" + msg.MessageID
		}
		exists, err := tx.NewSelect().Model((*StoredMessage)(nil)).Where("dedupe_key = ?", row.DedupeKey).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up message %s: %w", row.DedupeKey, err)
		}
		if exists {
			return errDuplicate
		}
		row.MessageID, row.FromAddress, row.FromName, row.Subject = msg.MessageID, msg.FromAddress, msg.FromName, msg.Subject
		row.TooLarge = tooLarge || msg.Truncated
		row.Automatic, row.Problems = msg.Automatic, strings.Join(msg.Problems, "\n")
		if !msg.Date.IsZero() {
			d := msg.Date.UTC().Truncate(time.Microsecond)
			row.SentAt = &d
		}
		if _, err := tx.NewUpdate().Model(row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("store message %s: %w", row.DedupeKey, err)
		}
		stored = true
		return s.queueRoute(ctx, tx, id)
	})
	if errors.Is(err, errDuplicate) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return id, stored, nil
}

// errDuplicate rolls back the storing of a message stored before.
var errDuplicate = errors.New("message stored before")

// chunkWriter stores what is written to it as chunk rows of chunkSize.
type chunkWriter struct {
	ctx   context.Context
	tx    bun.Tx
	id    string
	buf   []byte
	seq   int
	total int64
	hash  hash.Hash
	err   error
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	w.total += int64(n)
	_, _ = w.hash.Write(p)
	for len(p) > 0 {
		take := min(len(p), chunkSize-len(w.buf))
		w.buf = append(w.buf, p[:take]...)
		p = p[take:]
		if len(w.buf) == chunkSize {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (w *chunkWriter) flush() error {
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	c := &messageChunk{MessageID: w.id, Seq: w.seq, Data: w.buf}
	if _, err := w.tx.NewInsert().Model(c).Exec(w.ctx); err != nil {
		w.err = fmt.Errorf("store message chunk %d: %w", w.seq, err)
		return w.err
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// Message returns a stored message or a KindNotFound error.
func (s *Store) Message(ctx context.Context, id string) (*StoredMessage, error) {
	if !status.ValidID(id) {
		return nil, status.Errorf(status.KindNotFound, "Message not found.")
	}
	m := new(StoredMessage)
	if err := s.db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, status.Errorf(status.KindNotFound, "Message not found.")
		}
		return nil, fmt.Errorf("load message %s: %w", id, err)
	}
	return m, nil
}

// OpenRaw reads a stored message's raw bytes back, one chunk at a time.
func (s *Store) OpenRaw(ctx context.Context, id string) io.Reader {
	return &chunkReader{ctx: ctx, db: s.db, id: id}
}

type chunkReader struct {
	ctx  context.Context
	db   bun.IDB
	id   string
	seq  int
	buf  []byte
	done bool
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		c := new(messageChunk)
		err := r.db.NewSelect().Model(c).Where("message_id = ? AND seq = ?", r.id, r.seq).Scan(r.ctx)
		if errors.Is(err, sql.ErrNoRows) {
			r.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read message %s chunk %d: %w", r.id, r.seq, err)
		}
		r.seq++
		r.buf = c.Data
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// RecordState keeps the watcher's view of a mailbox for the console,
// which may run on another replica. The checkpoint is left alone.
func (s *Store) RecordState(ctx context.Context, mailbox string, st MailboxState) error {
	now := s.now()
	row := &mailboxRow{Name: mailbox, Connected: st.Connected, Idle: st.Idle, LastError: st.LastError, UpdatedAt: now}
	if !st.LastErrorAt.IsZero() {
		at := st.LastErrorAt.UTC().Truncate(time.Microsecond)
		row.LastErrorAt = &at
	}
	res, err := s.db.NewUpdate().Model(row).Column("connected", "idle", "last_error", "last_error_at", "updated_at").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("record state of %s: %w", mailbox, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	// Nothing processed yet: the row starts here. Its checkpoint, UID 0
	// under UIDVALIDITY 0, reads the whole mailbox, as none would.
	row.UIDValidity, row.LastUID = 0, 0
	if _, err := s.db.NewInsert().Model(row).On("CONFLICT (name) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("record state of %s: %w", mailbox, err)
	}
	return nil
}

// MailboxStatus is a watched mailbox as the console shows it.
type MailboxStatus struct {
	Name          string
	Connected     bool
	Idle          bool
	LastUID       uint32
	Processed     int64
	LastMessageAt *time.Time
	LastError     string
	LastErrorAt   *time.Time
	UpdatedAt     time.Time
}

// Mailboxes returns the state of the watched mailboxes.
func (s *Store) Mailboxes(ctx context.Context) ([]MailboxStatus, error) {
	var rows []mailboxRow
	if err := s.db.NewSelect().Model(&rows).Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load mailboxes: %w", err)
	}
	out := make([]MailboxStatus, len(rows))
	for i, r := range rows {
		out[i] = MailboxStatus{Name: r.Name, Connected: r.Connected, Idle: r.Idle, LastUID: uint32(r.LastUID), Processed: r.Processed,
			LastMessageAt: r.LastMessageAt, LastError: r.LastError, LastErrorAt: r.LastErrorAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// queueRoute queues the routing of the stored message id inside tx.
func (s *Store) queueRoute(ctx context.Context, tx bun.Tx, id string) error {
	if s.o.Jobs == nil {
		return nil
	}
	_, err := s.o.Jobs.InsertTx(ctx, tx.Tx, RouteArgs{MessageID: id},
		&river.InsertOpts{MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		return fmt.Errorf("queue routing of message %s: %w", id, err)
	}
	return nil
}

// Original opens a stored message for attaching to an email (a dismissed
// intake item forwarded to the service desk): the whole message, or its
// headers only when it was too large to keep.
func (s *Store) Original(ctx context.Context, ref string) (name, contentType string, r io.Reader, err error) {
	m, err := s.Message(ctx, ref)
	if err != nil {
		return "", "", nil, err
	}
	if m.TooLarge {
		return "original-headers.txt", "text/plain", s.OpenRaw(ctx, ref), nil
	}
	return "original.eml", "message/rfc822", s.OpenRaw(ctx, ref), nil
}
