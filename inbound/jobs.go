package inbound

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// RouteArgs asks for one stored message to be routed.
type RouteArgs struct {
	MessageID string `json:"message_id"`
}

// Kind is the job's stable name.
func (RouteArgs) Kind() string { return "inbound.route" }

// RouteWorker routes stored messages.
type RouteWorker struct {
	river.WorkerDefaults[RouteArgs]
	Router *Router
}

// Work routes one message.
func (w *RouteWorker) Work(ctx context.Context, job *river.Job[RouteArgs]) error {
	return w.Router.Route(ctx, job.Args.MessageID)
}

// routeTimeout bounds routing one message: parsing it (at most 25 MiB)
// and a few queries and one transaction.
const routeTimeout = 30 * time.Second

// Timeout is how long routing one message may take.
func (*RouteWorker) Timeout(*river.Job[RouteArgs]) time.Duration { return routeTimeout }

// Register adds the worker of inbound's job, routing stored messages, to
// ws.
func (r *Router) Register(ws *river.Workers) error {
	if err := river.AddWorkerSafely(ws, &RouteWorker{Router: r}); err != nil {
		return fmt.Errorf("register inbound jobs: %w", err)
	}
	return nil
}
