package status_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A phone number's key is its last eight digits, however it was written.
func TestPhoneKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, phone, key string }{
		{"international with +", "+49 30 1234-567", "01234567"},
		{"international with 00", "0049301234567", "01234567"},
		{"national with trunk prefix", "(030) 1234 567", "01234567"},
		{"slashes and dashes", "030/123-45-67", "01234567"},
		{"short number keeps every digit", "4711", "4711"},
		{"exactly eight digits", "12345678", "12345678"},
		{"no digits", "+ - ()", ""},
		{"empty", "", ""},
	} {
		require.Equal(t, tc.key, status.PhoneKey(tc.phone), tc.name)
	}
}

// Contacts keep a phone number and a preferred channel (email unless
// said), customers an on-call wiki link; bad values are field errors and
// nothing is saved.
func TestCustomerContactChannels(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		in := customerInput()
		in.OncallURL = " https://wiki.example/oncall/acme?x=1 "
		in.Contacts = []status.ContactInput{
			{Name: "Wile", Email: "wile@acme.com", Phone: " +49  30 1234-567 ", PreferredChannel: status.ChannelPhone, Role: status.ContactPrimary},
			{Email: "noc@acme.com", Role: status.ContactTechnical},
		}
		c, err := b.svc.Customers.Create(b.ctx, in)
		require.NoError(t, err)
		require.Equal(t, "https://wiki.example/oncall/acme?x=1", c.OncallURL)
		require.Equal(t, "+49 30 1234-567", c.Contacts[0].Phone, "spaces folded")
		require.Equal(t, "01234567", c.Contacts[0].PhoneKey)
		require.Equal(t, status.ChannelPhone, c.Contacts[0].PreferredChannel)
		require.Empty(t, c.Contacts[1].Phone)
		require.Equal(t, status.ChannelEmail, c.Contacts[1].PreferredChannel, "email by default")

		in.Version = c.Version
		in.OncallURL = ""
		in.Contacts[0].Phone, in.Contacts[0].PreferredChannel = "", status.ChannelVideo
		c, err = b.svc.Customers.Update(b.ctx, c.ID, in)
		require.NoError(t, err)
		require.Empty(t, c.OncallURL, "the link can be removed")
		require.Empty(t, c.Contacts[0].Phone)
		require.Empty(t, c.Contacts[0].PhoneKey)
		require.Equal(t, status.ChannelVideo, c.Contacts[0].PreferredChannel)

		for _, tc := range []struct {
			name  string
			edit  func(*status.CustomerInput)
			field string
		}{
			{"phone with letters", func(in *status.CustomerInput) { in.Contacts[0].Phone = "+49 30 CALL-ME" }, "contacts[0].phone"},
			{"phone of 41 characters", func(in *status.CustomerInput) { in.Contacts[0].Phone = strings.Repeat("1", 41) }, "contacts[0].phone"},
			{"phone of 10 000 digits", func(in *status.CustomerInput) { in.Contacts[0].Phone = strings.Repeat("9", 10000) }, "contacts[0].phone"},
			{"phone without enough digits", func(in *status.CustomerInput) { in.Contacts[0].Phone = "+(1)" }, "contacts[0].phone"},
			{"phone with a script", func(in *status.CustomerInput) { in.Contacts[0].Phone = "<script>alert(1)</script>" }, "contacts[0].phone"},
			{"phone with a NUL", func(in *status.CustomerInput) { in.Contacts[0].Phone = "030\x001234" }, "contacts[0].phone"},
			{"phone with a line break", func(in *status.CustomerInput) { in.Contacts[0].Phone = "030 1234\r\nBcc: x" }, "contacts[0].phone"},
			{"phone with an extension word", func(in *status.CustomerInput) { in.Contacts[0].Phone = "030 1234 ext. 5" }, "contacts[0].phone"},
			{"unknown channel", func(in *status.CustomerInput) { in.Contacts[0].PreferredChannel = "fax" }, "contacts[0].preferred_channel"},
			{"on-call link without scheme", func(in *status.CustomerInput) { in.OncallURL = "wiki.example/acme" }, "oncall_url"},
			{"on-call link to javascript", func(in *status.CustomerInput) { in.OncallURL = "javascript:alert(1)" }, "oncall_url"},
			{"on-call link to a file", func(in *status.CustomerInput) { in.OncallURL = "file:///etc/passwd" }, "oncall_url"},
			{"on-call link with a space", func(in *status.CustomerInput) { in.OncallURL = "https://wiki.example/on call" }, "oncall_url"},
			{"on-call link with a NUL", func(in *status.CustomerInput) { in.OncallURL = "https://wiki.example/\x00" }, "oncall_url"},
			{"on-call link of 10 000 bytes", func(in *status.CustomerInput) {
				in.OncallURL = "https://wiki.example/" + strings.Repeat("a", 10000)
			}, "oncall_url"},
		} {
			in := customerInput()
			in.Name = "Bad " + tc.name
			in.Domains = nil
			in.Contacts = append([]status.ContactInput{}, in.Contacts...)
			tc.edit(&in)
			_, err := b.svc.Customers.Create(b.ctx, in)
			requireField(t, err, status.KindInvalid, tc.field)
		}
		cs, err := b.svc.Customers.List(b.ctx)
		require.NoError(t, err)
		require.Len(t, cs, 1, "nothing invalid was saved")
	})
}

// Search finds customers by a piece of their name, ignoring case, and by
// a contact's phone number however it is written; bad queries are field
// errors.
func TestCustomerSearch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		acme := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Acme Corp", Contacts: []status.ContactInput{
			{Name: "Wile", Email: "wile@acme.example", Phone: "+49 30 1234-567", Role: status.ContactPrimary},
			{Name: "Desk", Email: "desk@acme.example", Phone: "4711", Role: status.ContactTechnical},
			{Name: "Mail only", Email: "mail@acme.example", Role: status.ContactBusiness}}})
		muller := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Müller & Söhne", Contacts: []status.ContactInput{
			{Name: "Jörg", Email: "joerg@mueller.example", Phone: "0049 89 7654 3210", Role: status.ContactPrimary}}})
		beta := statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Beta 2000 (Acme group)", Contacts: []status.ContactInput{
			{Name: "Bea", Email: "bea@beta.example", Phone: "030 1234567", Role: status.ContactPrimary}}})
		statustest.Customer(t, b.svc, &statustest.CustomerOpts{Name: "Gamma"})

		type hit struct {
			name     string
			contacts string // names of the matched contacts, comma-separated
		}
		for _, tc := range []struct {
			name string
			q    string
			want []hit
		}{
			{"part of a name, any case", "acme", []hit{{acme.Name, ""}, {beta.Name, ""}}},
			{"name with spaces folded", "  acme   CORP ", []hit{{acme.Name, ""}}},
			{"non-ASCII name ignoring case", "MÜLLER", []hit{{muller.Name, ""}}},
			{"name with punctuation", "& söhne", []hit{{muller.Name, ""}}},
			{"international number", "+49 30 1234-567", []hit{{acme.Name, "Wile"}, {beta.Name, "Bea"}}},
			{"the same number with 00", "0049301234567", []hit{{acme.Name, "Wile"}, {beta.Name, "Bea"}}},
			{"the same number nationally", "(030) 123 45 67", []hit{{acme.Name, "Wile"}, {beta.Name, "Bea"}}},
			{"another number", "+49 89 76543210", []hit{{muller.Name, "Jörg"}}},
			{"the end of a number", "4567", []hit{{acme.Name, "Wile"}, {beta.Name, "Bea"}}},
			{"a short number", "4711", []hit{{acme.Name, "Desk"}}},
			{"digits in a name match the name", "2000", []hit{{beta.Name, ""}}},
			{"a name match is not repeated as a number match", "Beta", []hit{{beta.Name, ""}}},
			{"three digits are not a number", "567", nil},
			{"a number nobody has", "+1 555 0100 999", nil},
			{"no match", "zzz", nil},
			{"blank", "   ", nil},
			{"SQL", "' OR 1=1 --", nil},
			{"LIKE wildcards are text", "%", nil},
			{"LIKE wildcard in digits", "12%4567", nil},
		} {
			hits, err := b.svc.Customers.Search(b.ctx, tc.q)
			require.NoError(t, err, tc.name)
			var got []hit
			for _, h := range hits {
				var names []string
				for _, ct := range h.Contacts {
					names = append(names, ct.Name)
				}
				got = append(got, hit{h.Customer.Name, strings.Join(names, ",")})
				require.NotEmpty(t, h.Customer.Contacts, "%s: hits come with their contacts", tc.name)
			}
			require.Equal(t, tc.want, got, tc.name)
		}

		for _, tc := range []struct{ name, q string }{
			{"201 bytes", strings.Repeat("a", 201)},
			{"10 000 bytes", strings.Repeat("9", 10000)},
			{"a NUL", "ac\x00me"},
			{"a line break", "ac\nme"},
			{"not UTF-8", "\xff\xfe"},
		} {
			_, err := b.svc.Customers.Search(b.ctx, tc.q)
			requireField(t, err, status.KindInvalid, "q")
		}
	})
}

// Search returns at most MaxSearchHits customers.
func TestCustomerSearchIsBounded(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		for range status.MaxSearchHits + 5 {
			statustest.Customer(t, b.svc, &statustest.CustomerOpts{Contacts: []status.ContactInput{
				{Email: "x@example.com", Phone: "+49 30 1234567", Role: status.ContactPrimary}}})
		}
		hits, err := b.svc.Customers.Search(b.ctx, "customer")
		require.NoError(t, err)
		require.Len(t, hits, status.MaxSearchHits)
		hits, err = b.svc.Customers.Search(b.ctx, "030 1234567")
		require.NoError(t, err)
		require.Len(t, hits, status.MaxSearchHits)
	})
}
