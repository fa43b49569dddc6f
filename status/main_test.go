package status_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// epoch is where every test's clock starts: a whole second, so times survive
// both databases unchanged.
var epoch = time.Date(2026, time.March, 10, 12, 0, 0, 0, time.UTC)

type testBundle struct {
	ctx   context.Context
	db    *bun.DB
	svc   *status.Service
	clock *statustest.Clock
}

func setup(t *testing.T, bdb *bun.DB) *testBundle {
	t.Helper()
	clock := statustest.NewClock(epoch)
	return &testBundle{ctx: t.Context(), db: bdb, clock: clock, svc: status.New(bdb, status.Options{Now: clock.Now})}
}

// requireKind asserts that err is a *status.Error of the given kind.
func requireKind(t *testing.T, err error, kind status.Kind) {
	t.Helper()
	require.Error(t, err)
	var e *status.Error
	require.True(t, errors.As(err, &e), "want a *status.Error, got %T: %v", err, err)
	require.Equal(t, kind, e.Kind, "error: %v", err)
}

// requireKindError is requireKind for callers that look further into
// the error: it returns the *status.Error.
func requireKindError(t *testing.T, err error, kind status.Kind) *status.Error {
	t.Helper()
	requireKind(t, err, kind)
	var e *status.Error
	errors.As(err, &e)
	return e
}

// requireField asserts that err is a *status.Error of the given kind that
// names field.
func requireField(t *testing.T, err error, kind status.Kind, field string) {
	t.Helper()
	e := requireKindError(t, err, kind)
	require.Contains(t, e.Fields, field, "error: %v", err)
}

// requireTime asserts that got is the same instant as want.
func requireTime(t *testing.T, want time.Time, got time.Time, msg ...string) {
	t.Helper()
	require.True(t, want.Equal(got), "want %s, got %s %v", want.UTC(), got.UTC(), msg)
}

// requireTimePtr asserts that got is set and the same instant as want.
func requireTimePtr(t *testing.T, want time.Time, got *time.Time) {
	t.Helper()
	require.NotNil(t, got, "want %s, got nil", want.UTC())
	requireTime(t, want, *got)
}

// history returns a component's status history, oldest first.
func history(t *testing.T, bdb *bun.DB, componentID string) []status.StatusChange {
	t.Helper()
	var hs []status.StatusChange
	require.NoError(t, bdb.NewSelect().Model(&hs).Where("component_id = ?", componentID).
		Order("changed_at", "id").Scan(t.Context()))
	return hs
}

// statuses returns the statuses of a history, in order.
func statuses(hs []status.StatusChange) []status.ComponentStatus {
	out := make([]status.ComponentStatus, len(hs))
	for i, h := range hs {
		out[i] = h.Status
	}
	return out
}

// componentStatus reloads a component and returns its status.
func componentStatus(t *testing.T, b *testBundle, pageID, id string) status.ComponentStatus {
	t.Helper()
	c, err := b.svc.Pages.ComponentByID(b.ctx, pageID, id)
	require.NoError(t, err)
	return c.Status
}

func TestErrors(t *testing.T) {
	t.Parallel()
	t.Run("KindOf finds a wrapped error", func(t *testing.T) {
		err := fmt.Errorf("outer: %w", status.Errorf(status.KindConflict, "taken"))
		require.Equal(t, status.KindConflict, status.KindOf(err))
		require.Equal(t, "taken", status.Message(err))
	})
	t.Run("plain errors are internal and have no safe message", func(t *testing.T) {
		err := errors.New("pq: secret detail")
		require.Equal(t, status.KindInternal, status.KindOf(err))
		require.Empty(t, status.Message(err))
		require.Empty(t, status.Message(&status.Error{Kind: status.KindInternal, Message: "secret"}))
	})
	t.Run("FieldErrors keeps the first message per field", func(t *testing.T) {
		f := status.FieldErrors{}
		require.NoError(t, f.Err())
		f.Add("name", "is required")
		f.Add("name", "is too long")
		err := f.Err()
		e := requireKindError(t, err, status.KindInvalid)
		require.Equal(t, map[string]string{"name": "is required"}, e.Fields)
		require.Contains(t, err.Error(), "is required")
	})
}

func TestIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := status.NewID()
		require.Len(t, id, 12)
		require.True(t, status.ValidID(id), id)
		require.False(t, seen[id], "duplicate id %s", id)
		seen[id] = true
	}
	for _, bad := range []string{"", "ABC", "a-b", "../etc/passwd", "a b", "x\x00", "é", strings.Repeat("a", 41)} {
		require.False(t, status.ValidID(bad), "%q", bad)
	}
}
