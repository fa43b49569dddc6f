package comms_test

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Links in an update survive into its email (issue 14.10): the text part
// shows "text <url>" (it once showed only "postmortem"), and relative
// links are made absolute against HERALD_BASE_URL in both parts, for
// incidents and maintenance alike.
func TestEmailLinksAreAbsoluteAndShown(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		var mu sync.Mutex
		var jobs []river.JobArgs
		record := &statustest.Jobs{Queued: func(args river.JobArgs, _ *river.InsertOpts) error {
			mu.Lock()
			defer mu.Unlock()
			jobs = append(jobs, args)
			return nil
		}}
		svc := status.New(bdb, status.Options{Notifier: &comms.Notifier{Jobs: record}, Now: func() time.Time { return h.now }})
		ctx := t.Context()
		base, err := url.Parse("https://herald.example.org/status/")
		require.NoError(t, err)
		calls := 0
		f := &comms.FanOut{Service: svc, Outbox: h.box, Audience: fakeAudience(1, &calls), BaseURL: base}

		body := "Read the [postmortem](https://example.com/pm/42), follow [our page](/p/acme/) " +
			"or [write to us](mailto:ops@example.com). Details: https://example.com/d and [twice](/p/acme/)."
		p := statustest.Page(t, svc, &statustest.PageOpts{Name: "Acme"})
		api := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "API"})
		statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "API errors", Body: body,
			Components: []status.ComponentStatusInput{{ComponentID: api.ID, Status: status.PartialOutage}}})
		statustest.Maintenance(t, svc, p.ID, &statustest.MaintenanceOpts{Title: "Upgrade", Description: body,
			ScheduledFor: h.now.Add(48 * time.Hour), ScheduledUntil: h.now.Add(50 * time.Hour), ComponentIDs: []string{api.ID}})
		mu.Lock()
		pending := jobs
		mu.Unlock()
		require.Len(t, pending, 2)
		for _, j := range pending {
			switch a := j.(type) {
			case comms.FanOutArgs:
				require.NoError(t, f.Run(ctx, a))
			case comms.MaintenanceFanOutArgs:
				require.NoError(t, f.RunMaintenance(ctx, a))
			}
		}
		var queued []*comms.Email
		require.NoError(t, bdb.NewSelect().Model(&queued).Scan(ctx))
		require.Len(t, queued, 2)
		for _, e := range queued {
			require.NoError(t, h.box.Deliver(ctx, e.ID))
		}
		msgs := h.smtp.Messages()
		require.Len(t, msgs, 2)
		for _, m := range msgs {
			text, html := mailParts(t, m.Data)
			for _, want := range []string{
				"postmortem <https://example.com/pm/42>",
				"our page <https://herald.example.org/status/p/acme/>",
				"write to us <mailto:ops@example.com>",
				"Details: https://example.com/d and twice <https://herald.example.org/status/p/acme/>.",
			} {
				require.Contains(t, text, want)
			}
			require.NotContains(t, text, "<https://example.com/d>", "a bare URL is not repeated")
			require.Contains(t, html, `href="https://herald.example.org/status/p/acme/"`)
			require.Contains(t, html, `href="https://example.com/pm/42"`)
			require.NotContains(t, html, `href="/p/`, "no relative link is left")
		}
	})
}

// mailParts reads the text and HTML parts of a raw email as a mail client
// would.
func mailParts(t *testing.T, raw []byte) (text, html string) {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	require.NoError(t, err)
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(p.Body)
		require.NoError(t, err)
		if ih, ok := p.Header.(*mail.InlineHeader); ok {
			ct, _, _ := ih.ContentType()
			switch {
			case strings.HasPrefix(ct, "text/plain"):
				text = string(b)
			case strings.HasPrefix(ct, "text/html"):
				html = string(b)
			}
		}
	}
	require.NotEmpty(t, text)
	require.NotEmpty(t, html)
	return text, html
}
