package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

func init() {
	allowConsole(map[string]string{
		"GET /console/outbox":     "signed-in",
		"GET /console/outbox/:id": "signed-in",
	})
}

// Without SMTP every email is kept and shown in the console: headers, text
// and the HTML part in a sandboxed frame; the incident counts its emails.
func TestConsoleOutbox(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "Status <status@status.example>"})
		b := setup(t, bdb, func(d *web.Deps) { d.Outbox = box })
		u := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: consolePassword})
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		e := &comms.Email{DedupeKey: "test:1", Kind: "incident_update", IncidentID: inc.ID, To: "ann@example.com",
			Subject: "[Page] <b>Errors</b> — Investigating", Text: "We are on it <script>alert(1)</script>",
			HTML: `<p>We are on it</p><script>alert(2)</script>`, UnsubscribeURL: "https://status.example/unsubscribe/x"}
		require.NoError(t, bdb.RunInTx(b.ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := box.Queue(ctx, tx, e)
			return err
		}))

		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
		list := br.send(http.MethodGet, "/console/outbox", nil)
		require.Equal(t, http.StatusOK, list.Code)
		requireContains(t, list.String(), "nothing is sent")
		requireContains(t, list.String(), "[Page] &lt;b&gt;Errors&lt;/b&gt;")
		requireContains(t, list.String(), "outbox")
		requireContains(t, list.String(), `href="/console/outbox?to=ann%40example.com"`, "a recipient links to their emails")

		one := br.send(http.MethodGet, "/console/outbox/"+e.ID, nil)
		require.Equal(t, http.StatusOK, one.Code)
		body := one.String()
		requireContains(t, body, "We are on it &lt;script&gt;")
		requireContains(t, body, `sandbox referrerpolicy="no-referrer" src="/console/outbox/`+e.ID+`/html"`, "the HTML part is inert: in a sandboxed frame")
		require.NotContains(t, body, "alert(2)", "and not in the console's page")
		requireContains(t, body, "&lt;"+e.MessageID+"&gt;")
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/outbox/nosuchemail", nil).Code)
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/outbox/'%20OR%201=1", nil).Code)

		page := br.send(http.MethodGet, "/console/pages/"+p.ID+"/incidents/"+inc.ID, nil)
		requireContains(t, page.String(), "1 outbox")
		requireContains(t, page.String(), "/console/outbox?incident="+inc.ID)
		for _, q := range []string{"incident=other", "incident=%00", "status=%00", "status=%FF", "status=sent%27--"} {
			filtered := br.send(http.MethodGet, "/console/outbox?"+q, nil)
			require.Equal(t, http.StatusOK, filtered.Code, q)
			requireContains(t, filtered.String(), "No email yet.", q)
		}

		// Per recipient, in any case; odd input finds nothing and breaks nothing.
		for _, to := range []string{"ann@example.com", "ANN@example.com", " ann@example.com "} {
			r := br.send(http.MethodGet, "/console/outbox?to="+url.QueryEscape(to), nil)
			require.Equal(t, http.StatusOK, r.Code)
			requireContains(t, r.String(), "/console/outbox/"+e.ID, "found by %q", to)
		}
		for _, to := range []string{"bob@example.com", "' OR 1=1 --", strings.Repeat("a", 5000), "%00", "a\x00b", "\xff\xfe"} {
			r := br.send(http.MethodGet, "/console/outbox?to="+url.QueryEscape(to), nil)
			require.Equal(t, http.StatusOK, r.Code)
			requireContains(t, r.String(), "No email yet.", "nothing for %q", to)
		}
	})
}
