package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

// BenchmarkAlertIngestion posts 10,000 Alertmanager alerts in 100
// deliveries of 100 (one group each, all mapped to one component by a
// rule, so they gather in one inbox item) to
// Herald's hook from 4 senders, and then the same 10,000 again (re-sent:
// each updates its alert). Each run first times the same deliveries
// against a Fiber handler with Herald's server settings that only parses
// the JSON, and reports Herald's rates as ratios of it ("x-parse-only").
//
//	go test ./cmd/herald -run '^$' -bench AlertIngestion -benchtime 1x
func BenchmarkAlertIngestion(b *testing.B) {
	const deliveries, perDelivery, senders = 100, 100, 4
	for _, d := range dbtest.Dialects {
		b.Run(d, func(b *testing.B) {
			a := startAppWith(b, d, false, appOptions{tick: time.Hour})
			ctx := context.Background()
			p := statustest.Page(b, a.svc, &statustest.PageOpts{Name: "Shop"})
			comp := statustest.Component(b, a.svc, p.ID, &statustest.ComponentOpts{Name: "Checkout"})
			if _, err := a.alerts.AddRule(ctx, alerts.RuleInput{Matchers: `service="checkout"`, ComponentID: comp.ID}); err != nil {
				b.Fatal(err)
			}
			token, err := a.alerts.NewToken(ctx, "alertmanager")
			if err != nil {
				b.Fatal(err)
			}
			parseOnly := parseOnlyServer(b)

			var newRates, resentRates, newRatios, resentRatios []float64
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				payloads := alertPayloads(i, deliveries, perDelivery)
				base := postAll(b, parseOnly, "", payloads, senders)
				b.StartTimer()
				first := postAll(b, a.URL+"/hooks/alertmanager", token, payloads, senders)
				again := postAll(b, a.URL+"/hooks/alertmanager", token, payloads, senders)
				b.StopTimer()
				n := float64(deliveries * perDelivery)
				newRates, resentRates = append(newRates, n/first.Seconds()), append(resentRates, n/again.Seconds())
				newRatios, resentRatios = append(newRatios, base.Seconds()/first.Seconds()), append(resentRatios, base.Seconds()/again.Seconds())
				var stored int
				if err := a.db.NewSelect().Model((*alerts.Record)(nil)).ColumnExpr("count(*)").Scan(ctx, &stored); err != nil {
					b.Fatal(err)
				}
				if want := deliveries * perDelivery * (i + 1); stored != want {
					b.Fatalf("%d alerts stored, want %d", stored, want)
				}
				items, err := a.svc.Intake.OpenCount(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if items != 1 {
					b.Fatalf("%d open items, want 1: every alert maps to the same component within the window", items)
				}
				b.StartTimer()
			}
			b.ReportMetric(mean(newRates), "new-alerts/s")
			b.ReportMetric(mean(newRatios), "new-x-parse-only")
			b.ReportMetric(mean(resentRates), "resent-alerts/s")
			b.ReportMetric(mean(resentRatios), "resent-x-parse-only")
		})
	}
}

// parseOnlyServer serves a Fiber app with Herald's server settings whose
// one handler parses an Alertmanager payload and answers with the count.
func parseOnlyServer(b *testing.B) string {
	b.Helper()
	app := fiber.New(fiber.Config{Immutable: true, ReadTimeout: web.ReadTimeout, WriteTimeout: web.WriteTimeout,
		IdleTimeout: web.IdleTimeout, ReadBufferSize: 16 * 1024, BodyLimit: 1 << 20, DisableStartupMessage: true})
	app.Post("/hooks/alertmanager", func(c *fiber.Ctx) error {
		batch, err := alerts.ParseAlertmanager(c.Body())
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, err.Error())
		}
		return c.JSON(map[string]int{"alerts": len(batch)})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	b.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String() + "/hooks/alertmanager"
}

// alertPayloads builds n Alertmanager deliveries of per alerts each, one
// group a delivery; run keeps the fingerprints of each run apart.
func alertPayloads(run, n, per int) [][]byte {
	out := make([][]byte, n)
	for g := range n {
		var list []string
		for i := range per {
			list = append(list, fmt.Sprintf(`{"status": "firing", "labels": {"alertname": "CheckoutErrors", "service": "checkout",
  "severity": "warning", "instance": "web%d-%d", "group": "g%d"}, "annotations": {"summary": "Checkout fails on web%d-%d",
  "description": "5xx above 5%% for 5 minutes."}, "startsAt": "2026-11-24T12:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
  "generatorURL": "http://prometheus.example:9090/graph?g0.expr=checkout", "fingerprint": "r%dg%di%d"}`, g, i, g, g, i, run, g, i))
		}
		out[g] = fmt.Appendf(nil, `{"version": "4", "groupKey": "{}:{group=\"r%dg%d\"}", "status": "firing", "receiver": "herald",
  "groupLabels": {"group": "g%d"}, "commonLabels": {"alertname": "CheckoutErrors"}, "commonAnnotations": {},
  "externalURL": "http://alertmanager.example:9093", "alerts": [%s]}`, run, g, g, strings.Join(list, ","))
	}
	return out
}

// postAll sends the payloads from senders goroutines and returns how long
// all took; any answer but 200 fails the benchmark.
func postAll(b *testing.B, url, token string, payloads [][]byte, senders int) time.Duration {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	defer client.CloseIdleConnections()
	next := make(chan []byte)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failure error
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range next {
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				if err == nil {
					req.Header.Set("Content-Type", "application/json")
					if token != "" {
						req.Header.Set("Authorization", "Bearer "+token)
					}
					var resp *http.Response
					if resp, err = client.Do(req); err == nil {
						msg, _ := io.ReadAll(resp.Body)
						_ = resp.Body.Close() // read above; the status says the rest
						if resp.StatusCode != http.StatusOK {
							err = fmt.Errorf("%s: %d %s", url, resp.StatusCode, msg)
						}
					}
				}
				if err != nil {
					mu.Lock()
					failure = err
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range payloads {
		next <- p
	}
	close(next)
	wg.Wait()
	if failure != nil {
		b.Fatal(failure)
	}
	return time.Since(start)
}
