package comms_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Run with:
//
//	go test ./comms -run '^$' -bench 'SendLoop|Deliver' -benchtime 2000x
//	go test ./comms -run '^$' -bench FanOut -benchtime 1x
//
// BenchmarkSendLoop is the baseline: a bare go-mail loop on one connection.
// BenchmarkDeliver sends the same number of queued emails through the
// outbox (claim, compose, send, record) with one worker on one connection,
// and with four on four. BenchmarkFanOut writes the emails of one update
// to 10,000 subscribers and reports the peak heap it needed.

func BenchmarkSendLoop(b *testing.B) {
	srv := mailtest.Start(b)
	b.ReportMetric(mailtest.SendLoop(b, srv, b.N), "emails/s")
}

func BenchmarkDeliver(b *testing.B) {
	for _, workers := range []int{1, 4} {
		for _, d := range dbtest.Dialects {
			b.Run(fmt.Sprintf("%s/workers=%d", d, workers), func(b *testing.B) {
				bdb := dbtest.Open(b, d)
				srv := mailtest.Start(b)
				box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "status@status.example",
					Mailer: comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSNone},
						comms.MailerOptions{Connections: workers}),
					Jobs: &statustest.Jobs{}})
				ids := make([]string, b.N)
				err := bdb.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
					for i := range b.N {
						e := &comms.Email{DedupeKey: fmt.Sprintf("bench:%d", i), Kind: "bench", To: fmt.Sprintf("sub%05d@example.net", i),
							Subject: "[Shop] Checkout down — Investigating", Text: "We are investigating.", HTML: "<p>We are investigating.</p>"}
						if _, err := box.Queue(ctx, tx, e); err != nil {
							return err
						}
						ids[i] = e.ID
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				b.ResetTimer()
				var wg sync.WaitGroup
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := next.Add(1) - 1
							if i >= int64(len(ids)) {
								return
							}
							if err := box.Deliver(context.Background(), ids[i]); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "emails/s")
				if got := len(srv.Messages()); got != b.N {
					b.Fatalf("delivered %d of %d", got, b.N)
				}
			})
		}
	}
}

func BenchmarkFanOut(b *testing.B) {
	const subscribers = 10000
	for _, d := range dbtest.Dialects {
		b.Run(d, func(b *testing.B) {
			bdb := dbtest.Open(b, d)
			svc := status.New(bdb, status.Options{})
			box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "status@status.example"})
			p := statustest.Page(b, svc, nil)
			calls := 0
			f := &comms.FanOut{Service: svc, Outbox: box, Audience: fakeAudience(subscribers, &calls)}
			stop := statustest.WatchHeap()
			b.ResetTimer()
			for range b.N {
				inc := statustest.Incident(b, svc, p.ID, nil)
				if err := f.Run(context.Background(), comms.FanOutArgs{PageID: p.ID, IncidentID: inc.ID, UpdateID: inc.Updates[0].ID}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			peak := stop()
			b.ReportMetric(float64(subscribers*b.N)/b.Elapsed().Seconds(), "emails/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
