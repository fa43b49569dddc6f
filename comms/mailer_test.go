package comms_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wneessen/go-mail"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/comms/mailtest"
)

// Many senders share a few connections, each email arriving once; a
// refused recipient does not spoil the connection for the next email.
func TestSMTPMailerSharesConnections(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	srv.Refuse(func(rcpt string) error {
		if rcpt == "bad7@example.net" {
			return mailtest.Permanent()
		}
		return nil
	})
	m := comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSNone},
		comms.MailerOptions{Timeout: 5 * time.Second, Connections: 3, PerSecond: 10000})
	t.Cleanup(func() { _ = m.Close() })
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := mail.NewMsg()
			to := fmt.Sprintf("user%d@example.net", i)
			if i == 7 {
				to = "bad7@example.net"
			}
			if err := msg.To(to); err != nil {
				errs[i] = err
				return
			}
			_ = msg.From("status@example.com")
			msg.Subject("Hello")
			msg.SetBodyString(mail.TypeTextPlain, "Hi")
			errs[i] = m.Send(t.Context(), msg)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i == 7 {
			var f *comms.SendFailure
			require.ErrorAs(t, err, &f)
			require.False(t, f.Temporary, "550 is permanent")
			continue
		}
		require.NoError(t, err, i)
	}
	seen := map[string]int{}
	for _, msg := range srv.Messages() {
		seen[msg.To[0]]++
	}
	require.Len(t, seen, 39)
	for to, n := range seen {
		require.Equal(t, 1, n, to)
	}
}

// A connection the server closed while idle is dialled again: the next
// email arrives once, without an error.
func TestSMTPMailerRedialsAClosedConnection(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	m := comms.NewSMTPMailer(comms.SMTPConfig{Host: srv.Host, Port: srv.Port, TLS: comms.TLSNone},
		comms.MailerOptions{Timeout: 5 * time.Second, Connections: 1})
	t.Cleanup(func() { _ = m.Close() })
	send := func(to string) error {
		msg := mail.NewMsg()
		require.NoError(t, msg.To(to))
		require.NoError(t, msg.From("status@example.com"))
		msg.Subject("Hello")
		msg.SetBodyString(mail.TypeTextPlain, "Hi")
		return m.Send(t.Context(), msg)
	}
	require.NoError(t, send("first@example.net"))
	srv.DropConnections()
	time.Sleep(50 * time.Millisecond) // the close reaches the client
	require.NoError(t, send("second@example.net"))
	require.NoError(t, send("third@example.net"))
	var got []string
	for _, msg := range srv.Messages() {
		got = append(got, msg.To[0])
	}
	require.Equal(t, []string{"first@example.net", "second@example.net", "third@example.net"}, got)
}
