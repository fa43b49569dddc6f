package comms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/comms"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tk := comms.NewTokens([]byte("0123456789abcdef0123456789abcdef"))
	tok := tk.Make(comms.PurposeConfirm, "sub123", now.Add(time.Hour))
	require.NotContains(t, tok, "/")
	require.NotContains(t, tok, "+")
	require.NotContains(t, tok, "=")

	got, err := tk.Check(comms.PurposeConfirm, tok, now)
	require.NoError(t, err)
	require.Equal(t, "sub123", got)

	forever := tk.Make(comms.PurposeManage, "sub123", time.Time{})
	got, err = tk.Check(comms.PurposeManage, forever, now.AddDate(50, 0, 0))
	require.NoError(t, err, "no expiry")
	require.Equal(t, "sub123", got)

	other := comms.NewTokens([]byte("another secret of enough length!"))
	i := strings.LastIndexByte(tok, '.')
	cases := map[string]struct {
		purpose, token string
		at             time.Time
		want           error
	}{
		"expired":         {comms.PurposeConfirm, tok, now.Add(time.Hour), comms.ErrTokenExpired},
		"wrong purpose":   {comms.PurposeUnsubscribe, tok, now, comms.ErrTokenInvalid},
		"truncated":       {comms.PurposeConfirm, tok[:len(tok)-3], now, comms.ErrTokenInvalid},
		"no signature":    {comms.PurposeConfirm, tok[:i], now, comms.ErrTokenInvalid},
		"empty":           {comms.PurposeConfirm, "", now, comms.ErrTokenInvalid},
		"other secret":    {comms.PurposeConfirm, other.Make(comms.PurposeConfirm, "sub123", now.Add(time.Hour)), now, comms.ErrTokenInvalid},
		"subject swapped": {comms.PurposeConfirm, "c3ViOTk5." + tok[strings.IndexByte(tok, '.')+1:], now, comms.ErrTokenInvalid},
		"expiry extended": {comms.PurposeConfirm, tok[:strings.IndexByte(tok, '.')] + ".zzzzzz" + tok[i:], now, comms.ErrTokenInvalid},
		"huge":            {comms.PurposeConfirm, strings.Repeat("a", 5000), now, comms.ErrTokenInvalid},
		"garbage":         {comms.PurposeConfirm, "a.b.c.d", now, comms.ErrTokenInvalid},
	}
	for name, c := range cases {
		_, err := tk.Check(c.purpose, c.token, c.at)
		require.ErrorIs(t, err, c.want, name)
	}
	require.Panics(t, func() { comms.NewTokens([]byte("short")) })
}
