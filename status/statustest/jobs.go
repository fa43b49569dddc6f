package statustest

import (
	"context"
	"database/sql"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/herald-status/herald/status"
)

// Jobs is a status.JobQueue that queues nothing: it hands each job to
// Queued, when set, and keeps the jobs' arguments. It is safe for
// concurrent use.
type Jobs struct {
	// Queued sees each job as it is queued; its error fails the insert.
	Queued func(args river.JobArgs, opts *river.InsertOpts) error

	mu   sync.Mutex
	args []river.JobArgs
}

var _ status.JobQueue = (*Jobs)(nil)

// InsertTx hands one job to Queued.
func (j *Jobs) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if j.Queued != nil {
		if err := j.Queued(args, opts); err != nil {
			return nil, err
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.args = append(j.args, args)
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{Kind: args.Kind()}}, nil
}

// InsertManyTx hands each job to Queued.
func (j *Jobs) InsertManyTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	out := make([]*rivertype.JobInsertResult, 0, len(params))
	for _, p := range params {
		r, err := j.InsertTx(ctx, tx, p.Args, p.InsertOpts)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Args returns the arguments of the jobs queued so far.
func (j *Jobs) Args() []river.JobArgs {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]river.JobArgs(nil), j.args...)
}

// Notifier is a status.Notifier for tests: Dismissed and Undone, when
// set, hear of dismissed intake items and of dismissals undone, and Desk
// is where dismissals forward items; everything else is heard by nobody.
type Notifier struct {
	status.NopNotifier
	Dismissed func(item *status.IntakeItem) (status.Forwarding, error)
	Undone    func(item *status.IntakeItem) error
	Desk      status.Forwarding
}

// IntakeDismissed calls Dismissed.
func (n *Notifier) IntakeDismissed(_ context.Context, _ *status.Tx, item *status.IntakeItem) (status.Forwarding, error) {
	if n.Dismissed == nil {
		return status.Forwarding{}, nil
	}
	return n.Dismissed(item)
}

// IntakeDismissalUndone calls Undone.
func (n *Notifier) IntakeDismissalUndone(_ context.Context, _ *status.Tx, item *status.IntakeItem) error {
	if n.Undone == nil {
		return nil
	}
	return n.Undone(item)
}

// DismissalForwarding returns Desk.
func (n *Notifier) DismissalForwarding() status.Forwarding { return n.Desk }
