package web_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
)

// requestConfirmations asks, as the incident commander does before
// closing, every customer of each open incident linked to one to confirm
// that the services are back (each message a marker for that customer),
// and the team member to confirm the open public incident (a marker for
// the team). The internal incident linked to customer A is refused: its
// customers do not see it.
func (w *leakWorld) requestConfirmations(t *testing.T) {
	t.Helper()
	ctx := w.b.ctx
	asker := status.New(w.b.db, status.Options{Now: w.b.svc.Now,
		Notifier: &comms.Notifier{Outbox: w.box, BaseURL: w.base, Tokens: w.tokens}})
	for _, c := range []struct {
		x    string
		cust *status.Customer
		may  []leakAudience
		a    leakAudience
	}{{"a", w.custA, mayA, audienceA}, {"b", w.custB, mayB, audienceB}} {
		for _, id := range w.linked[c.cust.ID] {
			inc, err := asker.Incidents.ByID(ctx, w.page.ID, id)
			require.NoError(t, err)
			in := status.RequestConfirmationInput{Kind: status.ConfirmationCustomer}
			if inc.Visibility == status.VisibilityInternal {
				_, err = asker.Incidents.RequestConfirmation(ctx, w.page.ID, id, in)
				require.Equal(t, status.KindConflict, status.KindOf(err), "the customers of an internal incident are not asked")
				continue
			}
			in.Message = w.mark("confirmation request to customer "+c.x+" about "+inc.Title, "zqconfirmrequest"+c.x+inc.ID+"zq", c.may, c.a)
			_, err = asker.Incidents.RequestConfirmation(ctx, w.page.ID, id, in)
			require.NoError(t, err)
		}
	}
	w.audienceOf[w.user.Email] = audienceTeam
	_, err := asker.Incidents.RequestConfirmation(ctx, w.page.ID, w.incidents[1].ID, status.RequestConfirmationInput{
		Kind: status.ConfirmationInternal, UserID: w.user.ID,
		Message: w.mark("internal confirmation request", "zqconfirmrequestinternalzq", mayTeam)})
	require.NoError(t, err)
}
