package inbound

import (
	"context"
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
