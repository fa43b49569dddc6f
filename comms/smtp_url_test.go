package comms

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     SMTPConfig
		wantErr  string
	}{
		{"starttls by default", "smtp://u:p@mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 587, Username: "u", Password: "p", TLS: TLSStartTLS}, ""},
		{"implicit tls", "smtps://mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 465, TLS: TLSImplicit}, ""},
		{"explicit port and mode", "smtp://mail.example.com:2525?tls=none", SMTPConfig{Host: "mail.example.com", Port: 2525, TLS: TLSNone}, ""},
		{"escaped password", "smtp://u:p%40ss@mail.example.com", SMTPConfig{Host: "mail.example.com", Port: 587, Username: "u", Password: "p@ss", TLS: TLSStartTLS}, ""},
		{"wrong scheme", "http://mail.example.com", SMTPConfig{}, "must start with smtp://"},
		{"no host", "smtp://", SMTPConfig{}, "needs a host name"},
		{"bad port", "smtp://mail.example.com:99999", SMTPConfig{}, "port"},
		{"bad tls", "smtp://mail.example.com?tls=maybe", SMTPConfig{}, "tls must be"},
		{"unknown option", "smtp://mail.example.com?debug=1", SMTPConfig{}, "unknown option"},
		{"garbage", "smtp://%zz", SMTPConfig{}, "not a valid URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSMTPURL(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
