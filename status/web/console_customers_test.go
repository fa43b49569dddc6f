package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
	"github.com/herald-status/herald/templates"
)

func init() {
	allowConsole(map[string]string{
		"GET /console/customers":             "signed-in",
		"GET /console/customers/new":         "writer",
		"POST /console/customers":            "writer",
		"GET /console/customers/:id":         "signed-in",
		"POST /console/customers/:id":        "writer",
		"POST /console/customers/:id/delete": "writer",
	})
}

// customerBrowser returns a browser signed in as a new user with role.
func customerBrowser(t *testing.T, b *testBundle, role status.Role) *browser {
	t.Helper()
	u := statustest.User(t, b.svc, &statustest.UserOpts{Role: role, Password: consolePassword})
	br := newBrowser(t, b)
	require.Equal(t, http.StatusSeeOther, br.login(u.Email, consolePassword).Code)
	return br
}

// newCustomerForm is a valid new-customer form with the CSRF token of page.
func newCustomerForm(t *testing.T, page reply) url.Values {
	t.Helper()
	return url.Values{
		"_csrf":                 {csrfOf(t, page)},
		"name":                  {"Acme Corp"},
		"domains":               {"Acme.com\r\n\r\neu.acme.com, acme.co.uk"},
		"account_manager_email": {"am@herald.example"},
		"oncall_notes":          {"Call the **NOC** first."},
		"contacts.0.name":       {"Wile E. Coyote"},
		"contacts.0.email":      {"wile@acme.com"},
		"contacts.0.role":       {"primary"},
		"contacts.1.name":       {""},
		"contacts.1.email":      {""},
		"contacts.1.role":       {"technical"},
		"contacts.2.name":       {""},
		"contacts.2.email":      {"noc@acme.com"},
		"contacts.2.role":       {"technical"},
	}
}

var customerVersionField = regexp.MustCompile(`name="version" value="([0-9]+)"`)

func TestConsoleCustomerFlow(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		br := customerBrowser(t, b, status.RoleEngineer)

		list := br.send(http.MethodGet, "/console/customers", nil)
		require.Equal(t, http.StatusOK, list.Code)
		require.Contains(t, list.String(), "No customers yet.")
		require.Contains(t, list.String(), `href="/console/customers/new"`)

		// Create.
		form := br.send(http.MethodGet, "/console/customers/new", nil)
		require.Equal(t, http.StatusOK, form.Code)
		require.Contains(t, form.String(), `<label for="contact-0-email" class="sr-only">Contact 1 email</label>`)
		require.Contains(t, form.String(), `name="contacts.2.role"`, "three empty contact rows")
		require.NotContains(t, form.String(), `name="contacts.3.role"`)
		require.NotContains(t, form.String(), `name="version"`)
		r := br.send(http.MethodPost, "/console/customers", newCustomerForm(t, form))
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		cs, err := b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		cu := cs[0]
		require.Equal(t, "/console/customers/"+cu.ID+"?saved=1", r.Header.Get("Location"))
		require.Equal(t, []string{"acme.co.uk", "acme.com", "eu.acme.com"}, cu.Domains)
		require.Len(t, cu.Contacts, 2, "the empty row is left out")
		require.Equal(t, "noc@acme.com", cu.Contacts[1].Email)
		require.Equal(t, status.ContactTechnical, cu.Contacts[1].Role)

		// View.
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Mail delayed"})
		require.NoError(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{cu.ID}))
		page := br.send(http.MethodGet, r.Header.Get("Location"), nil)
		require.Equal(t, http.StatusOK, page.Code)
		body := page.String()
		require.Contains(t, body, "Saved.")
		require.Contains(t, body, "<h1>Acme Corp</h1>")
		require.Contains(t, body, "<strong>NOC</strong>", "notes are rendered as Markdown")
		require.Contains(t, body, `<a href="mailto:wile@acme.com">wile@acme.com</a>`)
		require.Contains(t, body, `href="/console/pages/`+p.ID+`/incidents/`+inc.ID+`"><bdi>Mail delayed</bdi></a>`)
		require.Contains(t, body, `name="version" value="1"`)
		require.Contains(t, body, `name="contacts.4.role"`, "two contacts and three empty rows")
		require.Contains(t, body, "acme.co.uk\nacme.com\neu.acme.com</textarea>")

		list = br.send(http.MethodGet, "/console/customers", nil)
		require.Equal(t, http.StatusOK, list.Code)
		require.Regexp(t, `<td><a href="/console/customers/`+cu.ID+`">Acme Corp</a></td>\s*<td>acme.co.uk, acme.com, eu.acme.com</td>\s*<td>2</td>\s*<td><a href="mailto:am@herald.example">am@herald.example</a></td>\s*<td>1</td>`, list.String())

		// Edit: clear the first contact, change the second, add one.
		edit := url.Values{"_csrf": {csrfOf(t, page)}, "version": {"1"}, "name": {"Acme Corporation"}, "domains": {"acme.com"},
			"account_manager_email": {""}, "oncall_notes": {"Beep."},
			"contacts.0.name": {""}, "contacts.0.email": {""}, "contacts.0.role": {"primary"},
			"contacts.1.name": {"NOC"}, "contacts.1.email": {"noc@acme.com"}, "contacts.1.role": {"escalation"},
			"contacts.2.name": {"Road Runner"}, "contacts.2.email": {"rr@acme.com"}, "contacts.2.role": {"business"}}
		r = br.send(http.MethodPost, "/console/customers/"+cu.ID, edit)
		require.Equal(t, http.StatusSeeOther, r.Code, r.String())
		got, err := b.svc.Customers.ByID(b.ctx, cu.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme Corporation", got.Name)
		require.Equal(t, []string{"acme.com"}, got.Domains)
		require.Empty(t, got.AccountManagerEmail)
		require.Equal(t, 2, got.Version)
		require.Len(t, got.Contacts, 2)
		require.Equal(t, "NOC", got.Contacts[0].Name)
		require.Equal(t, status.ContactEscalation, got.Contacts[0].Role)
		require.Equal(t, "rr@acme.com", got.Contacts[1].Email)

		// The same form again is stale: refused, nothing overwritten.
		edit.Set("name", "Stale name")
		r = br.send(http.MethodPost, "/console/customers/"+cu.ID, edit)
		require.Equal(t, http.StatusConflict, r.Code)
		require.Contains(t, r.String(), "Someone else changed this customer")
		require.Contains(t, r.String(), `value="Stale name"`, "the form keeps what was typed")
		got, err = b.svc.Customers.ByID(b.ctx, cu.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme Corporation", got.Name)
		require.Equal(t, 2, got.Version)

		// A form without a version is refused too.
		edit.Del("version")
		r = br.send(http.MethodPost, "/console/customers/"+cu.ID, edit)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "Reload the page")

		// Delete needs the confirmation box.
		page = br.send(http.MethodGet, "/console/customers/"+cu.ID, nil)
		require.Equal(t, "2", customerVersionField.FindStringSubmatch(page.String())[1])
		r = br.send(http.MethodPost, "/console/customers/"+cu.ID+"/delete", url.Values{"_csrf": {csrfOf(t, page)}})
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.Contains(t, r.String(), "tick the box to confirm")
		_, err = b.svc.Customers.ByID(b.ctx, cu.ID)
		require.NoError(t, err, "not deleted without confirmation")
		r = br.send(http.MethodPost, "/console/customers/"+cu.ID+"/delete", url.Values{"_csrf": {csrfOf(t, page)}, "confirm": {"yes"}})
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Equal(t, "/console/customers?deleted=1", r.Header.Get("Location"))
		list = br.send(http.MethodGet, r.Header.Get("Location"), nil)
		require.Contains(t, list.String(), "The customer was deleted.")
		require.NotContains(t, list.String(), "Acme Corporation")
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/customers/"+cu.ID, nil).Code)
		require.Equal(t, http.StatusNotFound, br.send(http.MethodGet, "/console/customers/..%2Fetc", nil).Code)

		log, err := b.svc.AuditLog(b.ctx, status.AuditFilter{SubjectType: "customer", SubjectID: cu.ID})
		require.NoError(t, err)
		require.Len(t, log, 3)
		for _, e := range log {
			require.Equal(t, status.ActorUser, e.ActorKind, "changes are audited as the signed-in user")
		}
	})
}

func TestConsoleCustomerBadInput(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Globex", Domains: []string{"globex.com"}})
		br := customerBrowser(t, b, status.RoleManager)
		page := br.send(http.MethodGet, "/console/customers/new", nil)

		cases := []struct {
			name  string
			edit  func(url.Values)
			code  int
			wants []string
		}{
			{"missing name", func(f url.Values) { f.Del("name") }, 422, []string{"is required"}},
			{"blank name", func(f url.Values) { f.Set("name", "   ") }, 422, []string{"is required"}},
			{"10 000-character name", func(f url.Values) { f.Set("name", strings.Repeat("x", 10000)) }, 422, []string{"is too long"}},
			{"name with a NUL", func(f url.Values) { f.Set("name", "Ac\x00me") }, 422, []string{"control characters"}},
			{"invalid contact email", func(f url.Values) { f.Set("contacts.2.email", "noc at acme") }, 422,
				[]string{`value="noc at acme"`, "must be an email address"}},
			{"contact without email", func(f url.Values) { f.Set("contacts.2.email", ""); f.Set("contacts.2.name", "Nobody") }, 422,
				[]string{"is required"}},
			{"unknown contact role", func(f url.Values) { f.Set("contacts.0.role", "boss") }, 422, []string{"must be one of primary"}},
			{"invalid account manager email", func(f url.Values) { f.Set("account_manager_email", "am@") }, 422,
				[]string{"must be an email address"}},
			{"invalid domain", func(f url.Values) { f.Set("domains", "acme.com\nbad_domain.com") }, 422,
				[]string{"bad_domain.com: must be a domain such as example.com"}},
			{"domain listed twice", func(f url.Values) { f.Set("domains", "acme.com\nACME.com") }, 422, []string{"ACME.com: is listed twice"}},
			{"another customer's domain", func(f url.Values) { f.Set("domains", "acme.com\nglobex.com") }, 409,
				[]string{"globex.com: already belongs to Globex"}},
			{"another customer's name", func(f url.Values) { f.Set("name", "GLOBEX") }, 409, []string{"another customer is called Globex"}},
			{"notes too long", func(f url.Values) { f.Set("oncall_notes", strings.Repeat("n", 10001)) }, 422,
				[]string{"at most 10000 characters"}},
			{"huge contact row number", func(f url.Values) { f.Set("contacts.99999.email", "x@acme.com") }, 303, nil},
		}
		for _, tc := range cases {
			form := newCustomerForm(t, page)
			tc.edit(form)
			r := br.send(http.MethodPost, "/console/customers", form)
			require.Equal(t, tc.code, r.Code, "%s: %s", tc.name, r)
			for _, w := range tc.wants {
				require.Contains(t, r.String(), w, tc.name)
			}
			if tc.code >= 400 {
				require.Contains(t, r.String(), `class="field-error"`, "%s: the error is shown next to the field", tc.name)
				require.Contains(t, r.String(), `name="_csrf"`, "%s: the form is shown again", tc.name)
				cs, err := b.svc.Customers.List(b.ctx)
				require.NoError(t, err)
				require.Len(t, cs, 1, "%s: nothing was saved", tc.name)
			}
		}
		cs, err := b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, cs, 2)
		require.Len(t, cs[0].Contacts, 2, "a row numbered outside the form's pattern is ignored")
	})
}

const customerScript = `<script>alert(1)</script>`

func TestConsoleCustomerEscaping(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		br := customerBrowser(t, b, status.RoleAdmin)
		cu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme " + customerScript, Domains: []string{"acme.com"},
			Contacts:    []status.ContactInput{{Name: "Wile " + customerScript, Email: "wile@acme.com", Role: status.ContactPrimary}},
			OncallNotes: "Notes " + customerScript + "\n\n[link](javascript:alert(1)) <img src=x onerror=alert(1)>"})
		p := statustest.Page(t, b.svc, nil)
		inc := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Incident " + customerScript})
		require.NoError(t, b.svc.Incidents.SetCustomers(b.ctx, p.ID, inc.ID, []string{cu.ID}))

		requireInert := func(r reply, what string) {
			t.Helper()
			require.Equal(t, http.StatusOK, r.Code, what)
			body := r.String()
			require.NotContains(t, body, "<script>alert", what)
			require.NotContains(t, body, `href="javascript`, what)
			require.NotContains(t, body, "<img", what)
			require.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;", what)
		}
		requireInert(br.send(http.MethodGet, "/console/customers", nil), "list")
		detail := br.send(http.MethodGet, "/console/customers/"+cu.ID, nil)
		requireInert(detail, "detail")
		require.Contains(t, detail.String(), "Wile &lt;script&gt;", "contact names too")
		require.Contains(t, detail.String(), "Incident &lt;script&gt;", "incident titles too")

		// Script in every text field of a refused form comes back escaped.
		form := url.Values{"_csrf": {csrfOf(t, detail)}, "version": {"1"}, "name": {customerScript}, "domains": {customerScript},
			"account_manager_email": {customerScript}, "oncall_notes": {customerScript},
			"contacts.0.name": {customerScript}, "contacts.0.email": {customerScript}, "contacts.0.role": {customerScript}}
		r := br.send(http.MethodPost, "/console/customers/"+cu.ID, form)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code)
		require.NotContains(t, r.String(), "<script>alert")
		got, err := b.svc.Customers.ByID(b.ctx, cu.ID)
		require.NoError(t, err)
		require.Equal(t, 1, got.Version, "nothing saved")
	})
}

func TestConsoleCustomerAccess(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		cu := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme"})

		viewer := customerBrowser(t, b, status.RoleViewer)
		list := viewer.send(http.MethodGet, "/console/customers", nil)
		require.Equal(t, http.StatusOK, list.Code)
		require.Contains(t, list.String(), "Acme")
		require.NotContains(t, list.String(), "New customer", "viewers get no button")
		detail := viewer.send(http.MethodGet, "/console/customers/"+cu.ID, nil)
		require.Equal(t, http.StatusOK, detail.Code)
		require.NotContains(t, detail.String(), `name="name"`, "viewers get no edit form")
		require.NotContains(t, detail.String(), "/delete")
		tok := csrfOf(t, detail) // the sign-out form's
		valid := url.Values{"_csrf": {tok}, "version": {"1"}, "name": {"Viewer was here"}, "confirm": {"yes"}}
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodGet, "/console/customers/new", nil).Code)
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodPost, "/console/customers", valid).Code)
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodPost, "/console/customers/"+cu.ID, valid).Code)
		require.Equal(t, http.StatusForbidden, viewer.send(http.MethodPost, "/console/customers/"+cu.ID+"/delete", valid).Code)

		// A writer's form with a forged or missing CSRF token is refused.
		eng := customerBrowser(t, b, status.RoleEngineer)
		page := eng.send(http.MethodGet, "/console/customers/"+cu.ID, nil)
		require.Contains(t, page.String(), `name="name"`)
		for _, forged := range []url.Values{{"_csrf": {"forged"}}, {}} {
			forged.Set("version", "1")
			forged.Set("name", "Forged")
			forged.Set("confirm", "yes")
			require.Equal(t, http.StatusForbidden, eng.send(http.MethodPost, "/console/customers", forged).Code)
			require.Equal(t, http.StatusForbidden, eng.send(http.MethodPost, "/console/customers/"+cu.ID, forged).Code)
			require.Equal(t, http.StatusForbidden, eng.send(http.MethodPost, "/console/customers/"+cu.ID+"/delete", forged).Code)
		}
		// Another user's token does not work either.
		require.Equal(t, http.StatusForbidden, eng.send(http.MethodPost, "/console/customers/"+cu.ID+"/delete",
			url.Values{"_csrf": {tok}, "confirm": {"yes"}}).Code)

		got, err := b.svc.Customers.ByID(b.ctx, cu.ID)
		require.NoError(t, err)
		require.Equal(t, "Acme", got.Name)
		require.Equal(t, 1, got.Version)
		cs, err := b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, cs, 1)

		anon := newBrowser(t, b)
		r := anon.send(http.MethodGet, "/console/customers/"+cu.ID, nil)
		require.Equal(t, http.StatusSeeOther, r.Code)
		require.Contains(t, r.Header.Get("Location"), "/console/login")
	})
}

// TestIncidentCustomersPartial renders the "incident-customers" partial
// inside a stand-in console page, as the incident page will include it.
func TestIncidentCustomersPartial(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"console/probe.html": {Data: []byte(`{{define "content"}}{{template "incident-customers" .Customers}}{{end}}`)},
	}
	for _, name := range []string{"layout/console.html", "layout/base.html", "partials/customers.html", "partials/forms.html"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "templates", filepath.FromSlash(name)))
		require.NoError(t, err)
		fsys[name] = &fstest.MapFile{Data: data}
	}
	set, err := templates.ParseFS(fsys, nil)
	require.NoError(t, err)

	cs := []*status.Customer{
		{ID: "acme1", Name: "Acme " + customerScript, OncallNotes: "Call **Wile** " + customerScript,
			Contacts: []*status.CustomerContact{{Name: "Wile", Email: "wile@acme.com", Role: status.ContactEscalation}}},
		{ID: "globex1", Name: "Globex"},
	}
	out, err := set.Render("console/probe.html", map[string]any{"Customers": cs})
	require.NoError(t, err)
	body := string(out)
	require.Contains(t, body, `<a href="/console/customers/acme1">Acme &lt;script&gt;alert(1)&lt;/script&gt;</a>`)
	require.Contains(t, body, "<td>Wile</td><td>Escalation</td>")
	require.Contains(t, body, `<a href="mailto:wile@acme.com">wile@acme.com</a>`)
	require.Contains(t, body, "<strong>Wile</strong>")
	require.Contains(t, body, "No contacts recorded.", "Globex has none")
	require.NotContains(t, body, "<script>alert")

	out, err = set.Render("console/probe.html", map[string]any{"Customers": []*status.Customer(nil)})
	require.NoError(t, err)
	require.Contains(t, string(out), "No customers are linked to this incident.")
	require.NotContains(t, fmt.Sprint(string(out)), "<article")
}
