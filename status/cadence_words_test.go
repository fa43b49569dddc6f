package status_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

// An internal incident still owes the ticket its 30-minute status, so its
// regular update is an internal one; customers-only and public incidents
// owe their customers a customer update.
func TestCadenceWordsFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		vis                                 status.Visibility
		update, next, updates, due, overdue string
	}{
		{status.VisibilityInternal, "internal update", "Next internal update", "Internal updates", "Internal update due",
			"Internal update overdue (the ticket needs its 30-minute status)"},
		{status.VisibilityCustomers, "customer update", "Next customer update", "Customer updates", "Customer update due",
			"Customer update overdue"},
		{status.VisibilityPublic, "customer update", "Next customer update", "Customer updates", "Customer update due",
			"Customer update overdue"},
		{"", "customer update", "Next customer update", "Customer updates", "Customer update due", "Customer update overdue"},
		{"everyone", "customer update", "Next customer update", "Customer updates", "Customer update due", "Customer update overdue"},
	} {
		t.Run(string(tc.vis), func(t *testing.T) {
			w := status.CadenceWordsFor(tc.vis)
			require.Equal(t, status.CadenceWords{Update: tc.update, Next: tc.next, Updates: tc.updates, Due: tc.due, Overdue: tc.overdue}, w)
		})
	}
}

// The exported timeline heads an internal incident's updates as internal
// ones, the others' as customer updates.
func TestTimelineMarkdownNamesUpdatesByAudience(t *testing.T) {
	t.Parallel()
	for vis, heading := range map[status.Visibility]string{status.VisibilityInternal: "## Internal updates",
		status.VisibilityCustomers: "## Customer updates", status.VisibilityPublic: "## Customer updates"} {
		inc := &status.Incident{Title: "Disk full", Visibility: vis, Updates: []*status.IncidentUpdate{{Body: "Looking."}}}
		md := status.TimelineMarkdown(inc, nil, nil, nil, time.UTC)
		require.Contains(t, md, "\n"+heading+"\n", vis)
		require.Equal(t, 1, strings.Count(md, " updates\n"), vis)
	}
}
