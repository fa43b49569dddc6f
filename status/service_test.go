package status_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// InTx lets a caller write with status in one transaction: what both
// wrote commits together, or nothing does; errors come back normalised,
// and no page is reported changed.
func TestInTx(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		var changed []string
		clock := statustest.NewClock(epoch)
		svc := status.New(bdb, status.Options{Now: clock.Now})
		svc.OnChanged(func(pageID string) { changed = append(changed, pageID) })
		ctx := t.Context()
		p := statustest.Page(t, svc, nil)
		changed = nil

		// Commit: status's item and the caller's own write are both kept.
		var kept *status.IntakeItem
		require.NoError(t, svc.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
			var err error
			kept, _, err = tx.CreateIntake(ctx, status.IntakeInput{Source: status.IntakePortal, Title: "Kept", Reference: "T-1"})
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, "UPDATE pages SET name = ? WHERE id = ?", "Renamed in the caller's write", p.ID)
			return err
		}))
		got, err := svc.Intake.Item(ctx, kept.ID)
		require.NoError(t, err)
		require.Equal(t, "Kept", got.Title)
		page, err := svc.Pages.ByID(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, "Renamed in the caller's write", page.Name)
		require.Empty(t, changed, "InTx reports no page as changed")

		// Rollback: fn's error undoes both, and comes back as it was.
		var lost *status.IntakeItem
		boom := errors.New("the caller's write failed")
		err = svc.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
			var err error
			lost, _, err = tx.CreateIntake(ctx, status.IntakeInput{Source: status.IntakePortal, Title: "Lost", Reference: "T-2"})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE pages SET name = ? WHERE id = ?", "Never", p.ID); err != nil {
				return err
			}
			return fmt.Errorf("queue: %w", boom)
		})
		require.ErrorIs(t, err, boom)
		_, err = svc.Intake.Item(ctx, lost.ID)
		requireKind(t, err, status.KindNotFound)
		page, err = svc.Pages.ByID(ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, "Renamed in the caller's write", page.Name)

		// Errors are normalised as the service's own.
		err = svc.InTx(ctx, func(context.Context, *status.Tx) error { return fmt.Errorf("load: %w", sql.ErrNoRows) })
		requireKind(t, err, status.KindNotFound)
		err = svc.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
			_, err := tx.NewInsert().Model(&status.IntakeItem{ID: kept.ID, Source: status.IntakePortal, State: status.IntakeOpen,
				Title: "Twice", CustomerMatch: status.MatchUnknown, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}).Exec(ctx)
			return err
		})
		requireKind(t, err, status.KindConflict)
		require.Empty(t, changed)
	})
}
