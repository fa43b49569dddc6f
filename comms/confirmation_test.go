package comms_test

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A customer request reaches only the primary contacts of each affected
// customer, through SMTP, one email each naming only that customer, with
// no internal text, threaded so that a reply finds the incident; an
// internal request reaches the team member asked.
func TestConfirmationRequestEmails(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		base, err := url.Parse("https://herald.example.org")
		require.NoError(t, err)
		tokens := comms.NewTokens([]byte("a secret of enough bytes for links"))
		clock := statustest.NewClock(h.now)
		svc := status.New(bdb, status.Options{Now: clock.Now,
			Notifier: &comms.Notifier{Outbox: h.box, BaseURL: base, Tokens: tokens}})
		ctx := t.Context()
		p := statustest.Page(t, svc, &statustest.PageOpts{Name: "Northwind", SupportEmail: "support@northwind.example"})
		acme := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme", Contacts: []status.ContactInput{
			{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary},
			{Name: "Road Runner", Email: "rr@acme.example", Role: status.ContactTechnical},
			{Email: "ops@acme.example", Role: status.ContactPrimary}}})
		globex := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Globex", Contacts: []status.ContactInput{
			{Name: "Hank", Email: "hank@globex.example", Role: status.ContactPrimary},
			{Name: "Boss", Email: "boss@globex.example", Role: status.ContactEscalation}}})
		jane := statustest.User(t, svc, &statustest.UserOpts{Name: "Jane Lead", Email: "jane@team.example"})
		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "Checkout errors", Visibility: status.VisibilityCustomers,
			Customers: []string{acme.ID, globex.ID}})
		_, err = svc.Incidents.AddNote(ctx, p.ID, inc.ID, "INTERNAL: db1 password rotated", "Casey", nil)
		require.NoError(t, err)
		_, err = svc.Incidents.Update(ctx, p.ID, inc.ID, status.IncidentPatch{VideoRoom: statustest.Ptr("https://meet.team.example/checkout")})
		require.NoError(t, err)

		actor := status.WithActor(ctx, status.Actor{Kind: status.ActorUser, ID: jane.ID, Name: "Max Commander"})
		req, err := svc.Incidents.RequestConfirmation(actor, p.ID, inc.ID, status.RequestConfirmationInput{
			Kind: status.ConfirmationCustomer, Message: "Please try a test order <b>now</b>."})
		require.NoError(t, err)
		internal, err := svc.Incidents.RequestConfirmation(actor, p.ID, inc.ID, status.RequestConfirmationInput{
			Kind: status.ConfirmationInternal, UserID: jane.ID, Message: "Check the payment queue too."})
		require.NoError(t, err)

		var queued []*comms.Email
		require.NoError(t, bdb.NewSelect().Model(&queued).Order("to_addr").Scan(ctx))
		require.Len(t, queued, 4, "three primary contacts and the team member; nobody else")
		for _, e := range queued {
			require.NoError(t, h.box.Deliver(ctx, e.ID))
		}
		got := map[string]mail.Header{}
		raws := map[string]string{}
		for _, m := range h.smtp.Messages() {
			require.Len(t, m.To, 1, "one recipient per email")
			r, err := mail.CreateReader(bytes.NewReader(m.Data))
			require.NoError(t, err)
			// The headers as sent, and every part decoded, as a mail
			// client shows them.
			read := string(m.Data)
			for {
				part, err := r.NextPart()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				body, err := io.ReadAll(part.Body)
				require.NoError(t, err)
				read += "\n" + string(body)
			}
			got[m.To[0]], raws[m.To[0]] = r.Header, read
			require.NotContains(t, read, "INTERNAL", "internal notes are never emailed")
		}
		require.ElementsMatch(t, []string{"wile@acme.example", "ops@acme.example", "hank@globex.example", "jane@team.example"},
			keys(raws), "primary contacts only: not the technical or escalation contacts")

		privateLink := regexp.MustCompile(`https://herald\.example\.org/p/[a-z0-9-]+/incidents/` + inc.ID + `/private/([A-Za-z0-9_.-]+)`)
		for to, customer := range map[string]*status.Customer{"wile@acme.example": acme, "ops@acme.example": acme, "hank@globex.example": globex} {
			raw, hdr := raws[to], got[to]
			other := map[string]string{acme.ID: "Globex", globex.ID: "Acme"}[customer.ID]
			require.Contains(t, raw, customer.Name, "%s: names its own customer", to)
			require.NotContains(t, raw, other, "%s: never another customer's name", to)
			for _, addr := range []string{"wile@", "ops@", "hank@", "rr@", "boss@", "jane@"} {
				if !strings.HasPrefix(to, addr) {
					require.NotContains(t, raw, addr, "%s: no other address", to)
				}
			}
			require.NotContains(t, raw, "Max Commander", "%s: no staff names", to)
			subject, err := hdr.Subject()
			require.NoError(t, err)
			require.Equal(t, "[Northwind] Please confirm your services are back: Checkout errors [INC-"+inc.ID+"]", subject)
			replyTo, err := hdr.AddressList("Reply-To")
			require.NoError(t, err)
			require.Equal(t, "support@northwind.example", replyTo[0].Address)
			ids, err := hdr.MsgIDList("Message-Id")
			require.NoError(t, err)
			require.Len(t, ids, 1)
			require.True(t, strings.HasPrefix(ids[0], "cr."+req.ID+".c."), ids[0])
			irt, err := hdr.MsgIDList("In-Reply-To")
			require.NoError(t, err)
			require.Len(t, irt, 1)
			require.True(t, strings.HasPrefix(irt[0], "i."+inc.ID+".c."), "in the thread of the incident's emails to the contact: %s", irt[0])
			refs, err := hdr.MsgIDList("References")
			require.NoError(t, err)
			require.Equal(t, irt, refs)
			require.Equal(t, "auto-generated", hdr.Get("Auto-Submitted"))

			// A reply names the request's Message-ID: it threads back into
			// the incident.
			pageID, incID, ok, err := h.box.ThreadOf(ctx, []string{"unknown@elsewhere.example", ids[0]})
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, p.ID, pageID)
			require.Equal(t, inc.ID, incID)

			m := privateLink.FindStringSubmatch(raw)
			require.NotNil(t, m, "%s: a private link to the customers-only incident", to)
			gotInc, gotCustomer, err := comms.CheckPrivateLink(tokens, m[1], clock.Now())
			require.NoError(t, err)
			require.Equal(t, inc.ID, gotInc)
			require.Equal(t, customer.ID, gotCustomer, "%s: the link is its own customer's", to)
		}
		for _, e := range queued {
			switch e.To {
			case "jane@team.example":
				require.Equal(t, "internal", e.Kind)
				require.Equal(t, "confirm:"+internal.ID+":u."+jane.ID, e.DedupeKey)
				require.Contains(t, e.Text, "Max Commander asks you to confirm")
				require.Contains(t, e.Text, "Check the payment queue too.")
				require.Contains(t, e.Text, "https://herald.example.org/console/pages/"+p.ID+"/incidents/"+inc.ID+"#close-h")
				require.Contains(t, e.Subject, "Checkout errors")
				require.Contains(t, e.Text, "Video room: https://meet.team.example/checkout")
			default:
				require.NotContains(t, e.Text+e.HTML, "meet.team.example", "the team's video room is the team's")
				require.Equal(t, comms.KindConfirmationRequest, e.Kind)
				require.Equal(t, inc.ID, e.IncidentID)
				require.Contains(t, e.Text, "Please try a test order <b>now</b>.", "the message as typed in the text part")
				require.Contains(t, e.HTML, "Please try a test order &lt;b&gt;now&lt;/b&gt;.", "escaped in the HTML part")
				require.NotContains(t, e.HTML, "<b>now")
				require.Contains(t, e.Text, "reply to this email to confirm")
			}
		}
	})
}

// A public incident's request links to the public incident page.
func TestConfirmationRequestLinksPublicIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, true)
		base, err := url.Parse("https://herald.example.org")
		require.NoError(t, err)
		svc := status.New(bdb, status.Options{Notifier: &comms.Notifier{Outbox: h.box, BaseURL: base}})
		p := statustest.Page(t, svc, &statustest.PageOpts{Hosts: []string{"status.northwind.example"}})
		acme := statustest.Customer(t, svc, &statustest.CustomerOpts{Name: "Acme"})
		inc := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Customers: []string{acme.ID}})
		_, err = svc.Incidents.RequestConfirmation(t.Context(), p.ID, inc.ID, status.RequestConfirmationInput{Kind: status.ConfirmationCustomer})
		require.NoError(t, err)
		var queued []*comms.Email
		require.NoError(t, bdb.NewSelect().Model(&queued).Scan(t.Context()))
		require.Len(t, queued, 1)
		require.Equal(t, comms.EmailOutbox, queued[0].Status, "without SMTP it waits in the dev outbox")
		require.Contains(t, queued[0].Text, "Follow this incident: https://status.northwind.example/incidents/"+inc.ID)
		require.NotContains(t, queued[0].Text, "/private/")
	})
}
