package inbound

import (
	"context"

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
