package status

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// ConsoleLocation is where people read the times that belong to no page
// (the inbox, intake items and what is said of them, stored email, the
// audit log, users, tokens, the outbox): Options.ConsoleTimeZone when set
// (HERALD_CONSOLE_TIME_ZONE), else the oldest page's zone (the only
// page's, when there is one), else UTC. Times of an incident or
// maintenance are read in their page's zone.
func (s *core) ConsoleLocation(ctx context.Context) (*time.Location, error) {
	return consoleLocation(ctx, s.db, s.consoleZone)
}

func consoleLocation(ctx context.Context, db bun.IDB, set string) (*time.Location, error) {
	if set != "" {
		return (&Page{TimeZone: set}).Location(), nil
	}
	var pages []*Page
	err := db.NewSelect().Model(&pages).Column("id", "time_zone").Order("created_at", "id").Limit(1).Scan(ctx)
	if err != nil {
		return time.UTC, fmt.Errorf("find the oldest page's time zone: %w", err)
	}
	if len(pages) == 0 {
		return time.UTC, nil
	}
	return pages[0].Location(), nil
}

// ConsoleLocation is Service.ConsoleLocation read inside the transaction.
func (t *Tx) ConsoleLocation(ctx context.Context) (*time.Location, error) {
	return consoleLocation(ctx, t.Tx, t.s.consoleZone)
}
