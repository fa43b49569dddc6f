package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
)

// requestConfirmation asks for confirmation that the services are back
// before closing: from the customers first, which this incident has
// none of (refused at the top of the page, the message kept), then from
// Casey, who gets the notice; the close form shows the open request.
func (f *incidentFlow) requestConfirmation(t *testing.T) {
	tb := f.consoleTab(t)
	w := f.w
	require.True(t, eval[bool](t, tb, `document.querySelector('#request-internal').checked`),
		"without customers to ask, the form starts from asking the team")
	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#request-customer"))))
	setField(t, tb, "#request-message", "Do logins work for you again?")
	button := `form[action$="/confirmation-requests"] button[type=submit]`
	require.Equal(t, int64(http.StatusConflict), submit(t, tb, button))
	require.Contains(t, textOf(t, tb, "main > p.error"), "This incident affects no customers", "the refusal shows at the top")
	require.Equal(t, "Do logins work for you again?", eval[string](t, tb, `document.querySelector('#request-message').value`),
		"what was typed is kept")

	require.NoError(t, chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("#request-internal"))))
	setField(t, tb, "#request-user", w.casey.ID)
	require.Equal(t, int64(http.StatusOK), submit(t, tb, button))
	require.Equal(t, "Confirmation requested from Casey <casey@example.com>: they were sent an email notice.",
		textOf(t, tb, "main > p.flash"))
	require.Contains(t, textOf(t, tb, ".confirmation-requests"), "No answer yet.")
	require.Contains(t, timeline(t, tb), "Confirmation that the services are back requested from Casey (team member).")

	es, err := w.a.outbox.Emails(t.Context(), comms.EmailFilter{To: "casey@example.com"})
	require.NoError(t, err)
	require.Len(t, es, 1)
	require.Equal(t, "internal", es[0].Kind)
	require.True(t, strings.Contains(es[0].Text, w.a.cfg.baseURL.String()+"/console/pages/"+w.page.ID+"/incidents/"),
		"the notice links to the incident: %s", es[0].Text)
	tb.requireQuiet(t, "requesting confirmation")
}
