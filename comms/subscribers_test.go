package comms_test

import (
	"context"
	"fmt"
	"net/url"
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
)

// subBundle is a page with groups and components, and its Subscribers
// with the dev outbox.
type subBundle struct {
	ctx   context.Context
	db    *bun.DB
	clock *statustest.Clock
	svc   *status.Service
	subs  *comms.Subscribers
	page  *status.Page
	core  *status.ComponentGroup
	api   *status.Component // in core
	site  *status.Component // no group
	base  *url.URL
}

func subSetup(t *testing.T, bdb *bun.DB) *subBundle {
	t.Helper()
	b := &subBundle{ctx: t.Context(), db: bdb, clock: statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))}
	b.svc = status.New(bdb, status.Options{Now: b.clock.Now})
	b.base, _ = url.Parse("https://herald.example.org")
	box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "Status <status@herald.example.org>", Now: b.clock.Now})
	b.subs = comms.NewSubscribers(bdb, b.svc, box, comms.NewTokens([]byte("test secret, long enough to sign")), b.base)
	b.page = statustest.Page(t, b.svc, &statustest.PageOpts{Name: "Acme Cloud", Slug: "acme", Hosts: []string{"status.acme.test"}})
	b.core = statustest.Group(t, b.svc, b.page.ID, &statustest.GroupOpts{Name: "Core"})
	b.api = statustest.Component(t, b.svc, b.page.ID, &statustest.ComponentOpts{Name: "API", GroupID: &b.core.ID})
	b.site = statustest.Component(t, b.svc, b.page.ID, &statustest.ComponentOpts{Name: "Website"})
	return b
}

// emails returns the emails queued to addr, oldest first.
func (b *subBundle) emails(t *testing.T, addr string) []*comms.Email {
	t.Helper()
	var out []*comms.Email
	require.NoError(t, b.db.NewSelect().Model(&out).Where("to_addr = ?", addr).Order("created_at", "id").Scan(b.ctx))
	return out
}

var confirmLink = regexp.MustCompile(`https://status\.acme\.test/subscribe/confirm/([A-Za-z0-9_.-]+)`)

// confirmToken returns the token of the newest confirmation email to addr.
func (b *subBundle) confirmToken(t *testing.T, addr string) string {
	t.Helper()
	es := b.emails(t, addr)
	require.NotEmpty(t, es, "no email to %s", addr)
	m := confirmLink.FindStringSubmatch(es[len(es)-1].Text)
	require.NotNil(t, m, "no confirm link in %s", es[len(es)-1].Text)
	require.Contains(t, es[len(es)-1].HTML, m[0])
	return m[1]
}

func (b *subBundle) subscriber(t *testing.T, addr string) *comms.Subscriber {
	t.Helper()
	s := new(comms.Subscriber)
	require.NoError(t, b.db.NewSelect().Model(s).Where("page_id = ? AND email = ?", b.page.ID, addr).Scan(b.ctx))
	return s
}

func TestSubscribersDoubleOptIn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := subSetup(t, bdb)
		require.NoError(t, b.subs.Subscribe(b.ctx, b.page.ID, "  Ann@Example.COM ", comms.Subscription{}))
		es := b.emails(t, "ann@example.com")
		require.Len(t, es, 1, "normalised address, one confirmation")
		e := es[0]
		require.Equal(t, "[Acme Cloud] Confirm your subscription", e.Subject)
		require.Equal(t, comms.EmailOutbox, e.Status)
		require.Equal(t, "subscription_confirm", e.Kind)
		sub := b.subscriber(t, "ann@example.com")
		require.Equal(t, comms.SubscriberPending, sub.State)
		require.Equal(t, sub.ID, e.SubscriberID)
		require.Equal(t, comms.AddedByForm, sub.AddedBy)
		tok := b.confirmToken(t, "ann@example.com")

		// Not confirmed: not a recipient.
		rs, err := b.subs.Recipients(b.ctx, b.page.ID, []string{b.api.ID}, "", 10)
		require.NoError(t, err)
		require.Empty(t, rs)

		// Looking at the link changes nothing.
		got, err := b.subs.ByToken(b.ctx, b.page.ID, comms.PurposeConfirm, tok)
		require.NoError(t, err)
		require.Equal(t, comms.SubscriberPending, got.State)
		require.Equal(t, comms.SubscriberPending, b.subscriber(t, "ann@example.com").State)

		// Another page's id, or the token for another purpose, fail.
		_, err = b.subs.Confirm(b.ctx, "otherpage", tok)
		require.ErrorIs(t, err, comms.ErrLinkUsed)
		_, err = b.subs.ByToken(b.ctx, b.page.ID, comms.PurposeManage, tok)
		require.ErrorIs(t, err, comms.ErrTokenInvalid)

		got, err = b.subs.Confirm(b.ctx, b.page.ID, tok)
		require.NoError(t, err)
		require.Equal(t, comms.SubscriberConfirmed, got.State)
		require.NotNil(t, b.subscriber(t, "ann@example.com").ConfirmedAt)
		_, err = b.subs.Confirm(b.ctx, b.page.ID, tok)
		require.ErrorIs(t, err, comms.ErrLinkUsed, "a confirm link works once")

		rs, err = b.subs.Recipients(b.ctx, b.page.ID, []string{b.api.ID}, "", 10)
		require.NoError(t, err)
		require.Len(t, rs, 1)

		// An expired link.
		require.NoError(t, b.subs.Subscribe(b.ctx, b.page.ID, "late@example.com", comms.Subscription{}))
		late := b.confirmToken(t, "late@example.com")
		b.clock.Advance(comms.ConfirmValidFor + time.Second)
		_, err = b.subs.Confirm(b.ctx, b.page.ID, late)
		require.ErrorIs(t, err, comms.ErrTokenExpired)
		require.Equal(t, comms.SubscriberPending, b.subscriber(t, "late@example.com").State)
	})
}

// The confirmation email, sent over SMTP, is valid MIME: the page's name
// encoded in the subject and escaped in HTML, both parts carrying the
// link, no unsubscribe header (there is no subscription yet), and marked
// auto-generated so that auto-replies stay away.
func TestSubscribersConfirmationOverSMTP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		srv := mailtest.Start(t)
		clock := statustest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
		svc := status.New(bdb, status.Options{Now: clock.Now})
		base, _ := url.Parse("https://herald.example.org")
		box := comms.NewOutbox(bdb, comms.OutboxOptions{From: "Status <status@herald.example.org>", Now: clock.Now,
			Mailer: comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSNone}, comms.MailerOptions{Timeout: 5 * time.Second}),
			Jobs:   &statustest.Jobs{}})
		subs := comms.NewSubscribers(bdb, svc, box, comms.NewTokens([]byte("test secret, long enough to sign")), base)
		page := statustest.Page(t, svc, &statustest.PageOpts{Name: "Clöud <Ops> & Co", Slug: "cloud",
			SupportEmail: "help@cloud.example"})
		require.NoError(t, subs.Subscribe(t.Context(), page.ID, "Ann@Example.com", comms.Subscription{}))
		var e comms.Email
		require.NoError(t, bdb.NewSelect().Model(&e).Where("kind = ?", "subscription_confirm").Scan(t.Context()))
		require.NoError(t, box.Deliver(t.Context(), e.ID))

		msgs := srv.Messages()
		require.Len(t, msgs, 1)
		require.Equal(t, []string{"ann@example.com"}, msgs[0].To)
		hd, parts := parseEmail(t, msgs[0].Data)
		subj, err := hd.Subject()
		require.NoError(t, err)
		require.Equal(t, "[Clöud <Ops> & Co] Confirm your subscription", subj, "encoded, and decodes back")
		from, err := hd.AddressList("From")
		require.NoError(t, err)
		require.Equal(t, "status@herald.example.org", from[0].Address)
		replyTo, err := hd.AddressList("Reply-To")
		require.NoError(t, err)
		require.Equal(t, "help@cloud.example", replyTo[0].Address)
		require.Equal(t, "auto-generated", hd.Get("Auto-Submitted"))
		require.Empty(t, hd.Get("List-Unsubscribe"))
		ids, err := hd.MsgIDList("Message-Id")
		require.NoError(t, err)
		require.Len(t, ids, 1)
		require.True(t, strings.HasSuffix(ids[0], "@herald.example.org"))

		require.Len(t, parts, 2)
		link := regexp.MustCompile(`https://herald\.example\.org/p/cloud/subscribe/confirm/[A-Za-z0-9_.-]+`)
		require.True(t, strings.HasPrefix(parts[0], "text/plain: "))
		require.True(t, strings.HasPrefix(parts[1], "text/html: "))
		require.Regexp(t, link, parts[0])
		require.Regexp(t, link, parts[1])
		require.Contains(t, parts[1], "Clöud &lt;Ops&gt; &amp; Co", "the name is escaped in HTML")
	})
}

// The form's answer is the same for new, pending, confirmed and
// unsubscribed addresses; a confirmed one is left alone; confirmations go
// out at most once an hour.
func TestSubscribersSameAnswerAndHourlyLimit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := subSetup(t, bdb)
		ctx := b.ctx
		only := comms.Subscription{Scope: comms.ScopeComponents, ComponentIDs: []string{b.site.ID}}
		require.NoError(t, b.subs.Subscribe(ctx, b.page.ID, "bob@example.com", comms.Subscription{}))
		for range 3 {
			require.NoError(t, b.subs.Subscribe(ctx, b.page.ID, "bob@example.com", comms.Subscription{}), "pending again")
		}
		require.Len(t, b.emails(t, "bob@example.com"), 1, "one confirmation per hour")
		b.clock.Advance(61 * time.Minute)
		require.NoError(t, b.subs.Subscribe(ctx, b.page.ID, "bob@example.com", only))
		require.Len(t, b.emails(t, "bob@example.com"), 2, "another after an hour")
		require.Equal(t, comms.ScopeComponents, b.subscriber(t, "bob@example.com").Scope, "a pending choice may change")

		_, err := b.subs.Confirm(ctx, b.page.ID, b.confirmToken(t, "bob@example.com"))
		require.NoError(t, err)
		before := b.subscriber(t, "bob@example.com")
		b.clock.Advance(2 * time.Hour)
		require.NoError(t, b.subs.Subscribe(ctx, b.page.ID, "bob@example.com", comms.Subscription{}), "confirmed: same answer")
		after := b.subscriber(t, "bob@example.com")
		require.Equal(t, before, after, "nothing changes for a confirmed address")
		require.Len(t, b.emails(t, "bob@example.com"), 2, "no email to a confirmed address")

		// Unsubscribed, then subscribing again needs a new confirmation.
		require.NoError(t, b.subs.Unsubscribe(ctx, b.page.ID, comms.PurposeUnsubscribe, unsubToken(t, b, after)))
		require.Equal(t, comms.SubscriberUnsubscribed, b.subscriber(t, "bob@example.com").State)
		require.NoError(t, b.subs.Subscribe(ctx, b.page.ID, "bob@example.com", comms.Subscription{}))
		require.Equal(t, comms.SubscriberPending, b.subscriber(t, "bob@example.com").State)
		require.Len(t, b.emails(t, "bob@example.com"), 3)
	})
}

func unsubToken(t *testing.T, b *subBundle, s *comms.Subscriber) string {
	t.Helper()
	u := b.subs.UnsubscribeURL(b.base, b.page, s)
	require.True(t, strings.HasPrefix(u, "https://status.acme.test/unsubscribe/"), u)
	return strings.TrimPrefix(u, "https://status.acme.test/unsubscribe/")
}

func manageToken(t *testing.T, b *subBundle, s *comms.Subscriber) string {
	t.Helper()
	u := b.subs.ManageURL(b.base, b.page, s)
	require.True(t, strings.HasPrefix(u, "https://status.acme.test/manage/"), u)
	return strings.TrimPrefix(u, "https://status.acme.test/manage/")
}

func TestSubscribersBadAddresses(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := subSetup(t, bdb)
		cases := map[string]string{
			"empty":         "",
			"blank":         "   ",
			"no at":         "annexample.com",
			"no domain dot": "ann@localhost",
			"two ats":       "a@b@example.com",
			"display name":  "Ann <ann@example.com>",
			"huge":          strings.Repeat("a", 300) + "@example.com",
			"long local":    strings.Repeat("a", 65) + "@example.com",
			"crlf":          "ann@example.com\r\nBcc: all@example.com",
			"lf":            "ann@example.com\nx",
			"nul":           "ann\x00@example.com",
			"non-ascii":     "jörg@example.com",
			"idn domain":    "ann@exämple.com",
			"bad utf8":      "ann\xff@example.com",
			"script":        `"><script>@example.com`,
		}
		for name, addr := range cases {
			err := b.subs.Subscribe(b.ctx, b.page.ID, addr, comms.Subscription{})
			require.Error(t, err, name)
			require.Equal(t, status.KindInvalid, status.KindOf(err), name)
			var se *status.Error
			require.ErrorAs(t, err, &se)
			require.NotEmpty(t, se.Fields["email"], name)
		}
		var e *status.Error
		require.ErrorAs(t, b.subs.Subscribe(b.ctx, b.page.ID, "jörg@example.com", comms.Subscription{}), &e)
		require.Contains(t, e.Fields["email"], "ASCII")
		n, err := bdb.NewSelect().Model((*comms.Subscriber)(nil)).Count(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n)

		// Bad scopes.
		for name, sub := range map[string]comms.Subscription{
			"unknown scope":    {Scope: "some"},
			"no components":    {Scope: comms.ScopeComponents},
			"foreign group":    {Scope: comms.ScopeGroups, GroupIDs: []string{"nosuchgroup"}},
			"foreign comp":     {Scope: comms.ScopeComponents, ComponentIDs: []string{"nosuchcomp"}},
			"no groups chosen": {Scope: comms.ScopeGroups},
		} {
			err := b.subs.Subscribe(b.ctx, b.page.ID, "ok@example.com", sub)
			require.Equal(t, status.KindInvalid, status.KindOf(err), name)
		}
		require.True(t, comms.LooksLikeList("all@example.com"))
		require.True(t, comms.LooksLikeList("ops-team@example.com"))
		require.False(t, comms.LooksLikeList("ann@example.com"))
		require.False(t, comms.LooksLikeList("edith@example.com"))
	})
}

func TestSubscribersManageAndUnsubscribe(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := subSetup(t, bdb)
		ctx := b.ctx
		s, err := b.subs.Add(ctx, b.page.ID, "cem@example.com", comms.Subscription{}, comms.AddedByAdmin)
		require.NoError(t, err)
		mt := manageToken(t, b, s)
		require.NoError(t, b.subs.UpdateScope(ctx, b.page.ID, mt, comms.Subscription{Scope: comms.ScopeGroups, GroupIDs: []string{b.core.ID}}))
		got, err := b.subs.ByToken(ctx, b.page.ID, comms.PurposeManage, mt)
		require.NoError(t, err)
		require.Equal(t, comms.ScopeGroups, got.Scope)
		require.Equal(t, []string{b.core.ID}, got.GroupIDs)

		// The manage token does not work as a confirm or unsubscribe one.
		err = b.subs.Unsubscribe(ctx, b.page.ID, comms.PurposeUnsubscribe, mt)
		require.ErrorIs(t, err, comms.ErrTokenInvalid)
		ut := unsubToken(t, b, s)
		require.NoError(t, b.subs.Unsubscribe(ctx, b.page.ID, comms.PurposeUnsubscribe, ut))
		require.NoError(t, b.subs.Unsubscribe(ctx, b.page.ID, comms.PurposeUnsubscribe, ut), "twice is fine")
		require.Equal(t, comms.SubscriberUnsubscribed, b.subscriber(t, "cem@example.com").State)
		_, err = b.subs.ByToken(ctx, b.page.ID, comms.PurposeManage, mt)
		require.ErrorIs(t, err, comms.ErrLinkUsed, "manage link of someone who left")
		err = b.subs.UpdateScope(ctx, b.page.ID, mt, comms.Subscription{})
		require.ErrorIs(t, err, comms.ErrLinkUsed)
		require.Equal(t, comms.SubscriberUnsubscribed, b.subscriber(t, "cem@example.com").State)

		// An admin cannot overrule an unsubscribe.
		_, err = b.subs.Add(ctx, b.page.ID, "cem@example.com", comms.Subscription{}, comms.AddedByAdmin)
		require.Equal(t, status.KindConflict, status.KindOf(err))
	})
}

// Scoping: all, a group (with a component added to it later), a component;
// 250 subscribers paged in order; bounced after three permanent failures.
func TestSubscribersRecipients(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := subSetup(t, bdb)
		ctx := b.ctx
		add := func(addr string, sub comms.Subscription) *comms.Subscriber {
			s, err := b.subs.Add(ctx, b.page.ID, addr, sub, comms.AddedByAdmin)
			require.NoError(t, err)
			return s
		}
		all := add("all-components@example.com", comms.Subscription{Scope: comms.ScopeAll})
		grp := add("group@example.com", comms.Subscription{Scope: comms.ScopeGroups, GroupIDs: []string{b.core.ID}})
		site := add("site@example.com", comms.Subscription{Scope: comms.ScopeComponents, ComponentIDs: []string{b.site.ID}})
		later := statustest.Component(t, b.svc, b.page.ID, &statustest.ComponentOpts{Name: "Queue", GroupID: &b.core.ID})

		emails := func(comps ...string) []string {
			rs, err := b.subs.Recipients(ctx, b.page.ID, comps, "", 100)
			require.NoError(t, err)
			var out []string
			for _, r := range rs {
				out = append(out, r.Email)
			}
			return out
		}
		require.ElementsMatch(t, []string{all.Email, grp.Email}, emails(b.api.ID))
		require.ElementsMatch(t, []string{all.Email, grp.Email}, emails(later.ID), "a component added to the group later")
		require.ElementsMatch(t, []string{all.Email, site.Email}, emails(b.site.ID))
		require.ElementsMatch(t, []string{all.Email, grp.Email, site.Email}, emails(b.site.ID, b.api.ID))
		require.ElementsMatch(t, []string{all.Email}, emails(), "no components: all-component subscribers")

		// Moving the component out of the group takes it out of the scope.
		_, err := b.svc.Pages.UpdateComponent(ctx, b.page.ID, later.ID, status.ComponentPatch{GroupID: statustest.Ptr[*string](nil)})
		require.NoError(t, err)
		require.ElementsMatch(t, []string{all.Email}, emails(later.ID))

		// Bounced after three permanent failures in a row; a delivery in
		// between resets the count.
		require.NoError(t, b.subs.RecordPermanentFailure(ctx, site.ID))
		require.NoError(t, b.subs.RecordPermanentFailure(ctx, site.ID))
		require.NoError(t, b.subs.RecordDelivered(ctx, site.ID))
		require.NoError(t, b.subs.RecordPermanentFailure(ctx, site.ID))
		require.NoError(t, b.subs.RecordPermanentFailure(ctx, site.ID))
		require.Equal(t, comms.SubscriberConfirmed, b.subscriber(t, site.Email).State)
		require.NoError(t, b.subs.RecordPermanentFailure(ctx, site.ID))
		require.Equal(t, comms.SubscriberBounced, b.subscriber(t, site.Email).State)
		require.ElementsMatch(t, []string{all.Email}, emails(b.site.ID), "bounced addresses are not mailed")

		// 250 more, paged by 100.
		for i := range 250 {
			add(fmt.Sprintf("p%03d@example.com", i), comms.Subscription{Scope: comms.ScopeComponents, ComponentIDs: []string{b.api.ID}})
		}
		seen := map[string]bool{}
		after, pages := "", 0
		for {
			rs, err := b.subs.Recipients(ctx, b.page.ID, []string{b.api.ID}, after, 100)
			require.NoError(t, err)
			if len(rs) == 0 {
				break
			}
			pages++
			for _, r := range rs {
				require.Greater(t, r.ID, after, "ordered by id")
				require.False(t, seen[r.ID], "no subscriber twice")
				seen[r.ID] = true
				after = r.ID
			}
		}
		require.Len(t, seen, 252, "250 + all + group")
		require.Equal(t, 3, pages)
	})
}

func TestSubscribersAdminImportExport(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := subSetup(t, bdb)
		ctx := b.ctx
		csvIn := "email,components\n" +
			"dee@example.com,\n" +
			"EVE@example.com,API;website\n" +
			"not an address,\n" +
			"fay@example.com,No Such Thing\n" +
			"dee@example.com\n" +
			"all@example.com\n" +
			"\n" +
			"gus@example.com," + b.api.ID + "\n"
		rep, err := b.subs.Import(ctx, b.page.ID, strings.NewReader(csvIn))
		require.NoError(t, err)
		require.Equal(t, 4, rep.Added)
		problems := map[int]string{}
		for _, r := range rep.Rows {
			if !r.Added {
				problems[r.Line] = r.Problem
			}
			if r.Email == "all@example.com" {
				require.True(t, r.ListLike)
			}
		}
		require.Len(t, problems, 3, "%v", rep.Rows)
		require.Contains(t, problems[4], "email address")
		require.Contains(t, problems[5], `no component named "No Such Thing"`)
		require.Contains(t, problems[6], "already subscribed")

		eve := b.subscriber(t, "eve@example.com")
		require.Equal(t, comms.SubscriberConfirmed, eve.State)
		require.Equal(t, comms.AddedByImport, eve.AddedBy)
		require.Equal(t, comms.ScopeComponents, eve.Scope)
		require.Empty(t, b.emails(t, "eve@example.com"), "no confirmation for imported addresses")

		rows, err := b.subs.List(ctx, b.page.ID, "", 100)
		require.NoError(t, err)
		require.Len(t, rows, 4)
		require.Equal(t, "all@example.com", rows[0].Email)
		require.True(t, rows[0].ListLike())

		var out strings.Builder
		require.NoError(t, b.subs.Export(ctx, b.page.ID, &out))
		require.Contains(t, out.String(), "eve@example.com,API;Website,,confirmed,import")
		require.Equal(t, 5, strings.Count(out.String(), "\n"))

		// Audit entries for each addition, and for a removal.
		require.NoError(t, b.subs.Remove(ctx, b.page.ID, eve.ID))
		require.Equal(t, status.KindNotFound, status.KindOf(b.subs.Remove(ctx, b.page.ID, eve.ID)))
		log, err := b.svc.AuditLog(ctx, status.AuditFilter{SubjectType: "subscriber"})
		require.NoError(t, err)
		require.Len(t, log, 5)
		require.Equal(t, "delete", log[0].Action)

		// The form's limit.
		for i := range 3 {
			ok, err := b.subs.Allow(ctx, "ip:192.0.2.1", 3, 10*time.Minute)
			require.NoError(t, err)
			require.True(t, ok, "use %d", i)
		}
		ok, err := b.subs.Allow(ctx, "ip:192.0.2.1", 3, 10*time.Minute)
		require.NoError(t, err)
		require.False(t, ok)
		ok, err = b.subs.Allow(ctx, "ip:192.0.2.2", 3, 10*time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "another address")
		b.clock.Advance(11 * time.Minute)
		ok, err = b.subs.Allow(ctx, "ip:192.0.2.1", 3, 10*time.Minute)
		require.NoError(t, err)
		require.True(t, ok, "a new window")
	})
}
