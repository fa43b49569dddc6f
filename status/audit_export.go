package status

import (
	"context"

	"github.com/uptrace/bun"
)

// Audit writes c to the audit log inside tx on behalf of the context's
// actor, at the service clock's time, so that packages outside status
// (comms) record their admins' changes in the same log and the same
// transaction as the change.
func (s *Service) Audit(ctx context.Context, tx bun.IDB, c Change) error {
	return audit(ctx, tx, s.Now(), c)
}
