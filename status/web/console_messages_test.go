package web_test

import (
	"encoding/base64"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/status/web"
)

func init() {
	allowConsole(map[string]string{
		"GET /console/messages/:id":                   "signed-in",
		"GET /console/messages/:id/raw":               "signed-in",
		"GET /console/messages/:id/attachments/:part": "signed-in",
		"GET /console/refs/:ref":                      "signed-in",
	})
}

// The attachments of hostileEmail, as sent.
var (
	evilAttachment = []byte("<html><script>alert(3)</script></html>\r\n")
	pdfAttachment  = []byte("%PDF-1.4\n\x00\x01\x02\xff binary \"quoted\"\r\n%%EOF")
)

// hostileEmail is a customer's reply with a quoted history, an HTML part
// with a script and an event handler, an attachment named to escape its
// directory and one with a UTF-8 name.
func hostileEmail() string {
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	return strings.ReplaceAll(`From: "Wile <b>E.</b>" <wile@acme.example>
To: support@herald.example.org
Cc: ops@acme.example
Subject: API down <script>alert(4)</script>
Date: Tue, 10 Mar 2026 11:00:00 +0000
Message-ID: <hostile-1@acme.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Our API answers 500 since 10:00 <script>alert(5)</script>.

On Mon, 9 Mar 2026 at 09:00, Herald <status@herald.example.org> wrote:
> The earlier update: all <i>fine</i>.
--alt
Content-Type: text/html; charset=utf-8

<p>Our API answers <b>500</b>.</p><script>alert(1)</script><img src=x onerror=alert(2)>
--alt--
--outer
Content-Type: text/html; name="../../evil.html"
Content-Disposition: attachment; filename="../../evil.html"
Content-Transfer-Encoding: base64

`+b64(evilAttachment)+`
--outer
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''Pr%C3%BCfbericht%20%E2%9C%93.pdf
Content-Transfer-Encoding: base64

`+b64(pdfAttachment)+`
--outer--
`, "\n", "\r\n")
}

// withMessages gives the server the support mailbox's store.
func withMessages(store *inbound.Store) func(*web.Deps) {
	return func(d *web.Deps) { d.Messages = store }
}

// storeEmail stores a raw email and returns its id.
func storeEmail(t *testing.T, b *testBundle, store *inbound.Store, raw string) string {
	t.Helper()
	id, stored, err := store.Add(b.ctx, strings.NewReader(raw))
	require.NoError(t, err)
	require.True(t, stored)
	return id
}

var srcdocAttr = regexp.MustCompile(`<iframe[^>]*\bsrcdoc="([^"]*)"`)

func TestConsoleMessagePage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		store := inbound.NewStore(bdb, inbound.StoreOptions{})
		b := setup(t, bdb, withMessages(store))
		id := storeEmail(t, b, store, hostileEmail())

		anon := newBrowser(t, b).send(http.MethodGet, "/console/messages/"+id, nil)
		require.Equal(t, http.StatusSeeOther, anon.Code)
		require.Contains(t, anon.Header.Get("Location"), "/console/login")

		br := customerBrowser(t, b, status.RoleViewer)
		r := br.send(http.MethodGet, "/console/messages/"+id, nil)
		require.Equal(t, http.StatusOK, r.Code, "a viewer may read: %s", r)
		body := r.String()
		requireContains(t, body, "API down &lt;script&gt;alert(4)&lt;/script&gt;")
		requireContains(t, body, "Wile &lt;b&gt;E.&lt;/b&gt;")
		requireContains(t, body, "wile@acme.example")
		requireContains(t, body, "support@herald.example.org")
		requireContains(t, body, "ops@acme.example")
		requireContains(t, body, "hostile-1@acme.example")
		requireContains(t, body, "500 since 10:00 &lt;script&gt;alert(5)&lt;/script&gt;")
		for _, raw := range []string{"<script>", "<b>E.", "<i>fine", "onerror=alert"} {
			requireNotContains(t, body, raw)
		}
		requireNotContains(t, body, "Too large")

		// The quoted history is folded away, the new text is not.
		details := strings.Index(body, "<details><summary>Quoted history</summary>")
		require.Positive(t, details)
		require.Less(t, strings.Index(body, "500 since 10:00"), details)
		require.Greater(t, strings.Index(body, "The earlier update: all &lt;i&gt;fine&lt;/i&gt;."), details)
		require.Less(t, strings.Index(body, "The earlier update"), strings.Index(body, "</details>"))

		// The HTML part: sanitised, in a frame that runs no script.
		m := srcdocAttr.FindStringSubmatch(body)
		require.NotNil(t, m, "an iframe with srcdoc")
		iframe := m[0]
		require.Regexp(t, `\bsandbox[ >=]`, iframe)
		require.NotContains(t, iframe, "allow-scripts")
		doc := html.UnescapeString(m[1])
		require.Contains(t, doc, "<b>500</b>", "harmless markup stays")
		require.NotContains(t, strings.ToLower(doc), "<script")
		require.NotContains(t, strings.ToLower(doc), "onerror")
		require.NotContains(t, doc, "alert(1)")

		// Attachments: listed escaped, without paths.
		requireContains(t, body, ">evil.html</a>")
		requireContains(t, body, "Prüfbericht ✓.pdf")
		requireContains(t, body, "application/pdf")
		requireNotContains(t, body, "../")
		parts := regexp.MustCompile(`href="/console/messages/`+id+`/attachments/([0-9.]+)"`).FindAllStringSubmatch(body, -1)
		require.Len(t, parts, 2)
		requireContains(t, body, `href="/console/messages/`+id+`/raw"`)

		for i, want := range []struct {
			body   []byte
			ascii  string
			encode string
		}{
			{evilAttachment, `filename="evil.html"`, `filename*=UTF-8''evil.html`},
			{pdfAttachment, `filename="Pr_fbericht _.pdf"`, `filename*=UTF-8''Pr%C3%BCfbericht%20%E2%9C%93.pdf`},
		} {
			a := br.send(http.MethodGet, "/console/messages/"+id+"/attachments/"+parts[i][1], nil)
			require.Equal(t, http.StatusOK, a.Code, "%s", a)
			require.Equal(t, want.body, a.Body, "byte for byte")
			require.Equal(t, "application/octet-stream", a.Header.Get("Content-Type"))
			require.Equal(t, "nosniff", a.Header.Get("X-Content-Type-Options"))
			cd := a.Header.Get("Content-Disposition")
			require.True(t, strings.HasPrefix(cd, "attachment; "), cd)
			require.Contains(t, cd, want.ascii)
			require.Contains(t, cd, want.encode)
			require.NotContains(t, cd, "/")
			require.NotContains(t, cd, `\`)
			require.NotContains(t, cd, "\r")
			require.NotContains(t, cd, "\n")
			fallback := regexp.MustCompile(`filename="([^"]*)"`).FindStringSubmatch(cd)
			require.NotNil(t, fallback, cd)
			for _, r := range fallback[1] {
				require.True(t, r >= 0x20 && r < 0x7f, "ASCII fallback %q", fallback[1])
			}
			require.Equal(t, 2, strings.Count(cd, `"`), "only the fallback's quotes: %s", cd)
		}

		raw := br.send(http.MethodGet, "/console/messages/"+id+"/raw", nil)
		require.Equal(t, http.StatusOK, raw.Code)
		require.Equal(t, hostileEmail(), raw.String(), "the stored bytes")
		require.Equal(t, "message/rfc822", raw.Header.Get("Content-Type"))
		require.Equal(t, "nosniff", raw.Header.Get("X-Content-Type-Options"))
		require.Contains(t, raw.Header.Get("Content-Disposition"), `attachment; filename="message-`+id+`.eml"`)

		// Unknown and malformed: not found.
		unknown := status.NewID()
		for _, path := range []string{
			"/console/messages/" + unknown,
			"/console/messages/not-an-id",
			"/console/messages/" + strings.Repeat("a", 500),
			"/console/messages/" + unknown + "/raw",
			"/console/messages/not-an-id/raw",
			"/console/messages/" + unknown + "/attachments/2",
			"/console/messages/" + id + "/attachments/",
			"/console/messages/" + id + "/attachments/1",   // the alternative, not an attachment
			"/console/messages/" + id + "/attachments/1.1", // the text
			"/console/messages/" + id + "/attachments/1.2", // the HTML part
			"/console/messages/" + id + "/attachments/9",
			"/console/messages/" + id + "/attachments/0",
			"/console/messages/" + id + "/attachments/02",
			"/console/messages/" + id + "/attachments/1.x",
			"/console/messages/" + id + "/attachments/-1",
			"/console/messages/" + id + "/attachments/..%2F..%2Fetc%2Fpasswd",
			"/console/messages/" + id + "/attachments/../raw/x",
			"/console/messages/" + id + "/attachments/" + strings.Repeat("1.", 250) + "2",
		} {
			r := br.send(http.MethodGet, path, nil)
			require.Equal(t, http.StatusNotFound, r.Code, path)
			require.Empty(t, r.Header.Get("Content-Disposition"), path)
		}
	})
}

func TestConsoleMessageTooLarge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		store := inbound.NewStore(bdb, inbound.StoreOptions{MaxBytes: 1024})
		b := setup(t, bdb, withMessages(store))
		raw := strings.ReplaceAll("From: Road Runner <rr@acme.example>\nTo: support@herald.example.org\n"+
			"Subject: Big logs attached\nMessage-ID: <big-1@acme.example>\nDate: Tue, 10 Mar 2026 11:00:00 +0000\n\n", "\n", "\r\n") +
			strings.Repeat("log line that goes on and on\r\n", 200)
		id := storeEmail(t, b, store, raw)
		m, err := store.Message(b.ctx, id)
		require.NoError(t, err)
		require.True(t, m.TooLarge)

		br := customerBrowser(t, b, status.RoleEngineer)
		r := br.send(http.MethodGet, "/console/messages/"+id, nil)
		require.Equal(t, http.StatusOK, r.Code, "%s", r)
		body := r.String()
		requireContains(t, body, "Too large: only the header was kept")
		requireContains(t, body, "Road Runner")
		requireContains(t, body, "rr@acme.example")
		requireContains(t, body, "Big logs attached")
		requireContains(t, body, "big-1@acme.example")

		full := br.send(http.MethodGet, "/console/messages/"+id+"/raw", nil)
		require.Equal(t, http.StatusOK, full.Code)
		require.Equal(t, raw, full.String())
	})
}

func TestConsoleMessageRefs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		store := inbound.NewStore(bdb, inbound.StoreOptions{})
		b := setup(t, bdb, withMessages(store))
		msgID := storeEmail(t, b, store, hostileEmail())
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, nil)
		item := intakeItem(t, b, status.IntakeInput{Title: "API down", SenderEmail: "wile@acme.example", InboundID: msgID})
		require.NoError(t, b.svc.Intake.Attach(b.ctx, item.ID, p.ID, inc.ID))

		br := customerBrowser(t, b, status.RoleViewer)
		r := br.send(http.MethodGet, "/console/refs/"+msgID, nil)
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Equal(t, "/console/messages/"+msgID, r.Header.Get("Location"))
		r = br.send(http.MethodGet, "/console/refs/"+item.ID, nil)
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Equal(t, "/console/inbox/"+item.ID, r.Header.Get("Location"))
		for _, ref := range []string{status.NewID(), "not-an-id", strings.Repeat("x", 500)} {
			require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/refs/"+ref, nil).Code, ref)
		}
		anon := newBrowser(t, b).send(http.MethodGet, "/console/refs/"+msgID, nil)
		require.Equal(t, http.StatusSeeOther, anon.Code)
		require.Contains(t, anon.Header.Get("Location"), "/console/login")

		// The inbox item and the incident's timeline link the email.
		page := br.send(http.MethodGet, "/console/inbox/"+item.ID, nil)
		require.Equal(t, http.StatusOK, page.Code)
		requireContains(t, page.String(), `href="/console/messages/`+msgID+`">Original email</a>`)
		page = br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil)
		require.Equal(t, http.StatusOK, page.Code)
		requireContains(t, page.String(), `href="/console/refs/`+item.ID+`">Original email</a>`)

		// Once routed, the message links where it went.
		_, err := bdb.NewUpdate().Model((*inbound.StoredMessage)(nil)).Set("status = ?", inbound.MessageTimeline).
			Set("incident_id = ?", inc.ID).Set("intake_id = ?", item.ID).Where("id = ?", msgID).Exec(b.ctx)
		require.NoError(t, err)
		page = br.send(http.MethodGet, "/console/messages/"+msgID, nil)
		require.Equal(t, http.StatusOK, page.Code)
		requireContains(t, page.String(), `href="`+incidentURLOf(p.ID, inc.ID)+`"><bdi>`+inc.Title+`</bdi></a>`)
		requireContains(t, page.String(), `href="/console/inbox/`+item.ID+`"`)

		// Without a mailbox, messages are not found; inbox items still are.
		bare := setup(t, bdb)
		br = customerBrowser(t, bare, status.RoleViewer)
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/messages/"+msgID, nil).Code)
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/messages/"+msgID+"/raw", nil).Code)
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/refs/"+msgID, nil).Code)
		require.Equal(t, http.StatusSeeOther, br.send(http.MethodGet, "/console/refs/"+item.ID, nil).Code)
	})
}

func TestConsoleMessageAutomaticWithProblems(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		store := inbound.NewStore(bdb, inbound.StoreOptions{})
		b := setup(t, bdb, withMessages(store))
		id := storeEmail(t, b, store, strings.ReplaceAll("To: support@herald.example.org\nSubject: Out of office\n"+
			"Auto-Submitted: auto-replied\nMessage-ID: <ooo-1@acme.example>\n\nI am away.\n", "\n", "\r\n"))
		m, err := store.Message(b.ctx, id)
		require.NoError(t, err)
		require.NotEmpty(t, m.Automatic)
		require.NotEmpty(t, m.Problems, "no From")

		r := customerBrowser(t, b, status.RoleViewer).send(http.MethodGet, "/console/messages/"+id, nil)
		require.Equal(t, http.StatusOK, r.Code, "%s", r)
		body := r.String()
		requireContains(t, body, "automatic: "+html.EscapeString(m.Automatic))
		for p := range strings.SplitSeq(m.Problems, "\n") {
			requireContains(t, body, "<li>"+html.EscapeString(p)+"</li>")
		}
		requireContains(t, body, "I am away.")
		requireContains(t, body, "None.", "no attachments")
		requireNotContains(t, body, "<iframe", "no HTML part")
		requireNotContains(t, body, "Quoted history")
	})
}

func TestConsoleMessageAttachmentNames(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		store := inbound.NewStore(bdb, inbound.StoreOptions{})
		b := setup(t, bdb, withMessages(store))
		id := storeEmail(t, b, store, strings.ReplaceAll(`From: wile@acme.example
To: support@herald.example.org
Subject: Names
Message-ID: <names-1@acme.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

See attached.
--b
Content-Type: text/plain
Content-Disposition: attachment; filename*=UTF-8''..%2F%0D%0AX-Injected%3A%201%22%3B%25r%C3%A9sum%C3%A9.txt

hello
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=UTF-8''%E2%9C%93%E2%9C%93

x
--b--
`, "\n", "\r\n"))
		br := customerBrowser(t, b, status.RoleViewer)
		for _, part := range []string{"2", "3"} {
			a := br.send(http.MethodGet, "/console/messages/"+id+"/attachments/"+part, nil)
			require.Equal(t, http.StatusOK, a.Code, "%s", a)
			cd := a.Header.Get("Content-Disposition")
			require.Empty(t, a.Header.Get("X-Injected"))
			fallback := regexp.MustCompile(`^attachment; filename="([^"]*)"; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_` + "`" + `|~%]+)$`).FindStringSubmatch(cd)
			require.NotNil(t, fallback, cd)
			require.NotEmpty(t, strings.Trim(fallback[1], "_ ."), "a readable fallback: %s", cd)
			require.NotContains(t, fallback[1], "/")
			require.NotContains(t, fallback[1], `\`)
			require.NotContains(t, fallback[1], ";")
			require.NotContains(t, fallback[1], "%")
			if part == "3" {
				require.Equal(t, "attachment", fallback[1], "nothing ASCII left of the name")
			}
		}
	})
}
