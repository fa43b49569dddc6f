package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/web"
)

var testSecret = []byte("web test secret, long enough to sign")

func withSecret(d *web.Deps) {
	d.Secret = testSecret
	d.TrustedProxies = []string{"0.0.0.0"} // app.Test's fake peer, so X-Forwarded-For names the client
}

// postForm sends a public form to path on host from client address ip.
func postForm(t *testing.T, b *testBundle, host, path, ip string, form url.Values) reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Host = host
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	return b.do(t, req)
}

func subscriberOf(t *testing.T, b *testBundle, addr string) *comms.Subscriber {
	t.Helper()
	s := new(comms.Subscriber)
	require.NoError(t, b.db.NewSelect().Model(s).Where("email = ?", addr).Scan(b.ctx))
	return s
}

func emailsTo(t *testing.T, b *testBundle, addr string) []*comms.Email {
	t.Helper()
	var out []*comms.Email
	require.NoError(t, b.db.NewSelect().Model(&out).Where("to_addr = ?", addr).Order("created_at", "id").Scan(b.ctx))
	return out
}

var webConfirmLink = regexp.MustCompile(`https://status\.acme\.test(/subscribe/confirm/[A-Za-z0-9_.-]+)`)

func TestSubscribeFlow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb, withSecret)
		w := buildWorld(t, b)

		// The status page carries the form; the subscribe page lists only
		// public components.
		r := b.get(t, acmeHost, "/")
		requireContains(t, r.String(), `action="/subscribe"`)
		for _, rt := range roots {
			r = b.get(t, rt.host, rt.prefix+"/subscribe")
			require.Equal(t, http.StatusOK, r.Code, rt.name)
			require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			require.Empty(t, r.Header.Get("ETag"))
			requireContains(t, r.String(), `action="`+rt.prefix+`/subscribe"`)
			requireContains(t, r.String(), w.api.Name)
			requireNoneOf(t, "subscribe page", r.Body, w.secrets)
		}

		r = postForm(t, b, acmeHost, "/subscribe", "192.0.2.1", url.Values{"email": {"Ann@Example.com"}, "scope": {"components"},
			"component": {w.api.ID, w.site.ID}})
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "Check your inbox")
		require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		es := emailsTo(t, b, "ann@example.com")
		require.Len(t, es, 1)
		require.Equal(t, "[Acme Cloud] Confirm your subscription", es[0].Subject)
		m := webConfirmLink.FindStringSubmatch(es[0].Text)
		require.NotNil(t, m, es[0].Text)
		link := m[1]

		// GET shows a button and changes nothing, however often.
		for range 2 {
			r = b.get(t, acmeHost, link)
			require.Equal(t, http.StatusOK, r.Code, r.String())
			requireContains(t, r.String(), `<form method="post" action="`+link+`"`)
		}
		require.Equal(t, comms.SubscriberPending, subscriberOf(t, b, "ann@example.com").State)
		r = postForm(t, b, acmeHost, link, "192.0.2.1", url.Values{})
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "You are subscribed")
		manage := regexp.MustCompile(`href="https://status\.acme\.test(/manage/[^"]+)"`).FindStringSubmatch(r.String())
		require.NotNil(t, manage, "the confirmed page links to the manage page")
		require.Equal(t, http.StatusOK, b.get(t, acmeHost, manage[1]).Code)
		require.Equal(t, comms.SubscriberConfirmed, subscriberOf(t, b, "ann@example.com").State)

		// A used link: a clear page, nothing changed.
		r = postForm(t, b, acmeHost, link, "192.0.2.1", url.Values{})
		require.Equal(t, http.StatusGone, r.Code)
		requireContains(t, r.String(), "no longer applies")
		r = b.get(t, acmeHost, link)
		require.Equal(t, http.StatusGone, r.Code)

		// Forged and truncated links.
		for _, bad := range []string{link[:len(link)-4], link + "x", "/subscribe/confirm/forged.0.AAAA"} {
			r = postForm(t, b, acmeHost, bad, "192.0.2.1", url.Values{})
			require.Equal(t, http.StatusBadRequest, r.Code, bad)
			requireContains(t, r.String(), "This link is not valid")
		}
		require.Equal(t, comms.SubscriberConfirmed, subscriberOf(t, b, "ann@example.com").State)
	})
}

// The same answer whatever the address's state, one confirmation an hour,
// bad addresses refused with a clear message, the per-client limit.
func TestSubscribeAbuse(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb, withSecret)
		buildWorld(t, b)
		send := func(ip, addr string) reply {
			return postForm(t, b, acmeHost, "/subscribe", ip, url.Values{"email": {addr}, "scope": {"all"}})
		}
		first := send("192.0.2.2", "new@example.com")
		require.Equal(t, http.StatusOK, first.Code)
		again := send("192.0.2.3", "new@example.com") // pending now
		require.Equal(t, first.Body, again.Body, "pending: the same answer")
		require.Len(t, emailsTo(t, b, "new@example.com"), 1, "one confirmation an hour")

		r := b.get(t, acmeHost, webConfirmLink.FindStringSubmatch(emailsTo(t, b, "new@example.com")[0].Text)[1])
		require.Equal(t, http.StatusOK, r.Code)
		confirm := webConfirmLink.FindStringSubmatch(emailsTo(t, b, "new@example.com")[0].Text)[1]
		require.Equal(t, http.StatusOK, postForm(t, b, acmeHost, confirm, "192.0.2.3", url.Values{}).Code)
		confirmed := send("192.0.2.4", "new@example.com")
		require.Equal(t, first.Body, confirmed.Body, "confirmed: the same answer")
		require.Len(t, emailsTo(t, b, "new@example.com"), 1)

		cases := map[string]string{
			"empty":     "",
			"huge":      strings.Repeat("a", 5000) + "@example.com",
			"crlf":      "x@example.com\r\nBcc: all@example.com",
			"non-ascii": "jörg@example.com",
			"no domain": "someone@",
			"script":    `<script>alert(1)</script>`,
		}
		for name, addr := range cases {
			r := send("192.0.2.5"+name[:1], addr)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, name)
			require.NotContains(t, r.String(), "Check your inbox", name)
			requireContains(t, r.String(), `class="field-error"`, name)
			requireNotContains(t, r.String(), "<script>alert(1)", name)
		}
		r = send("192.0.2.6", "jörg@example.com")
		requireContains(t, r.String(), "international addresses are not")

		// A huge body is refused.
		r = postForm(t, b, acmeHost, "/subscribe", "192.0.2.7", url.Values{"email": {"a@example.com"}, "component": {strings.Repeat("x", 20000)}})
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Code)

		// Ten uses per client address in ten minutes.
		for i := range 10 {
			require.Equal(t, http.StatusOK, send("198.51.100.7", "limit@example.com").Code, "use %d", i)
		}
		r = send("198.51.100.7", "limit@example.com")
		require.Equal(t, http.StatusTooManyRequests, r.Code)
		requireContains(t, r.String(), "Too many requests")
		require.Equal(t, "600", r.Header.Get("Retry-After"))
		require.Equal(t, http.StatusOK, send("198.51.100.8", "limit@example.com").Code, "another client")
		b.clock.Advance(11 * 60 * 1e9)
		require.Equal(t, http.StatusOK, send("198.51.100.7", "limit@example.com").Code, "after the window")
	})
}

func TestSubscribeManageAndOneClick(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb, withSecret)
		w := buildWorld(t, b)
		subs := comms.NewSubscribers(bdb, b.svc, comms.NewOutbox(bdb, comms.OutboxOptions{Now: b.clock.Now}), comms.NewTokens(testSecret), nil)
		s, err := subs.Add(b.ctx, w.page.ID, "dee@example.com", comms.Subscription{}, comms.AddedByAdmin)
		require.NoError(t, err)
		base, _ := url.Parse(baseURL)
		manage := strings.TrimPrefix(subs.ManageURL(base, w.page, s), "https://"+acmeHost)
		unsub := strings.TrimPrefix(subs.UnsubscribeURL(base, w.page, s), "https://"+acmeHost)

		for _, rt := range roots {
			r := b.get(t, rt.host, rt.prefix+manage)
			require.Equal(t, http.StatusOK, r.Code, rt.name)
			requireContains(t, r.String(), "dee@example.com")
			require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
		}
		r := postForm(t, b, acmeHost, manage, "192.0.2.9", url.Values{"action": {"save"}, "scope": {"groups"}, "group": {w.core.ID}})
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "Your choice was saved")
		require.Equal(t, comms.ScopeGroups, subscriberOf(t, b, "dee@example.com").Scope)
		r = postForm(t, b, acmeHost, manage, "192.0.2.9", url.Values{"action": {"save"}, "scope": {"components"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		requireContains(t, r.String(), "Choose at least one component")
		r = postForm(t, b, acmeHost, manage, "192.0.2.9", url.Values{"action": {"save"}, "scope": {"components"}, "component": {w.hidden.ID}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code, "hidden components cannot be chosen")

		// The unsubscribe page only shows a button.
		r = b.get(t, acmeHost, unsub)
		require.Equal(t, http.StatusOK, r.Code)
		requireContains(t, r.String(), `action="`+unsub+`"`)
		require.Equal(t, comms.SubscriberConfirmed, subscriberOf(t, b, "dee@example.com").State)
		// The manage token is not an unsubscribe token.
		r = postForm(t, b, acmeHost, strings.Replace(manage, "/manage/", "/unsubscribe/", 1), "192.0.2.9",
			url.Values{"List-Unsubscribe": {"One-Click"}})
		require.Equal(t, http.StatusBadRequest, r.Code)
		require.Equal(t, comms.SubscriberConfirmed, subscriberOf(t, b, "dee@example.com").State)

		// RFC 8058 one-click: no cookie, no form token.
		req := httptest.NewRequest(http.MethodPost, unsub, strings.NewReader("List-Unsubscribe=One-Click"))
		req.Host = acmeHost
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r = b.do(t, req)
		require.Equal(t, http.StatusOK, r.Code, r.String())
		requireContains(t, r.String(), "You are unsubscribed")
		require.Equal(t, comms.SubscriberUnsubscribed, subscriberOf(t, b, "dee@example.com").State)
		require.Equal(t, http.StatusOK, b.do(t, httptest.NewRequest(http.MethodPost, "/p/acme"+unsub, nil)).Code, "repeated: still fine")

		// The manage link of someone who left.
		r = b.get(t, acmeHost, manage)
		require.Equal(t, http.StatusGone, r.Code)
		r = postForm(t, b, acmeHost, manage, "192.0.2.9", url.Values{"action": {"save"}, "scope": {"all"}})
		require.Equal(t, http.StatusGone, r.Code)
		require.Equal(t, comms.SubscriberUnsubscribed, subscriberOf(t, b, "dee@example.com").State)

		// Another page's host does not accept this page's links.
		r = b.get(t, "status.other.test", manage)
		require.Equal(t, http.StatusGone, r.Code)
	})
}
