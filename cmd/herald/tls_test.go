package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/inbound/imaptest"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// writeFile writes b to a new file in a temporary folder.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

// A bad HERALD_TLS_CA_FILE (or -tls-ca-file) stops start-up with one line
// naming the variable and saying what is wrong with the file.
func TestTLSCAFileIsCheckedAtStartUp(t *testing.T) {
	t.Parallel()
	ca := mailtest.NewCA(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	broken := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(t.TempDir(), "nope.pem"), "no such file"},
		{"a folder", t.TempDir(), "is a directory"},
		{"empty file", writeFile(t, "empty.pem", nil), "HERALD_TLS_CA_FILE: no PEM certificate in"},
		{"not PEM", writeFile(t, "der.crt", ca.Cert.Raw), "HERALD_TLS_CA_FILE: no PEM certificate in"},
		{"a private key", writeFile(t, "key.pem", keyPEM), `HERALD_TLS_CA_FILE: block 1 in`},
		{"a key among certificates", writeFile(t, "mixed.pem", append(append([]byte{}, ca.PEM...), keyPEM...)), `block 2`},
		{"a broken certificate", writeFile(t, "broken.pem", append(append([]byte{}, ca.PEM...), broken...)), "HERALD_TLS_CA_FILE: certificate 2 in"},
		{"huge file", writeFile(t, "huge.pem", make([]byte, 11<<20)), "is larger than 10 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := herald(t, map[string]string{"HERALD_TLS_CA_FILE": tc.path}, "", "serve")
			require.Equal(t, 2, code)
			require.Contains(t, errOut, tc.want)
			require.Len(t, strings.Split(strings.TrimSpace(errOut), "\n"), 1, "one clear line: %q", errOut)
		})
	}
	t.Run("flag", func(t *testing.T) {
		t.Parallel()
		code, _, errOut := herald(t, nil, "", "serve", "-tls-ca-file", filepath.Join(t.TempDir(), "nope.pem"))
		require.Equal(t, 2, code)
		require.Contains(t, errOut, "HERALD_TLS_CA_FILE: open ")
		require.Contains(t, errOut, "no such file")
	})
	t.Run("a bundle", func(t *testing.T) {
		t.Parallel()
		other := mailtest.NewCA(t)
		bundle := "# the company's CAs\n" + string(ca.PEM) + "\n" + string(other.PEM)
		cfg := &Config{}
		getenv := func(k string) string {
			return map[string]string{"HERALD_TLS_CA_FILE": writeFile(t, "bundle.pem", []byte(bundle))}[k]
		}
		require.Empty(t, cfg.register(flagSet(), getenv))
		require.NoError(t, cfg.Validate())
		require.NotNil(t, cfg.tls)
		for _, c := range []*mailtest.CA{ca, other} {
			leaf := c.Issue(t, "mail.example.com").Leaf
			_, err := leaf.Verify(x509.VerifyOptions{DNSName: "mail.example.com", Roots: cfg.tls.RootCAs})
			require.NoError(t, err, "a server the bundle's CA signed is trusted")
		}
	})
}

// The whole of Herald with HERALD_TLS_CA_FILE: email goes out over
// STARTTLS to an SMTP server and the support mailbox is read over
// implicit TLS, both with certificates a private CA signed.
func TestPrivateCAForSMTPAndIMAP(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ca := mailtest.NewCA(t)
			smtp := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t)))
			imap := imaptest.Start(t, imaptest.WithCertificate(ca.Issue(t)))
			a := startAppWith(t, d, false, appOptions{tick: time.Second},
				"HERALD_TLS_CA_FILE", writeFile(t, "ca.pem", ca.PEM),
				"HERALD_SMTP_URL", fmt.Sprintf("smtp://%s?tls=starttls", smtp.Addr), "HERALD_MAIL_FROM", "Status <status@status.example>",
				"HERALD_IMAP_URL", fmt.Sprintf("imaps://%s:%s@%s/INBOX", "support%40example.test", imap.Password, imap.TLSAddr()),
				"HERALD_IMAP_INTERVAL", "5s")
			ctx := t.Context()
			emailContact(t, a)
			require.Eventually(t, func() bool { return len(smtp.Messages()) == 1 }, 30*time.Second, 100*time.Millisecond,
				"the email went out over STARTTLS")
			imap.Append(t, "INBOX", []byte("From: Wile <wile@acme.example>\r\nMessage-ID: <ca1@acme.example>\r\n"+
				"Subject: Is the API down?\r\n\r\nWe get 500s.\r\n"))
			require.Eventually(t, func() bool {
				items, err := a.svc.Intake.Items(ctx, status.IntakeFilter{})
				return err == nil && len(items) == 1
			}, 30*time.Second, 100*time.Millisecond, "the mailbox was read over implicit TLS")
		})
	}
}

// Without HERALD_TLS_CA_FILE the same servers are refused with a
// certificate error: the email is held (retrying, not failed) and
// Console → Email has the problem; the mailbox's state, which the inbox
// page shows, has the certificate error.
func TestWithoutThePrivateCAConnectionsAreRefused(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ca := mailtest.NewCA(t)
			smtp := mailtest.Start(t, mailtest.WithTLS(ca.Issue(t)))
			imap := imaptest.Start(t, imaptest.WithCertificate(ca.Issue(t)))
			a := startAppWith(t, d, false, appOptions{tick: time.Second},
				"HERALD_SMTP_URL", fmt.Sprintf("smtps://%s", smtp.TLSAddr), "HERALD_MAIL_FROM", "Status <status@status.example>",
				"HERALD_IMAP_URL", fmt.Sprintf("imap://%s:%s@%s/INBOX", "support%40example.test", imap.Password, imap.Addr()),
				"HERALD_IMAP_INTERVAL", "5s")
			ctx := t.Context()
			emailContact(t, a)
			var p *comms.DeliveryProblem
			require.Eventually(t, func() bool {
				var err error
				p, err = a.outbox.Problem(ctx)
				return err == nil && p != nil
			}, 30*time.Second, 100*time.Millisecond, "the problem is kept for the console")
			require.Equal(t, comms.ProblemTLS, p.Kind)
			require.Contains(t, p.Reply, "certificate signed by unknown authority")
			// The problem is recorded as the attempt fails; the email is
			// marked retrying as that attempt ends.
			require.Eventually(t, func() bool {
				es, err := a.outbox.Emails(ctx, comms.EmailFilter{})
				require.NoError(t, err)
				require.Len(t, es, 1)
				require.NotEqual(t, comms.EmailFailed, es[0].Status, "held, not failed")
				return es[0].Status == comms.EmailRetrying
			}, 10*time.Second, 50*time.Millisecond, "held, not failed")
			require.Empty(t, smtp.Messages())

			store := inbound.NewStore(a.db, inbound.StoreOptions{})
			require.Eventually(t, func() bool {
				boxes, err := store.Mailboxes(ctx)
				return err == nil && len(boxes) == 1 && strings.Contains(boxes[0].LastError, "certificate signed by unknown authority")
			}, 30*time.Second, 100*time.Millisecond, "the mailbox state has the certificate error")

			// What an administrator sees, over HTTP.
			u := statustest.User(t, a.svc, &statustest.UserOpts{Role: status.RoleViewer})
			c := consoleClient(t, a.URL, u.Email, statustest.DefaultPassword)
			outbox := consoleGet(t, c, a.URL+"/console/outbox")
			require.Contains(t, outbox, "No email can be sent")
			require.Contains(t, outbox, "certificate signed by unknown authority")
			require.Contains(t, outbox, "1 email waits")
			inbox := consoleGet(t, c, a.URL+"/console/inbox")
			require.Contains(t, inbox, "certificate signed by unknown authority")
			require.Contains(t, inbox, "HERALD_TLS_CA_FILE")
		})
	}
}

// consoleClient signs in to the console at base.
func consoleClient(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := consoleGet(t, c, base+"/console/login")
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(login)
	require.NotNil(t, m, "login form without CSRF field")
	resp, err := c.PostForm(base+"/console/login", url.Values{"_csrf": {m[1]}, "email": {email}, "password": {password}})
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "signed in")
	return c
}

// consoleGet returns the body of a 200 answer to GET url.
func consoleGet(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }() // read only
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	return string(b)
}

// emailContact declares an incident for a customer with one contact: one
// email to send.
func emailContact(t *testing.T, a *testApp) {
	t.Helper()
	p := statustest.Page(t, a.svc, &statustest.PageOpts{Name: "Shop"})
	cu := statustest.Customer(t, a.svc, &statustest.CustomerOpts{Name: "Acme",
		Contacts: []status.ContactInput{{Name: "Wile", Email: "wile@acme.example", Role: status.ContactPrimary}}})
	statustest.Incident(t, a.svc, p.ID, &statustest.IncidentOpts{Title: "Checkout down",
		Visibility: status.VisibilityCustomers, Customers: []string{cu.ID}})
}
