package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

func init() {
	allowConsole(map[string]string{
		"POST /console/pages/:page/incidents/:id/timeline/:entry/confirm": "writer",
	})
}

// A customer's email on the timeline confirms the services are back in one
// click, and the close form starts from it.
func TestConsoleConfirmFromCustomerEmail(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "API errors"})
		require.NoError(t, b.svc.InTx(b.ctx, func(ctx context.Context, tx *status.Tx) error {
			return tx.AddCustomerMessage(ctx, p.ID, inc.ID, status.CustomerMessage{From: "Wile <wile@acme.example>",
				Title: "Re: API errors", Text: "Works again, thanks!", At: b.clock.Now()})
		}))
		tl, err := b.svc.Incidents.Timeline(b.ctx, p.ID, inc.ID)
		require.NoError(t, err)
		var entry, declared string
		for _, e := range tl {
			if e.Kind == status.TimelineCustomer {
				entry = e.ID
			} else {
				declared = e.ID
			}
		}
		loc := "/console/pages/" + p.ID + "/incidents/" + inc.ID
		br := customerBrowser(t, b, status.RoleEngineer)
		page := br.send(http.MethodGet, loc, nil)
		require.Equal(t, http.StatusOK, page.Code)
		tok := csrfOf(t, page)
		require.Contains(t, page.String(), loc+"/timeline/"+entry+"/confirm", "the customer's email offers the one click")
		require.NotContains(t, page.String(), loc+"/timeline/"+declared+"/confirm")

		r := br.postWith(loc+"/timeline/"+declared+"/confirm", tok, url.Values{})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code, "only a customer's message confirms")
		require.Contains(t, r.String(), "Only a customer")
		require.Equal(t, http.StatusNotFound, br.postWith(loc+"/timeline/zzzzzzzzzzzz/confirm", tok, url.Values{}).Code)
		r = br.postWith(loc+"/timeline/"+entry+"/confirm", tok, url.Values{})
		require.Equal(t, http.StatusOK, r.Code, "the one click asks first")
		require.Contains(t, r.String(), "Record that the services are back?")
		require.Contains(t, r.String(), `value="Wile &lt;wile@acme.example&gt;"`, "the name comes from the sender")
		require.Contains(t, r.String(), "Works again, thanks!", "the message is quoted")
		page = br.send(http.MethodGet, loc, nil)
		require.NotContains(t, page.String(), "Services confirmed back", "nothing is recorded before the answer")
		r = br.postWith(loc+"/timeline/"+entry+"/confirm", tok, url.Values{"confirm": {"yes"}, "confirmed_by": {""}, "confirmation_method": {"email"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "Record that the services are back?", "the question stays, with the error")
		r = br.postWith(loc+"/timeline/"+entry+"/confirm", tok, url.Values{"confirm": {"yes"}, "confirmed_by": {"Wile <wile@acme.example>"},
			"confirmation_method": {"email"}})
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		require.Equal(t, loc+"#close-h", r.Header.Get("Location"))
		page = br.send(http.MethodGet, loc, nil)
		require.Contains(t, page.String(), `value="Wile &lt;wile@acme.example&gt;"`, "the close form starts from the confirmation")
		require.Contains(t, page.String(), "Services confirmed back by Wile")
	})
}
