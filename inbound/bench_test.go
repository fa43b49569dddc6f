package inbound_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// BenchmarkIngest reads 5,000 messages from a local IMAP server into the
// database (stored in chunks, parsed, flagged, checkpointed) and reports
// the rate next to a bare go-imap loop that streams the same mailbox with
// one UID FETCH in the same run ("x-bare-fetch"). The server is the
// in-process one ("memory") and, when installed, a Dovecot of its own.
//
//	go test ./inbound -run '^$' -bench Ingest -benchtime 1x
func BenchmarkIngest(b *testing.B) {
	const n = 5000
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = rawMail(fmt.Sprintf("m%d@acme.example", i), fmt.Sprintf("Mail %d", i), strings.Repeat("We see errors on the API. ", 40))
	}
	servers := []string{"memory"}
	if _, err := os.Stat(dovecotBin); err == nil {
		servers = append(servers, "dovecot")
	}
	for _, server := range servers {
		for _, d := range dbtest.Dialects {
			b.Run(server+"/"+d, func(b *testing.B) {
				benchIngest(b, server, d, raws)
			})
		}
	}
}

func benchIngest(b *testing.B, server, dialect string, raws [][]byte) {
	n := len(raws)
	var rates, ratios []float64
	for range b.N {
		b.StopTimer()
		var opts inbound.WatcherOptions
		var addr, user, pass string
		if server == "dovecot" {
			dc := startDovecot(b)
			dc.appendAll(b, "INBOX", raws)
			opts, addr, user, pass = dc.options(b, "INBOX"), dc.addr(), dc.user, dc.pass
		} else {
			srv := imaptest.Start(b)
			for _, raw := range raws {
				srv.Append(b, "INBOX", raw)
			}
			opts, addr, user, pass = watcherOptions(srv), srv.Addr(), imaptest.DefaultUsername, imaptest.DefaultPassword
		}
		bare := bareFetch(b, addr, user, pass)
		st := inbound.NewStore(dbtest.Open(b, dialect), inbound.StoreOptions{})
		w := inbound.NewWatcher(st, opts)
		b.StartTimer()
		start := time.Now()
		if err := w.Poll(context.Background()); err != nil {
			b.Fatal(err)
		}
		rate := float64(n) / time.Since(start).Seconds()
		b.StopTimer()
		_ = w.Close()
		if st := w.State(); st.Processed != int64(n) {
			b.Fatalf("processed %d of %d", st.Processed, n)
		}
		rates, ratios = append(rates, rate), append(ratios, rate/bare)
		b.StartTimer()
	}
	b.ReportMetric(avg(rates), "msgs/s")
	b.ReportMetric(avg(ratios), "x-bare-fetch")
}

// BenchmarkIngestLarge reads four messages of almost 25 MiB and reports
// the peak heap above the start: messages are streamed into the database,
// never held whole. The mailbox is a Dovecot of its own when one is
// installed, so the figure is Herald's alone; otherwise the in-process
// server, whose buffers count too.
func BenchmarkIngestLarge(b *testing.B) {
	for _, d := range dbtest.Dialects {
		b.Run(d, func(b *testing.B) {
			var peak uint64
			for range b.N {
				b.StopTimer()
				body := strings.Repeat(strings.Repeat("x", 76)+"\r\n", (25<<20-4096)/78)
				var opts inbound.WatcherOptions
				if _, err := os.Stat(dovecotBin); err == nil {
					dc := startDovecot(b)
					for i := range 4 {
						dc.append(b, "INBOX", rawMail(fmt.Sprintf("big%d@acme.example", i), "Logs", body))
					}
					opts = dc.options(b, "INBOX")
				} else {
					srv := imaptest.Start(b)
					for i := range 4 {
						srv.Append(b, "INBOX", rawMail(fmt.Sprintf("big%d@acme.example", i), "Logs", body))
					}
					opts = watcherOptions(srv)
				}
				st := inbound.NewStore(dbtest.Open(b, d), inbound.StoreOptions{})
				w := inbound.NewWatcher(st, opts)
				stop := statustest.WatchHeap()
				b.StartTimer()
				if err := w.Poll(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				top := stop()
				_ = w.Close()
				if st := w.State(); st.Processed != 4 {
					b.Fatalf("processed %d of 4", st.Processed)
				}
				peak = max(peak, top)
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

func watcherOptions(srv *imaptest.Server) inbound.WatcherOptions {
	return inbound.WatcherOptions{Config: inbound.IMAPConfig{Host: srv.Host(), Port: srv.Port(),
		Username: imaptest.DefaultUsername, Password: imaptest.DefaultPassword, TLS: "none", Mailbox: "INBOX"}}
}

// bareFetch streams every message of the mailbox with one UID FETCH and
// returns messages per second: the baseline.
func bareFetch(b *testing.B, addr, user, pass string) float64 {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	c := imapclient.New(conn, nil)
	defer func() { _ = c.Close() }() // the benchmark's own client
	if err := c.Login(user, pass).Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var all imap.UIDSet
	all.AddRange(1, 0)
	cmd := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	n := 0
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			if body, ok := item.(imapclient.FetchItemDataBodySection); ok && body.Literal != nil {
				if _, err := io.Copy(io.Discard, body.Literal); err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
	}
	if err := cmd.Close(); err != nil {
		b.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}

func avg(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
