package inbound

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseIMAPURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     IMAPConfig
		wantErr  string
	}{
		{"imaps with mailbox", "imaps://u:p@imap.example.com/Support", IMAPConfig{Host: "imap.example.com", Port: 993, Username: "u", Password: "p", TLS: "tls", Mailbox: "Support"}, ""},
		{"inbox by default", "imaps://u:p@imap.example.com", IMAPConfig{Host: "imap.example.com", Port: 993, Username: "u", Password: "p", TLS: "tls", Mailbox: "INBOX"}, ""},
		{"starttls", "imap://u@imap.example.com:1143/INBOX?tls=starttls", IMAPConfig{Host: "imap.example.com", Port: 1143, Username: "u", TLS: "starttls", Mailbox: "INBOX"}, ""},
		{"no user", "imaps://imap.example.com/INBOX", IMAPConfig{}, "needs a user name"},
		{"wrong scheme", "pop3://u@x/INBOX", IMAPConfig{}, "must start with imaps://"},
		{"bad port", "imaps://u@x:0/INBOX", IMAPConfig{}, "port"},
		{"bad tls", "imap://u@x/INBOX?tls=yes", IMAPConfig{}, "tls must be"},
		{"unknown option", "imap://u@x/INBOX?idle=no", IMAPConfig{}, "unknown option"},
		{"processed folder", "imaps://u@x/INBOX?processed=Herald/Done", IMAPConfig{Host: "x", Port: 993, Username: "u", TLS: "tls", Mailbox: "INBOX", Processed: "Herald/Done"}, ""},
		{"bad processed folder", "imaps://u@x/INBOX?processed=a%0Db", IMAPConfig{}, "folder name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIMAPURL(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
