package mailtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wneessen/go-mail"
)

// SendLoop is the baseline of the email benchmarks: a bare go-mail loop
// sending n small emails (text with an HTML alternative) to s over one
// connection, with go-mail's defaults. It returns the emails per second.
func SendLoop(t testing.TB, s *Server, n int) float64 {
	t.Helper()
	c, err := mail.NewClient(s.Host, mail.WithPort(s.Port), mail.WithTLSPolicy(mail.NoTLS), mail.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("mailtest: client: %v", err)
	}
	if err := c.DialWithContext(context.Background()); err != nil {
		t.Fatalf("mailtest: dial: %v", err)
	}
	defer func() { _ = c.Close() }() // every send was checked; the benchmark is over
	start := time.Now()
	for i := range n {
		m := mail.NewMsg()
		_ = m.From("status@status.example")
		_ = m.To(fmt.Sprintf("sub%05d@example.net", i))
		m.Subject("[Shop] Checkout down — Investigating")
		m.SetBodyString(mail.TypeTextPlain, "We are investigating.")
		m.AddAlternativeString(mail.TypeTextHTML, "<p>We are investigating.</p>")
		if err := c.Send(m); err != nil {
			t.Fatalf("mailtest: send: %v", err)
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
