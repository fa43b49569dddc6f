package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// BenchmarkUpdateToSubscribers measures the whole way of one update to
// 10,000 confirmed subscribers: publishing it, the fan-out job, one River
// job and one delivery row per recipient, and SMTP to a local sink. Each
// run first times a bare go-mail send loop of the same number of emails
// against the same sink, and reports the pipeline's rate as a ratio of it
// ("x-bare-loop") next to the peak heap. HERALD_SMTP_CONNECTIONS in the
// environment sets Herald's connections (default 4).
//
//	go test ./cmd/herald -run '^$' -bench UpdateToSubscribers -benchtime 1x
func BenchmarkUpdateToSubscribers(b *testing.B) {
	const subscribers = 10000
	for _, d := range dbtest.Dialects {
		b.Run(d, func(b *testing.B) {
			srv := mailtest.Start(b)
			srv.CountOnly()
			a := startAppWith(b, d, false, appOptions{tick: time.Hour},
				"HERALD_SMTP_URL", fmt.Sprintf("smtp://%s?tls=none", srv.Addr), "HERALD_MAIL_FROM", "Status <status@status.example>",
				"HERALD_SMTP_CONNECTIONS", cmp.Or(os.Getenv("HERALD_SMTP_CONNECTIONS"), "4"))
			ctx := context.Background()
			p := statustest.Page(b, a.svc, &statustest.PageOpts{Name: "Shop"})
			addSubscribers(b, a, p.ID, subscribers)
			inc := statustest.Incident(b, a.svc, p.ID, &statustest.IncidentOpts{Title: "Checkout down", Notify: new(bool)})

			var rates, ratios []float64
			var peak uint64
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				bare := mailtest.SendLoop(b, srv, subscribers)
				srv.Reset()
				stop := statustest.WatchHeap()
				b.StartTimer()

				start := time.Now()
				_, err := a.svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress,
					Body: fmt.Sprintf("Update %d.", i)})
				if err != nil {
					b.Fatal(err)
				}
				for srv.Count() < subscribers {
					if time.Since(start) > 5*time.Minute {
						b.Fatalf("%d of %d emails after 5 minutes", srv.Count(), subscribers)
					}
					time.Sleep(5 * time.Millisecond)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				peak = max(peak, stop())
				rate := subscribers / elapsed.Seconds()
				rates, ratios = append(rates, rate), append(ratios, rate/bare)
				var sent int
				if err := a.db.NewSelect().Model((*comms.Email)(nil)).ColumnExpr("count(*)").
					Where("status = ?", comms.EmailSent).Scan(ctx, &sent); err != nil {
					b.Fatal(err)
				}
				if want := subscribers * (i + 1); sent < want-8 { // the last few may still be recording
					b.Fatalf("%d emails recorded as sent, want %d", sent, want)
				}
				srv.Reset()
				b.StartTimer()
			}
			b.ReportMetric(mean(rates), "emails/s")
			b.ReportMetric(mean(ratios), "x-bare-loop")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// addSubscribers adds n confirmed subscribers of all components to a page,
// straight into the table.
func addSubscribers(b *testing.B, a *testApp, pageID string, n int) {
	b.Helper()
	now := time.Now().UTC()
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		subs := make([]comms.Subscriber, 0, batch)
		for i := lo; i < min(n, lo+batch); i++ {
			subs = append(subs, comms.Subscriber{ID: status.NewID(), PageID: pageID, Email: fmt.Sprintf("sub%05d@example.net", i),
				State: comms.SubscriberConfirmed, Scope: comms.ScopeAll, AddedBy: comms.AddedByImport,
				ConfirmedAt: &now, CreatedAt: now, UpdatedAt: now})
		}
		if _, err := a.db.NewInsert().Model(&subs).Exec(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
