package inbound_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

type routeBundle struct {
	svc     *status.Service
	store   *inbound.Store
	router  *inbound.Router
	threads map[string][2]string // Herald's Message-IDs → page and incident
	reports []string
	told    []string
	acks    []string
	fail    error
}

func routeSetup(t *testing.T, bdb *bun.DB) *routeBundle {
	b := &routeBundle{svc: status.New(bdb, status.Options{}), threads: map[string][2]string{}}
	b.store = inbound.NewStore(bdb, inbound.StoreOptions{Own: []string{"status@herald.example"}})
	b.router = &inbound.Router{Service: b.svc, Store: b.store,
		Thread: func(_ context.Context, ids []string) (string, string, bool, error) {
			if b.fail != nil {
				return "", "", false, b.fail
			}
			for _, id := range ids {
				if pi, ok := b.threads[id]; ok {
					return pi[0], pi[1], true, nil
				}
			}
			return "", "", false, nil
		},
		Report: func(_ context.Context, _ bun.Tx, messageID, rcpt string, permanent bool, diag string) (bool, error) {
			if _, ok := b.threads[messageID]; !ok {
				return false, nil
			}
			b.reports = append(b.reports, messageID+" "+rcpt+" "+map[bool]string{true: "permanent", false: "temporary"}[permanent]+" "+diag)
			return true, nil
		},
		Acknowledger: acknowledger(func(to, incidentID string) {
			where := "incident " + incidentID
			if incidentID == "" {
				where = "triage"
			}
			b.acks = append(b.acks, to+" "+where)
		})}
	b.svc = status.New(bdb, status.Options{Notifier: &tellNotifier{told: &b.told}})
	b.router.Service = b.svc
	return b
}

// route stores raw and routes it, returning the stored message.
func (b *routeBundle) route(t *testing.T, raw string) *inbound.StoredMessage {
	t.Helper()
	id, stored, err := b.store.Add(t.Context(), strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n")))
	require.NoError(t, err)
	require.True(t, stored)
	require.NoError(t, b.router.Route(t.Context(), id))
	require.NoError(t, b.router.Route(t.Context(), id), "routing twice does nothing twice")
	m, err := b.store.Message(t.Context(), id)
	require.NoError(t, err)
	return m
}

func TestRouterPlacesEachMessage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := routeSetup(t, bdb)
		ctx := t.Context()
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Domains: []string{"acme.example"}})
		statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Globex", Domains: []string{"globex.example"}})
		p := statustest.Page(t, b.svc, nil)
		private := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Acme's API errors",
			Visibility: status.VisibilityCustomers, Customers: []string{acme.ID}})
		public := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Website slow"})
		b.threads["u.1.c@herald.example"] = [2]string{p.ID, private.ID}
		b.threads["u.2.s@herald.example"] = [2]string{p.ID, public.ID}

		// A new question: the triage inbox.
		m := b.route(t, "From: Wile <wile@acme.example>\nMessage-ID: <q1@acme.example>\nSubject: Is the API down?\n\nSince 10:00 we get 500s.\n")
		require.Equal(t, inbound.MessageIntake, m.Status)
		item, err := b.svc.Intake.Item(ctx, m.IntakeID)
		require.NoError(t, err)
		require.Equal(t, "Is the API down?", item.Title)
		require.Contains(t, item.Body, "Since 10:00 we get 500s.")
		require.Equal(t, acme.ID, item.CustomerID)
		require.Equal(t, m.ID, item.InboundID)
		require.False(t, item.UnverifiedThread)

		// Acme replies to Acme's incident: its timeline, without the quote.
		m = b.route(t, "From: Wile <wile@acme.example>\nMessage-ID: <r1@acme.example>\nIn-Reply-To: <u.1.c@herald.example>\n"+
			"Subject: Re: [Page] Acme's API errors\n\nWorks again for us, thanks!\n\nOn Tue, 24 Nov 2026 at 10:00, Status wrote:\n> We are investigating.\n")
		require.Equal(t, inbound.MessageTimeline, m.Status)
		require.Equal(t, private.ID, m.IncidentID)
		tl, err := b.svc.Incidents.Timeline(ctx, p.ID, private.ID)
		require.NoError(t, err)
		last := tl[len(tl)-1]
		require.Equal(t, status.TimelineCustomer, last.Kind)
		require.Equal(t, m.ID, last.Ref)
		require.Contains(t, last.Text(), "Email from Wile <wile@acme.example>: Re: [Page] Acme's API errors")
		require.Contains(t, last.Text(), "Works again for us")
		require.NotContains(t, last.Text(), "We are investigating", "the quoted history is folded away")
		require.Len(t, b.told, 1)

		// Globex replies into Acme's thread (a forwarded email): triage,
		// flagged, never Acme's timeline.
		m = b.route(t, "From: Hank <hank@globex.example>\nMessage-ID: <r2@globex.example>\nReferences: <x@y> <u.1.c@herald.example>\n"+
			"Subject: Re: [Page] Acme's API errors\n\nWe see this too.\n")
		require.Equal(t, inbound.MessageIntake, m.Status)
		item, err = b.svc.Intake.Item(ctx, m.IntakeID)
		require.NoError(t, err)
		require.True(t, item.UnverifiedThread)
		tl2, err := b.svc.Incidents.Timeline(ctx, p.ID, private.ID)
		require.NoError(t, err)
		require.Len(t, tl2, len(tl), "nothing on Acme's incident")
		// So does a stranger.
		m = b.route(t, "From: someone@freemail.example\nMessage-ID: <r3@freemail.example>\nIn-Reply-To: <u.1.c@herald.example>\nSubject: Re: hi\n\n?\n")
		require.Equal(t, inbound.MessageIntake, m.Status)

		// Anyone may reply to a public incident that names no customer.
		m = b.route(t, "From: reader@freemail.example\nMessage-ID: <r4@freemail.example>\nIn-Reply-To: <u.2.s@herald.example>\nSubject: Re: slow\n\nStill slow here.\n")
		require.Equal(t, inbound.MessageTimeline, m.Status)
		require.Equal(t, public.ID, m.IncidentID)

		// A bounce of one of Herald's emails: recorded on it, not intake.
		bounce, err := os.ReadFile("mime/testdata/postfix-bounce.eml")
		require.NoError(t, err)
		b.threads["incident-42.update-7@herald.example"] = [2]string{p.ID, public.ID}
		m = b.route(t, string(bytes.ReplaceAll(bounce, []byte("\r\n"), []byte("\n"))))
		require.Equal(t, inbound.MessageReport, m.Status)
		require.Len(t, b.reports, 1)
		require.Contains(t, b.reports[0], "incident-42.update-7@herald.example gone@example.com permanent 5.1.1")
		require.Empty(t, m.IntakeID)
		// One about an email Herald never sent is not lost.
		delete(b.threads, "incident-42.update-7@herald.example")
		other := strings.NewReplacer("Message-ID: <", "Message-ID: <other-", "Message-Id: <", "Message-Id: <other-")
		m = b.route(t, other.Replace(string(bytes.ReplaceAll(bounce, []byte("\r\n"), []byte("\n")))))
		require.Equal(t, inbound.MessageIntake, m.Status)

		// A subject naming the incident joins it, from its customer only.
		m = b.route(t, "From: Wile <wile@acme.example>\nMessage-ID: <s1@acme.example>\nSubject: Still broken ["+private.Reference()+"]\n\nStill 500s.\n")
		require.Equal(t, inbound.MessageTimeline, m.Status)
		require.Equal(t, private.ID, m.IncidentID)
		m = b.route(t, "From: hank@globex.example\nMessage-ID: <s2@globex.example>\nSubject: re "+strings.ToLower(private.Reference())+"\n\n?\n")
		require.Equal(t, inbound.MessageIntake, m.Status)
		item, err = b.svc.Intake.Item(ctx, m.IntakeID)
		require.NoError(t, err)
		require.True(t, item.UnverifiedThread)
		m = b.route(t, "From: x@acme.example\nMessage-ID: <s3@acme.example>\nSubject: INC-zzzzzzzzzzzz\n\n?\n")
		require.Equal(t, inbound.MessageIntake, m.Status, "a reference to no incident")

		// Only people are answered: never automatic mail or reports.
		before := len(b.acks)
		b.route(t, "From: Wile <wile@acme.example>\nMessage-ID: <ooo@acme.example>\nAuto-Submitted: auto-replied\nSubject: Out of office\n\nAway.\n")
		b.route(t, "From: list@acme.example\nMessage-ID: <list@acme.example>\nList-Id: <ops.acme.example>\nSubject: Digest\n\nNews.\n")
		require.Len(t, b.acks, before, "no answer to automatic mail")
		require.Contains(t, b.acks, "wile@acme.example triage")
		require.Contains(t, b.acks, "wile@acme.example incident "+private.ID)
		require.NotContains(t, strings.Join(b.acks, "\n"), "mailer-daemon", "reports are not answered")

		// Garbage still becomes an item a person can read.
		m = b.route(t, "Subject: \x00\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain; charset=x-unknown\n\nhello\x00there\n")
		require.Equal(t, inbound.MessageIntake, m.Status)
		item, err = b.svc.Intake.Item(ctx, m.IntakeID)
		require.NoError(t, err)
		require.Equal(t, "(no subject)", item.Title)
		require.Contains(t, item.Body, "[Herald: ")
		require.Equal(t, status.MatchUnknown, item.CustomerMatch)
	})
}

// A failure while placing a message leaves it to be routed again: nothing
// is half done, nothing lost.
func TestRouterRetriesAfterAFailure(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := routeSetup(t, bdb)
		ctx := t.Context()
		id, _, err := b.store.Add(ctx, strings.NewReader("From: a@b.example\r\nMessage-ID: <f1@b.example>\r\nIn-Reply-To: <z@herald.example>\r\nSubject: x\r\n\r\ny\r\n"))
		require.NoError(t, err)
		b.fail = errors.New("database hiccup")
		require.ErrorContains(t, b.router.Route(ctx, id), "database hiccup")
		m, err := b.store.Message(ctx, id)
		require.NoError(t, err)
		require.Equal(t, inbound.MessageNew, m.Status)
		n, err := b.svc.Intake.OpenCount(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
		b.fail = nil
		require.NoError(t, b.router.Route(ctx, id))
		n, err = b.svc.Intake.OpenCount(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		m, err = b.store.Message(ctx, id)
		require.NoError(t, err)
		require.Equal(t, inbound.MessageIntake, m.Status)
	})
}

// acknowledger hands each acknowledgement's address and incident to fn.
type acknowledger func(to, incidentID string)

func (f acknowledger) Acknowledge(_ context.Context, _ *status.Tx, to, _, _ string, _ time.Time, _, incidentID string) error {
	f(to, incidentID)
	return nil
}

// tellNotifier records the customers' messages written on timelines.
type tellNotifier struct {
	status.NopNotifier
	told *[]string
}

func (n *tellNotifier) CustomerWrote(_ context.Context, _ *status.Tx, inc *status.Incident, m status.CustomerMessage) error {
	*n.told = append(*n.told, inc.ID+": "+m.Text)
	return nil
}
