package comms_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
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

// fakeAudience serves n subscribers, paged by id like the real one.
func fakeAudience(n int, calls *int) comms.Audience {
	var all []comms.Recipient
	for i := range n {
		id := fmt.Sprintf("sub%05d", i)
		all = append(all, comms.Recipient{ID: id, Email: id + "@example.net",
			ManageURL: "https://status.example/manage/" + id, UnsubscribeURL: "https://status.example/unsubscribe/" + id})
	}
	return func(_ context.Context, _ *status.Page, _ []string, after string, limit int) ([]comms.Recipient, error) {
		*calls++
		i := sort.Search(len(all), func(i int) bool { return all[i].ID > after })
		return all[i:min(len(all), i+limit)], nil
	}
}

// An update reaches every subscriber and every affected customer's contact
// exactly once, threaded under the incident's first email; customers see
// only their own name, and internal text never leaves.
func TestFanOutOfAnUpdate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		var mu sync.Mutex
		var fanouts []comms.FanOutArgs
		notifier := &comms.Notifier{Jobs: &statustest.Jobs{Queued: func(args river.JobArgs, _ *river.InsertOpts) error {
			mu.Lock()
			defer mu.Unlock()
			fanouts = append(fanouts, args.(comms.FanOutArgs))
			return nil
		}}}
		clock := statustest.NewClock(h.now)
		svc := status.New(bdb, status.Options{Notifier: notifier, Now: clock.Now})
		ctx := t.Context()
		p := statustest.Page(t, svc, &statustest.PageOpts{Name: "Nörthwind " + strings.Repeat("Cloud ", 20), SupportEmail: "support@northwind.example"})
		api := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "Public API"})
		secret := statustest.Component(t, svc, p.ID, &statustest.ComponentOpts{Name: "Secret Backend", Hidden: true})
		acme := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme",
			Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary}}})
		globex := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Globex",
			Contacts: []status.ContactInput{{Name: "Hank", Email: "hank@globex.example", Role: status.ContactPrimary}}})

		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "API errors", Severity: status.SeverityMinor,
			Body: "We are looking into errors.", Components: []status.ComponentStatusInput{
				{ComponentID: api.ID, Status: status.PartialOutage}, {ComponentID: secret.ID, Status: status.MajorOutage}}})
		require.NoError(t, svc.Incidents.SetCustomers(ctx, p.ID, inc.ID, []string{acme.ID, globex.ID}))
		_, err := svc.Incidents.AddNote(ctx, p.ID, inc.ID, "INTERNAL: the db password leaked", "Casey", nil)
		require.NoError(t, err)
		clock.Advance(20 * time.Minute)
		_, err = svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Kind: status.KindProgress, State: status.StateMitigating,
			Body: "A fix is **rolling out**."})
		require.NoError(t, err)
		silent := false
		_, err = svc.Incidents.PostUpdate(ctx, p.ID, inc.ID, status.UpdateInput{Body: "Typo fix.", Notify: &silent})
		require.NoError(t, err)
		require.Len(t, fanouts, 2, "the declaration and the update; the silent fix sends nothing")

		calls := 0
		f := &comms.FanOut{Service: svc, Outbox: h.box, Audience: fakeAudience(1203, &calls), Batch: 500}
		for _, a := range fanouts {
			require.NoError(t, f.Run(ctx, a))
		}
		require.Equal(t, 2*4, calls, "1203 subscribers in pages of 500, plus the empty last page, per update")
		for _, a := range fanouts {
			require.NoError(t, f.Run(ctx, a), "a fan-out run again queues nothing new")
		}
		var queued []*comms.Email
		require.NoError(t, bdb.NewSelect().Model(&queued).Order("created_at", "id").Scan(ctx))
		require.Len(t, queued, 2*(1203+2), "one email per recipient per update")

		// Deliver the customers' and a few subscribers' emails through SMTP
		// and read them as a mail client would.
		for _, e := range queued {
			if !strings.HasPrefix(e.To, "sub0000") && !strings.HasSuffix(e.To, ".example") {
				continue
			}
			require.NoError(t, h.box.Deliver(ctx, e.ID))
		}
		byRcpt := map[string][]*mail.Reader{}
		for _, m := range h.smtp.Messages() {
			raw := string(m.Data)
			require.NotContains(t, raw, "INTERNAL", "internal notes are never emailed")
			require.NotContains(t, raw, "Secret Backend", "hidden components are never named")
			r, err := mail.CreateReader(bytes.NewReader(m.Data))
			require.NoError(t, err)
			byRcpt[m.To[0]] = append(byRcpt[m.To[0]], r)
			if m.To[0] == "wile@acme.example" {
				require.Contains(t, raw, "Acme")
				require.NotContains(t, raw, "Globex", "a customer's email names only that customer")
				require.NotContains(t, raw, "hank@")
			}
			if m.To[0] == "hank@globex.example" {
				require.NotContains(t, raw, "Acme")
			}
		}
		require.Len(t, byRcpt, 12, "10 subscribers and 2 contacts")
		for rcpt, rs := range byRcpt {
			require.Len(t, rs, 2, rcpt)
			if rs[0].Header.Get("In-Reply-To") != "" {
				rs[0], rs[1] = rs[1], rs[0] // delivered in another order
			}
			require.Empty(t, rs[0].Header.Get("In-Reply-To"), "%s: the first email starts the thread", rcpt)
			first, err := rs[0].Header.MsgIDList("Message-Id")
			require.NoError(t, err)
			irt, err := rs[1].Header.MsgIDList("In-Reply-To")
			require.NoError(t, err)
			require.Equal(t, first, irt, "%s: the update replies to the incident's first email", rcpt)
			refs, err := rs[1].Header.MsgIDList("References")
			require.NoError(t, err)
			require.Equal(t, first, refs)
			subj, err := rs[1].Header.Subject()
			require.NoError(t, err)
			require.Equal(t, "[Nörthwind "+strings.TrimSpace(strings.Repeat("Cloud ", 20))+"] API errors — Mitigating", subj,
				"a long non-ASCII subject is folded and encoded, and decodes back")
			replyTo, err := rs[1].Header.AddressList("Reply-To")
			require.NoError(t, err)
			require.Equal(t, "support@northwind.example", replyTo[0].Address)
			if strings.HasPrefix(rcpt, "sub") {
				require.Contains(t, rs[1].Header.Get("List-Unsubscribe"), "/unsubscribe/")
			} else {
				require.Empty(t, rs[1].Header.Get("List-Unsubscribe"), "customer contacts are not subscribers")
			}
		}
	})
}

// Internal incidents send nothing; customers-only incidents reach the
// contacts but no subscriber, and link to no public page.
func TestFanOutRespectsVisibility(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		var fanouts []comms.FanOutArgs
		notifier := &comms.Notifier{Jobs: &statustest.Jobs{Queued: func(args river.JobArgs, _ *river.InsertOpts) error {
			fanouts = append(fanouts, args.(comms.FanOutArgs))
			return nil
		}}}
		svc := status.New(bdb, status.Options{Notifier: notifier})
		ctx := t.Context()
		p := statustest.Page(t, svc, nil)
		statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityInternal})
		require.Empty(t, fanouts, "internal incidents send nothing")

		acme := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme"})
		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Visibility: status.VisibilityCustomers, Title: "Acme only"})
		require.NoError(t, svc.Incidents.SetCustomers(ctx, p.ID, inc.ID, []string{acme.ID}))
		require.Len(t, fanouts, 1)
		calls := 0
		tokens := comms.NewTokens([]byte("a secret of enough bytes for links"))
		f := &comms.FanOut{Service: svc, Outbox: h.box, Audience: fakeAudience(5, &calls), Tokens: tokens}
		require.NoError(t, f.Run(ctx, fanouts[0]))
		require.Zero(t, calls, "subscribers are not asked about a customers-only incident")
		var queued []*comms.Email
		require.NoError(t, bdb.NewSelect().Model(&queued).Scan(ctx))
		require.Len(t, queued, 1)
		require.Equal(t, acme.Contacts[0].Email, queued[0].To)
		m := regexp.MustCompile(`/incidents/` + inc.ID + `/private/(\S+)`).FindStringSubmatch(queued[0].Text)
		require.NotNil(t, m, "a private link instead of the public page: %s", queued[0].Text)
		gotInc, gotCustomer, err := comms.CheckPrivateLink(tokens, m[1], svc.Now())
		require.NoError(t, err)
		require.Equal(t, inc.ID, gotInc)
		require.Equal(t, acme.ID, gotCustomer)
		require.Contains(t, queued[0].HTML, "/private/"+m[1])
	})
}
