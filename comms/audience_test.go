package comms_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Subscribers of the affected components get the update with their own
// manage and unsubscribe links; one whose server refuses for good three
// times is bounced and mailed no more.
func TestUpdatesReachSubscribersUntilTheyBounce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		ctx := t.Context()
		smtp := mailtest.Start(t)
		var fanouts []comms.FanOutArgs
		svc := status.New(bdb, status.Options{Notifier: &comms.Notifier{Jobs: &statustest.Jobs{Queued: func(args river.JobArgs, _ *river.InsertOpts) error {
			fanouts = append(fanouts, args.(comms.FanOutArgs))
			return nil
		}}}})
		base, _ := url.Parse("https://herald.example.org")
		box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "Status <status@herald.example.org>",
			Mailer: comms.NewSMTPMailer(comms.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: comms.TLSNone}, comms.MailerOptions{Timeout: 5 * time.Second}),
			Jobs:   &statustest.Jobs{}})
		subs := comms.NewSubscribers(bdb, svc, box, comms.NewTokens([]byte("test secret, long enough to sign")), base)
		box.OnDelivered(subs.Delivered)
		f := &comms.FanOut{Service: svc, Outbox: box, Audience: subs.Audience(base)}

		p := statustest.Page(t, svc, &statustest.PageOpts{Name: "Shop", Slug: "shop"})
		api := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		web := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "Website"})
		_, err := subs.Add(ctx, p.ID, "all@example.net", comms.Subscription{Scope: comms.ScopeAll}, comms.AddedByAdmin)
		require.NoError(t, err)
		_, err = subs.Add(ctx, p.ID, "api@example.net", comms.Subscription{Scope: comms.ScopeComponents, ComponentIDs: []string{api.ID}}, comms.AddedByAdmin)
		require.NoError(t, err)
		_, err = subs.Add(ctx, p.ID, "web@example.net", comms.Subscription{Scope: comms.ScopeComponents, ComponentIDs: []string{web.ID}}, comms.AddedByAdmin)
		require.NoError(t, err)
		smtp.Refuse(func(rcpt string) error {
			if rcpt == "all@example.net" {
				return mailtest.Permanent()
			}
			return nil
		})

		deliverAll := func() {
			t.Helper()
			for _, a := range fanouts {
				require.NoError(t, f.Run(ctx, a))
			}
			fanouts = nil
			var es []*comms.Email
			require.NoError(t, bdb.NewSelect().Model(&es).Where("status = ?", comms.EmailQueued).Scan(ctx))
			for _, e := range es {
				_ = box.Deliver(ctx, e.ID)
			}
		}
		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "API errors",
			Components: []status.ComponentStatusInput{{ComponentID: api.ID, Status: status.PartialOutage}}})
		deliverAll()
		for range 3 {
			_, err := svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Body: "Still on it."})
			require.NoError(t, err)
			deliverAll()
		}
		to := map[string]int{}
		for _, m := range smtp.Messages() {
			to[m.To[0]]++
			if m.To[0] == "api@example.net" {
				require.Contains(t, string(m.Data), "https://herald.example.org/p/shop/unsubscribe/")
				require.Contains(t, string(m.Data), "https://herald.example.org/p/shop/manage/")
			}
		}
		require.Equal(t, map[string]int{"api@example.net": 4}, to, "the website's subscriber hears nothing of the API")
		var st comms.SubscriberState
		require.NoError(t, bdb.NewSelect().Model((*comms.Subscriber)(nil)).Column("state").Where("email = ?", "all@example.net").Scan(ctx, &st))
		require.Equal(t, comms.SubscriberBounced, st, "three permanent failures in a row")
		queued, err := bdb.NewSelect().Model((*comms.Email)(nil)).Where("to_addr = ?", "all@example.net").Count(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 3, queued, "a bounced subscriber is mailed no more")
	})
}
