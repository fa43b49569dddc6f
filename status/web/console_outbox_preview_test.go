package web_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

func init() {
	allowConsole(map[string]string{
		"GET /console/outbox/:id/html": "signed-in",
	})
}

// queueEmail stores e in box.
func queueEmail(t *testing.T, bdb *bun.DB, box *comms.Outbox, e *comms.Email) {
	t.Helper()
	require.NoError(t, bdb.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := box.Queue(ctx, tx, e)
		return err
	}))
}

// The email's HTML is shown as recipients see it, inline styles
// included, without loosening the console's policy: the page frames a
// document of its own route, sandboxed (no scripts, no same origin), whose
// own policy allows inline styles and nothing else.
func TestConsoleEmailPreviewKeepsItsStyles(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "Status <status@status.example>"})
		b := setup(t, bdb, func(d *web.Deps) { d.Outbox = box })
		html := `<!doctype html><html><head><style>p{margin:0}</style></head><body style="font-family:sans-serif">` +
			`<p style="color:#b00020">Checkout is down</p><script>alert(1)</script><img src="https://tracker.example/p.gif"></body></html>`
		e := &comms.Email{DedupeKey: "test:styled", Kind: "incident_update", To: "ann@example.com",
			Subject: "[Shop] Checkout down", Text: "Checkout is down", HTML: html}
		queueEmail(t, bdb, box, e)
		plain := &comms.Email{DedupeKey: "test:plain", Kind: "incident_update", To: "ann@example.com", Subject: "Plain", Text: "Only text"}
		queueEmail(t, bdb, box, plain)
		br := customerBrowser(t, b, status.RoleViewer)

		page := br.send(http.MethodGet, "/console/outbox/"+e.ID, nil)
		require.Equal(t, http.StatusOK, page.Code)
		frame := regexp.MustCompile(`<iframe[^>]*>`).FindString(page.String())
		require.Contains(t, frame, `src="/console/outbox/`+e.ID+`/html"`)
		require.Regexp(t, `\ssandbox(\s|>|="")`, frame, "sandboxed, with no allowances: %s", frame)
		require.NotContains(t, frame, "allow-")
		require.NotContains(t, page.String(), "srcdoc", "the HTML is no longer inlined into the console page")
		csp := page.Header.Get("Content-Security-Policy")
		require.Contains(t, csp, "style-src 'self'", "the console's own policy is unchanged")
		require.Contains(t, csp, "script-src 'self'")
		require.NotContains(t, csp, "unsafe-inline")
		require.Contains(t, csp, "frame-src 'self'", "it may frame its own preview")

		doc := br.send(http.MethodGet, "/console/outbox/"+e.ID+"/html", nil)
		require.Equal(t, http.StatusOK, doc.Code)
		require.Equal(t, html, doc.String(), "exactly the HTML the recipient gets")
		require.True(t, strings.HasPrefix(doc.Header.Get("Content-Type"), "text/html"))
		dcsp := doc.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "style-src 'unsafe-inline'", "sandbox", "frame-ancestors 'self'", "base-uri 'none'", "form-action 'none'"} {
			require.Contains(t, dcsp, want)
		}
		require.NotContains(t, dcsp, "script-src", "no script runs: default-src 'none' covers scripts")
		require.NotContains(t, dcsp, "allow-scripts")
		require.NotContains(t, dcsp, "img-src", "no remote image is fetched from the console")
		require.Equal(t, "nosniff", doc.Header.Get("X-Content-Type-Options"))
		require.Equal(t, "no-store", doc.Header.Get("Cache-Control"))
		require.Equal(t, "no-referrer", doc.Header.Get("Referrer-Policy"))

		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/outbox/"+plain.ID+"/html", nil).Code, "no HTML part")
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/outbox/nosuchemail/html", nil).Code)
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/outbox/'%20OR%201=1/html", nil).Code)
		anon := newBrowser(t, b).send(http.MethodGet, "/console/outbox/"+e.ID+"/html", nil)
		require.NotEqual(t, http.StatusOK, anon.Code, "signed-in only")
		require.NotContains(t, anon.String(), "Checkout is down")
	})
}

// A certificate the sender does not trust stops delivery: Console → Email
// says so with the server's words and what to do, and how many emails
// wait; the email keeps its last reply. Once an email goes out the notice
// is gone.
func TestConsoleOutboxShowsADeliveryProblem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		ca := mailtest.NewCA(t)
		srv := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t)))
		newBox := func(tc *tls.Config) *comms.Outbox {
			m := comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSStartTLS},
				comms.MailerOptions{Timeout: 5 * time.Second, TLSConfig: tc})
			return comms.NewOutbox(bdb, comms.OutboxOptions{From: "Status <status@status.example>", Mailer: m,
				Jobs: &statustest.Jobs{}})
		}
		box := newBox(nil)
		b := setup(t, bdb, func(d *web.Deps) { d.Outbox = box })
		br := customerBrowser(t, b, status.RoleViewer)
		require.NotContains(t, br.send(http.MethodGet, "/console/outbox", nil).String(), "No email can be sent")

		var ids []string
		for i := range 2 {
			e := &comms.Email{DedupeKey: fmt.Sprint("test:held:", i), Kind: "incident_update", To: fmt.Sprintf("u%d@example.com", i),
				Subject: "Held", Text: "x"}
			queueEmail(t, bdb, box, e)
			ids = append(ids, e.ID)
		}
		require.Error(t, box.Deliver(b.ctx, ids[0]), "snoozed")

		list := br.send(http.MethodGet, "/console/outbox", nil)
		require.Equal(t, http.StatusOK, list.Code)
		body := list.String()
		requireContains(t, body, "No email can be sent")
		requireContains(t, body, "certificate signed by unknown authority", "the server's words")
		requireContains(t, body, "HERALD_TLS_CA_FILE", "what to do")
		requireContains(t, body, "2 emails wait")
		requireContains(t, br.send(http.MethodGet, "/console/outbox/"+ids[0], nil).String(), "certificate signed by unknown authority")

		// Restarted with the CA: the next email goes and the notice goes.
		fixed := newBox(&tls.Config{RootCAs: ca.Pool()})
		require.NoError(t, fixed.Deliver(b.ctx, ids[1]))
		require.NotContains(t, br.send(http.MethodGet, "/console/outbox", nil).String(), "No email can be sent")
	})
}
