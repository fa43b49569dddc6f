package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status"
)

// rescuerInterval is how often River's rescuer looks for stuck jobs (not
// configurable).
const rescuerInterval = 30 * time.Second

// Every job kind has a timeout of its own, no longer than rescueAfter,
// so that the jobs of a dead process are taken up within
// killRecoveryBound: rescued at the rescuer's first look after
// rescueAfter, then run.
func TestJobTimeoutsFitTheRescue(t *testing.T) {
	t.Parallel()
	timeouts := map[string]time.Duration{
		status.TickArgs{}.Kind():             (&status.TickWorker{}).Timeout(nil),
		status.DueArgs{}.Kind():              (&status.DueWorker{}).Timeout(nil),
		comms.WatchArgs{}.Kind():             (&comms.WatchWorker{}).Timeout(nil),
		comms.SendEmailArgs{}.Kind():         (&comms.SendEmailWorker{}).Timeout(nil),
		comms.FanOutArgs{}.Kind():            (&comms.FanOutWorker{}).Timeout(nil),
		comms.MaintenanceFanOutArgs{}.Kind(): (&comms.MaintenanceFanOutWorker{}).Timeout(nil),
		comms.ReplyNoticeArgs{}.Kind():       (&comms.ReplyNoticeWorker{}).Timeout(nil),
		inbound.RouteArgs{}.Kind():           (&inbound.RouteWorker{}).Timeout(nil),
	}
	for kind, d := range timeouts {
		require.Positive(t, d, kind)
		require.LessOrEqual(t, d, rescueAfter, "%s: a longer timeout delays its rescue", kind)
	}
	require.GreaterOrEqual(t, rescueAfter, jobTimeout, "River refuses a rescue before the job timeout")
	require.Less(t, rescueAfter+rescuerInterval, killRecoveryBound)
}
