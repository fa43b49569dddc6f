package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A published update reaches an affected customer's contact through the
// real job queue and SMTP, once, even when the server first answers 451.
func TestUpdateEmailsGoOutThroughRiver(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			srv := mailtest.Start(t)
			var refused int
			srv.Refuse(func(string) error {
				if refused++; refused == 1 {
					return mailtest.Temporary()
				}
				return nil
			})
			a := startAppWith(t, d, false, appOptions{tick: time.Second},
				"HERALD_SMTP_URL", fmt.Sprintf("smtp://%s?tls=none", srv.Addr), "HERALD_MAIL_FROM", "Status <status@status.example>")
			ctx := context.Background()
			p := statustest.Page(t, a.svc, &statustest.PageOpts{Name: "Shop"})
			cu := statustest.Customer(t, a.svc, &statustest.CustomerOpts{Name: "Acme",
				Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary}}})
			inc := statustest.Incident(t, a.svc, p.ID, &statustest.IncidentOpts{Title: "Checkout down",
				Visibility: status.VisibilityCustomers, Customers: []string{cu.ID}})
			_, err := a.svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, Body: "Fix deployed."})
			require.NoError(t, err)

			// Both updates reach the contact (the customer is linked in
			// the declaration's transaction), one after a 451.
			require.Eventually(t, func() bool {
				n, err := a.db.NewSelect().Model((*comms.Email)(nil)).Where("status = ?", comms.EmailSent).Count(ctx)
				return err == nil && n == 2
			}, 30*time.Second, 100*time.Millisecond, "delivered through the queue")
			msgs := srv.Messages()
			require.Len(t, msgs, 2)
			var bodies []string
			for _, m := range msgs {
				require.Equal(t, []string{"wile@acme.example"}, m.To)
				r, err := mail.CreateReader(bytes.NewReader(m.Data))
				require.NoError(t, err)
				subj, err := r.Header.Subject()
				require.NoError(t, err)
				require.Equal(t, "[Shop] Checkout down — Investigating", subj)
				require.Empty(t, r.Header.Get("User-Agent"))
				bodies = append(bodies, string(m.Data))
			}
			require.True(t, strings.Contains(strings.Join(bodies, ""), "Fix deployed."))
			var attempts int
			require.NoError(t, a.db.NewSelect().Model((*comms.Email)(nil)).ColumnExpr("sum(attempts)").Scan(ctx, &attempts))
			require.Equal(t, 3, attempts, "the 451 was retried")
			time.Sleep(2 * time.Second)
			require.Len(t, srv.Messages(), 2, "and each sent once")
		})
	}
}
