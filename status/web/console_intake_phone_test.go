package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The customer form keeps each contact's phone number and preferred
// channel and the customer's on-call wiki link; the customer page and the
// incident page show them. Bad values come back beside their field with
// what was typed.
func TestConsoleCustomerPhoneAndChannel(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		br := customerBrowser(t, b, status.RoleEngineer)
		form := br.send(http.MethodGet, "/console/customers/new", nil)
		require.Contains(t, form.String(), `name="contacts.0.phone"`)
		require.Contains(t, form.String(), `<option value="email" selected>Email</option>`, "email by default")
		require.Contains(t, form.String(), `name="oncall_url"`)

		valid := func() url.Values {
			f := newCustomerForm(t, form)
			f.Set("contacts.0.phone", "+49 30 1234-567")
			f.Set("contacts.0.preferred_channel", "phone")
			f.Set("contacts.2.preferred_channel", "chat")
			f.Set("oncall_url", "https://wiki.example/oncall/acme")
			return f
		}
		for _, tc := range []struct {
			name  string
			edit  func(url.Values)
			wants []string
		}{
			{"phone with letters", func(f url.Values) { f.Set("contacts.0.phone", "CALL-ACME") },
				[]string{`value="CALL-ACME"`, "must be a phone number"}},
			{"phone of 1 000 digits", func(f url.Values) { f.Set("contacts.0.phone", strings.Repeat("9", 1000)) },
				[]string{"at most 40 characters"}},
			{"phone with a script", func(f url.Values) { f.Set("contacts.0.phone", customerScript) },
				[]string{"&lt;script&gt;alert(1)&lt;/script&gt;", "must be a phone number"}},
			{"unknown channel", func(f url.Values) { f.Set("contacts.0.preferred_channel", "pigeon") },
				[]string{"must be one of email, phone, chat, video, ticket"}},
			{"on-call link to javascript", func(f url.Values) { f.Set("oncall_url", "javascript:alert(1)") },
				[]string{`value="javascript:alert(1)"`, "must be an http or https URL"}},
			{"on-call link without scheme", func(f url.Values) { f.Set("oncall_url", "wiki.example/acme") },
				[]string{"must be an http or https URL"}},
			{"a contact with only a phone has no email", func(f url.Values) { f.Set("contacts.1.phone", "030 999") },
				[]string{`value="030 999"`, "is required"}},
		} {
			f := valid()
			tc.edit(f)
			r := br.send(http.MethodPost, "/console/customers", f)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, tc.name)
			require.Contains(t, r.String(), `class="field-error"`, tc.name)
			require.NotContains(t, r.String(), "<script>alert", tc.name)
			require.Contains(t, r.String(), `value="Acme Corp"`, "%s: what was typed is kept", tc.name)
			for _, w := range tc.wants {
				require.Contains(t, r.String(), w, tc.name)
			}
		}
		cs, err := b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Empty(t, cs, "nothing saved for bad input")

		r := br.send(http.MethodPost, "/console/customers", valid())
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		cs, err = b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		cu := cs[0]
		require.Equal(t, "+49 30 1234-567", cu.Contacts[0].Phone)
		require.Equal(t, status.ChannelPhone, cu.Contacts[0].PreferredChannel)
		require.Equal(t, status.ChannelChat, cu.Contacts[1].PreferredChannel)
		require.Equal(t, "https://wiki.example/oncall/acme", cu.OncallURL)

		page := br.send(http.MethodGet, r.Header.Get("Location"), nil).String()
		require.Contains(t, page, `<td>&#43;49 30 1234-567</td><td>Phone</td>`)
		require.Contains(t, page, `<a href="https://wiki.example/oncall/acme" rel="noopener noreferrer" target="_blank">`)
		require.Contains(t, page, `<option value="phone" selected>Phone</option>`, "the form shows the stored channel")
		require.Contains(t, page, `value="https://wiki.example/oncall/acme"`)

		// The incident page shows them beside the on-call notes.
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Customers: []string{cu.ID}})
		incPage := br.send(http.MethodGet, incidentURLOf(p.ID, inc.ID), nil).String()
		require.Contains(t, incPage, `On-call wiki: <a href="https://wiki.example/oncall/acme"`)
		require.Contains(t, incPage, `<td>&#43;49 30 1234-567</td><td>Phone</td>`)
	})
}

// The admin API's customers carry contacts' phone numbers and preferred
// channels and the on-call link; they need a token.
func TestAdminAPICustomers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setupAdmin(t, bdb)
		require.Empty(t, b.list(t, "/api/v1/customers"))
		cu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", OncallURL: "https://wiki.example/acme",
			Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Phone: "+49 30 1234-567",
				PreferredChannel: status.ChannelVideo, Role: status.ContactPrimary}}})
		list := b.list(t, "/api/v1/customers")
		require.Len(t, list, 1)
		got := b.object(t, http.StatusOK, http.MethodGet, "/api/v1/customers/"+cu.ID, nil)
		require.Equal(t, "Acme", got["name"])
		require.Equal(t, "https://wiki.example/acme", got["oncall_url"])
		contact := got["contacts"].([]any)[0].(map[string]any)
		require.Equal(t, "+49 30 1234-567", contact["phone"])
		require.Equal(t, "video", contact["preferred_channel"])
		require.NotContains(t, contact, "phone_key")

		b.object(t, http.StatusNotFound, http.MethodGet, "/api/v1/customers/"+status.NewID(), nil)
		b.object(t, http.StatusNotFound, http.MethodGet, "/api/v1/customers/..%2Fx", nil)
		require.Equal(t, http.StatusUnauthorized, b.do(t, apiRequest(http.MethodGet, "/api/v1/customers", "", nil)).Code)
		require.Equal(t, http.StatusUnauthorized, b.do(t, apiRequest(http.MethodGet, "/api/v1/customers/"+cu.ID, "hrld_wrong", nil)).Code)
	})
}

// The phone form's picker finds the caller's customer by name or number
// (without JavaScript: the Find button, keeping what was typed) and the
// call is recorded with the chosen customer and contact; a bad choice is
// refused beside the picker and nothing is stored.
func TestConsolePhoneCustomerPicker(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Contacts: []status.ContactInput{
			{Name: "Wile", Email: "wile@acme.example", Phone: "+49 30 1234-567", Role: status.ContactPrimary},
			{Name: "Desk", Email: "desk@acme.example", Role: status.ContactTechnical}}})
		beta := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Beta <Ltd>", Contacts: []status.ContactInput{
			{Name: "Bea", Email: "bea@beta.example", Phone: "+33 1 2345 6789", Role: status.ContactPrimary}}})
		wile := acme.ID + "/" + acme.Contacts[0].ID
		br := customerBrowser(t, b, status.RoleEngineer)
		page := br.send(http.MethodGet, "/console/inbox/phone", nil)
		require.Equal(t, http.StatusOK, page.Code)
		body := page.String()
		require.Contains(t, body, `<option value="">Unknown customer</option>`)
		require.Contains(t, body, `<option value="`+wile+`">Acme: Wile · &#43;49 30 1234-567 · Primary</option>`)
		require.Contains(t, body, `<optgroup label="Beta &lt;Ltd&gt;">`, "without a search every customer is offered")
		require.Contains(t, body, `data-customer-search="customer"`)
		tok := csrfOf(t, page)
		typed := func() url.Values {
			return url.Values{"_csrf": {tok}, "sender_name": {"Ann"}, "sender_phone": {"0049 30 1234567"}, "title": {"Cannot log in"},
				"body": {"Since 9:00."}}
		}

		// Find by number: Acme only, its matching contact chosen, what was typed kept.
		f := typed()
		f.Set("find", "1")
		r := br.send(http.MethodPost, "/console/inbox/phone", f)
		require.Equal(t, http.StatusOK, r.Code)
		body = r.String()
		require.Contains(t, body, `1 customer matches &#34;0049 30 1234567&#34;.`)
		require.Contains(t, body, `value="0049 30 1234567"`, "the caller's number is the search")
		require.Contains(t, body, `<option value="`+wile+`" selected>Acme: Wile · &#43;49 30 1234-567 · Primary · number matches</option>`)
		require.NotContains(t, body, "Beta")
		require.Contains(t, body, `value="Cannot log in"`)
		require.Contains(t, body, "Since 9:00.</textarea>")
		items, err := b.svc.Intake.Items(b.ctx, status.IntakeFilter{})
		require.NoError(t, err)
		require.Empty(t, items, "finding records nothing")

		// Find by name; no match lists everybody.
		f.Set("customer_q", "BETA")
		f.Del("customer")
		body = br.send(http.MethodPost, "/console/inbox/phone", f).String()
		require.Contains(t, body, `<option value="`+beta.ID+`" selected>Beta &lt;Ltd&gt;: no particular contact</option>`)
		f.Set("customer_q", "nobody")
		body = br.send(http.MethodPost, "/console/inbox/phone", f).String()
		require.Contains(t, body, "No customer matches &#34;nobody&#34;: every customer is listed.")
		require.Contains(t, body, "Beta &lt;Ltd&gt;: no particular contact")
		require.Contains(t, body, "Acme: no particular contact")
		f.Set("customer_q", "a\x00b")
		r = br.send(http.MethodPost, "/console/inbox/phone", f)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), `class="field-error"`)

		// Bad choices.
		gone := statustest.Customer(t, b.svc, nil)
		require.NoError(t, b.svc.Customers.Delete(b.ctx, gone.ID))
		for _, tc := range []struct{ name, value string }{
			{"not an id", "nonsense!"},
			{"a path", "../../etc"},
			{"three parts", acme.ID + "/" + acme.Contacts[0].ID + "/x"},
			{"another customer's contact", beta.ID + "/" + acme.Contacts[0].ID},
			{"a deleted customer", gone.ID},
			{"an unknown customer", status.NewID()},
			{"a script", customerScript},
		} {
			f := typed()
			f.Set("customer", tc.value)
			r := br.send(http.MethodPost, "/console/inbox/phone", f)
			require.Equal(t, http.StatusUnprocessableEntity, r.Code, tc.name)
			require.Contains(t, r.String(), `class="field-error"`, tc.name)
			require.Contains(t, r.String(), `value="Cannot log in"`, "%s: what was typed is kept", tc.name)
			require.NotContains(t, r.String(), "<script>alert", tc.name)
		}
		items, err = b.svc.Intake.Items(b.ctx, status.IntakeFilter{})
		require.NoError(t, err)
		require.Empty(t, items, "nothing stored for bad choices")

		// Recorded with the chosen contact: no longer an unknown sender.
		f = typed()
		f.Set("customer", wile)
		r = br.send(http.MethodPost, "/console/inbox/phone", f)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		items, err = b.svc.Intake.Items(b.ctx, status.IntakeFilter{})
		require.NoError(t, err)
		require.Len(t, items, 1)
		require.Equal(t, acme.ID, items[0].CustomerID)
		require.Equal(t, status.MatchChosen, items[0].Matched())
		require.Equal(t, "Ann", items[0].SenderName, "what was typed wins over the contact")
		require.Equal(t, "wile@acme.example", items[0].SenderEmail)
		body = br.send(http.MethodGet, r.Header.Get("Location"), nil).String()
		require.Contains(t, body, `<a href="/console/customers/`+acme.ID+`">Acme</a> <span class="hint">(chosen when the call was recorded)</span>`)
		require.NotContains(t, body, "unknown sender")
		list := br.send(http.MethodGet, "/console/inbox", nil).String()
		require.Contains(t, list, `<a href="/console/customers/`+acme.ID+`">Acme</a>`)
		require.NotContains(t, list, "unknown sender")
	})
}

// The console's customer search answers JSON for the picker: by name or
// number, with the matching contacts marked; a bad query is a 422 with
// the reason; anonymous and API-token callers are turned away like on
// every console route.
func TestConsoleCustomerSearch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme", Contacts: []status.ContactInput{
			{Name: "Wile", Email: "wile@acme.example", Phone: "+49 30 1234-567", Role: status.ContactPrimary},
			{Name: "Desk", Email: "desk@acme.example", Role: status.ContactTechnical}}})
		statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Beta"})
		br := customerBrowser(t, b, status.RoleViewer)
		search := func(q string) (int, map[string]any) {
			t.Helper()
			r := br.send(http.MethodGet, "/console/customers/search?q="+url.QueryEscape(q), nil)
			require.Contains(t, r.Header.Get("Content-Type"), "application/json", q)
			var out map[string]any
			require.NoError(t, json.Unmarshal(r.Body, &out), r.String())
			return r.Code, out
		}

		code, out := search("0049301234567")
		require.Equal(t, http.StatusOK, code)
		cs := out["customers"].([]any)
		require.Len(t, cs, 1)
		hit := cs[0].(map[string]any)
		require.Equal(t, acme.ID, hit["id"])
		require.Equal(t, false, hit["by_name"])
		contacts := hit["contacts"].([]any)
		require.Len(t, contacts, 2, "every contact, to choose from")
		require.Equal(t, true, contacts[0].(map[string]any)["matched"])
		require.Equal(t, false, contacts[1].(map[string]any)["matched"])

		_, out = search("acm")
		require.Len(t, out["customers"], 1)
		require.Equal(t, true, out["customers"].([]any)[0].(map[string]any)["by_name"])
		for _, q := range []string{"", "zzz", "' OR 1=1 --", "%"} {
			code, out = search(q)
			require.Equal(t, http.StatusOK, code, q)
			require.Empty(t, out["customers"], q)
		}
		for _, q := range []string{strings.Repeat("a", 201), "a\x00b", "a\nb"} {
			code, out = search(q)
			require.Equal(t, http.StatusUnprocessableEntity, code)
			require.NotEmpty(t, out["error"])
		}

		anon := newBrowser(t, b).send(http.MethodGet, "/console/customers/search?q=acme", nil)
		require.Equal(t, http.StatusSeeOther, anon.Code)
		require.NotContains(t, anon.String(), "Acme")
		tok, _, err := b.svc.Accounts.CreateToken(b.ctx, "automation", status.RoleAdmin)
		require.NoError(t, err)
		r := b.do(t, apiRequest(http.MethodGet, "/console/customers/search?q=acme", tok, nil))
		require.Equal(t, http.StatusSeeOther, r.Code, "an API token is no console session")
		require.NotContains(t, r.String(), "Acme")
	})
}
