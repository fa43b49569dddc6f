package alerts_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
)

// Titles are cut by bytes, on a character boundary, to the item title's
// limit: a title over it once failed the whole delivery (issue 14.6).
func TestTitleIsCutByBytes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, summary string
		cut           bool
	}{
		{"empty summary keeps the alert's name", "", false},
		{"exactly the limit in ASCII", strings.Repeat("a", alerts.MaxTitleLen), false},
		{"one byte over in ASCII", strings.Repeat("a", alerts.MaxTitleLen+1), true},
		{"huge ASCII", strings.Repeat("x", 1<<20), true},
		{"two-byte characters", strings.Repeat("é", 150), true},
		{"three-byte characters", strings.Repeat("日", 67), true},
		{"four-byte characters", strings.Repeat("😀", 51), true},
		{"a character across the limit", strings.Repeat("a", alerts.MaxTitleLen-5) + strings.Repeat("😀", 3), true},
		{"200 characters of 2 bytes (the old limit counted characters)", strings.Repeat("ü", alerts.MaxTitleLen), true},
		{"malicious: controls and a line break", "a\x01b\x7fc\u0085d\r\nSubject: x", false},
		{"duplicate spaces fold", "a    b\t\tc", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			summary, _ := json.Marshal(c.summary)
			as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","annotations":{"summary":` + string(summary) + `}}`))
			a := one(t, as, err)
			require.LessOrEqual(t, len(a.Title), alerts.MaxTitleLen, "bytes")
			require.LessOrEqual(t, len(a.Title), status.MaxNameLen, "fits an intake item's title")
			require.True(t, utf8.ValidString(a.Title))
			require.NotContains(t, a.Title, "\uFFFD", "no character split")
			for _, r := range a.Title {
				require.False(t, r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0), "control %U in %q", r, a.Title)
			}
			problems := strings.Join(a.Problems, "\n")
			if c.cut {
				require.True(t, strings.HasSuffix(a.Title, "…"), a.Title)
				require.Contains(t, problems, "title cut to 200 bytes")
				require.Greater(t, len(a.Title), alerts.MaxTitleLen-8, "as much kept as fits")
			} else {
				require.NotContains(t, problems, "title cut")
			}
		})
	}
	as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","annotations":{"summary":"a\u0001b"}}`))
	a := one(t, as, err)
	require.Equal(t, "a b", a.Title)
	require.Contains(t, a.Problems, "title: control characters removed")
}

// A description keeps its lines and tabs but no other control characters
// (an intake item refuses them), and is cut by bytes.
func TestDescriptionIsCleaned(t *testing.T) {
	t.Parallel()
	as, err := alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","annotations":{"description":"\u001b[31mred\u001b[0m\nline\ttab\u0000"}}`))
	a := one(t, as, err)
	require.Equal(t, "[31mred[0m\nline\ttab", a.Description)
	require.Contains(t, a.Problems, "description: control characters removed")

	long, _ := json.Marshal(strings.Repeat("😀", alerts.MaxDescriptionLen))
	as, err = alerts.ParseAlertmanager(amBody(`{"fingerprint":"f","annotations":{"description":` + string(long) + `}}`))
	a = one(t, as, err)
	require.LessOrEqual(t, len(a.Description), alerts.MaxDescriptionLen)
	require.True(t, utf8.ValidString(a.Description))
	require.True(t, strings.HasSuffix(a.Description, "…"))
	require.Contains(t, a.Problems, "description cut to 8192 bytes")
}

// Invalid UTF-8 is replaced, and the answer and the alert say where
// (issue 14.7): encoding/json replaces it without a word.
func TestInvalidUTF8IsNamed(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, alert string
		want        []string
	}{
		{"summary", "{\"fingerprint\":\"f\",\"annotations\":{\"summary\":\"disk \xff full\"}}",
			[]string{"annotations.summary: invalid UTF-8 replaced by U+FFFD"}},
		{"label value and fingerprint", "{\"fingerprint\":\"f\xc3\",\"labels\":{\"host\":\"db\xfe1\"}}",
			[]string{"fingerprint: invalid UTF-8 replaced by U+FFFD", "labels.host: invalid UTF-8 replaced by U+FFFD"}},
		{"label name", "{\"fingerprint\":\"f\",\"labels\":{\"ho\xffst\":\"db1\"}}",
			[]string{"labels: invalid UTF-8 in a name replaced by U+FFFD"}},
		{"lone surrogate escape", `{"fingerprint":"f","annotations":{"summary":"a\ud800b"}}`,
			[]string{"annotations.summary: invalid UTF-8 replaced by U+FFFD"}},
		{"a surrogate pair is fine", `{"fingerprint":"f","annotations":{"summary":"a\ud83d\ude00b"}}`, nil},
		{"an escaped backslash before u is fine", `{"fingerprint":"f","annotations":{"summary":"a\\ud800b"}}`, nil},
		{"U+FFFD sent as such is fine", `{"fingerprint":"f","annotations":{"summary":"a` + "\uFFFD" + `b\ufffd"}}`, nil},
		{"empty", `{"fingerprint":"f"}`, nil},
		{"huge", "{\"fingerprint\":\"f\",\"annotations\":{\"description\":\"" + strings.Repeat("\xff", 1<<20) + "\"}}",
			[]string{"annotations.description: invalid UTF-8 replaced by U+FFFD", "description cut to 8192 bytes"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			as, err := alerts.ParseAlertmanager(amBody(c.alert))
			a := one(t, as, err)
			for _, w := range c.want {
				require.Contains(t, a.Problems, w)
			}
			if c.want == nil {
				require.NotContains(t, strings.Join(a.Problems, "\n"), "UTF-8")
			}
			checkAlert(t, a)
		})
	}

	// The payload's own fields too, named on each alert.
	as, err := alerts.ParseAlertmanager([]byte("{\"groupKey\":\"g\xff\",\"status\":\"firing\",\"alerts\":[{\"fingerprint\":\"a\"},{\"fingerprint\":\"b\"}]}"))
	require.NoError(t, err)
	require.Len(t, as, 2)
	for _, a := range as {
		require.Contains(t, a.Problems, "groupKey: invalid UTF-8 replaced by U+FFFD")
	}

	// The other hooks say so as well.
	as, err = alerts.ParseGeneric([]byte("{\"title\":\"Disk \xff\",\"labels\":{\"a\":\"\xfe\"}}"))
	a := one(t, as, err)
	require.Contains(t, a.Problems, "title: invalid UTF-8 replaced by U+FFFD")
	require.Contains(t, a.Problems, "labels.a: invalid UTF-8 replaced by U+FFFD")
	as, _, err = alerts.ParseOpsgenie([]byte("{\"action\":\"Create\",\"alert\":{\"alias\":\"x\",\"message\":\"m\xff\"}}"))
	a = one(t, as, err)
	require.Contains(t, a.Problems, "alert.message: invalid UTF-8 replaced by U+FFFD")
}

// One unusable alert in a delivery is left out and named; the others are
// kept. Only a delivery with nothing usable is refused.
func TestOneBadAlertDoesNotFailTheDelivery(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, body string
		kept       int
		dropped    string
	}{
		{"bad status", `{"alerts":[{"status":"firing","fingerprint":"a"},{"status":"fring","fingerprint":"b"}]}`, 1,
			`alerts[1].status: must be "firing" or "resolved", got "fring"`},
		{"not an object", `{"status":"firing","alerts":[null,{"fingerprint":"a"}]}`, 1, "alerts[0]: must be an object, got null"},
		{"wrong type", `{"status":"firing","alerts":[{"fingerprint":"a"},{"startsAt":5}]}`, 1,
			"alerts[1].startsAt: must be a string, got a number"},
		{"duplicate fingerprints are both kept", `{"status":"firing","alerts":[{"fingerprint":"a"},{"fingerprint":"a"}]}`, 2, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			as, err := alerts.ParseAlertmanager([]byte(c.body))
			require.NoError(t, err)
			kept, dropped := 0, []string{}
			for _, a := range as {
				if a.Dropped != "" {
					dropped = append(dropped, a.Dropped)
					continue
				}
				kept++
				checkAlert(t, a)
			}
			require.Equal(t, c.kept, kept)
			if c.dropped != "" {
				require.Equal(t, []string{c.dropped}, dropped)
			} else {
				require.Empty(t, dropped)
			}
		})
	}
	// A lone alert that cannot be used is still refused: there is nothing
	// to store, and the sender must hear why.
	_, err := alerts.ParseAlertmanager([]byte(`{"status":"firing","alerts":[{"labels":{"env":{"x":1}}}]}`))
	var pe *alerts.PayloadError
	require.ErrorAs(t, err, &pe)
	require.Contains(t, pe.Msg, "alerts[0].labels.env: must be a string, got an object")
	_, err = alerts.ParseAlertmanager([]byte(`{"alerts":[{"status":"fring"},{"status":"frin"}]}`))
	require.ErrorAs(t, err, &pe)
	require.Contains(t, pe.Msg, `alerts[0].status: must be "firing" or "resolved", got "fring"`)
	require.Contains(t, pe.Msg, `alerts[1].status`)

	as, err := alerts.ParseGeneric([]byte(`[{"title":"a"},{"title":" \n "},{"title":"c","status":"broken"}]`))
	require.NoError(t, err)
	require.Len(t, as, 3)
	require.Empty(t, as[0].Dropped)
	require.Equal(t, "[1].title is required", as[1].Dropped)
	require.Equal(t, `[2].status: must be "firing" or "resolved", got "broken"`, as[2].Dropped)
}
