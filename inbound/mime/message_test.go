package mime

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// crlf turns the LF line ends of a test message into CRLF.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func parseString(t *testing.T, raw string, o Options) *Message {
	t.Helper()
	m, err := Parse(strings.NewReader(raw), o)
	require.NoError(t, err)
	return m
}

// hasProblem reports whether one of m's Problems contains s.
func hasProblem(m *Message, s string) bool {
	for _, p := range m.Problems {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

const simple = `From: "Ann Example" <Ann@Example.COM>
To: support@acme.test, "Bob" <BOB@acme.test>
Cc: carol@acme.test
Reply-To: Ann Other <ann.other@example.com>
Subject: Login page   is
 down
Date: Tue, 24 Nov 2026 10:00:00 +0100
Message-ID: <abc123@example.com>
In-Reply-To: <incident-1@herald.example>
References: <incident-0@herald.example>
 <incident-1@herald.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello, the login page shows an error.
`

func TestParseSimple(t *testing.T) {
	m := parseString(t, crlf(simple), Options{})
	require.Equal(t, "abc123@example.com", m.MessageID)
	require.Equal(t, []string{"incident-1@herald.example"}, m.InReplyTo)
	require.Equal(t, []string{"incident-0@herald.example", "incident-1@herald.example"}, m.References)
	require.Equal(t, "Ann Example", m.FromName)
	require.Equal(t, "ann@example.com", m.FromAddress)
	require.Equal(t, []string{"support@acme.test", "bob@acme.test"}, m.To)
	require.Equal(t, []string{"carol@acme.test"}, m.Cc)
	require.Equal(t, "ann.other@example.com", m.ReplyTo)
	require.Equal(t, "Login page is down", m.Subject)
	require.True(t, m.Date.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)))
	require.Equal(t, "Hello, the login page shows an error.\n", m.Text)
	require.Empty(t, m.HTML)
	require.Empty(t, m.Attachments)
	require.Empty(t, m.Automatic)
	require.Nil(t, m.Report)
	require.Empty(t, m.Problems)
	require.False(t, m.Truncated)
	require.Equal(t, int64(len(crlf(simple))), m.Size)
	require.Len(t, m.Hash, 64)

	other := parseString(t, crlf(simple)+"x", Options{})
	require.NotEqual(t, m.Hash, other.Hash)
	same := parseString(t, crlf(simple), Options{})
	require.Equal(t, m.Hash, same.Hash)
}

func TestParseCharsets(t *testing.T) {
	cases := []struct {
		name, charset, cte, body, want string
	}{
		{"utf-8", "utf-8", "8bit", "Caf\xc3\xa9 \xe2\x82\xac", "Café €"},
		{"latin1", "ISO-8859-1", "8bit", "Caf\xe9 na\xefve", "Café naïve"},
		{"latin1 qp", "iso-8859-1", "quoted-printable", "Caf=E9 =\nlong", "Café long"},
		{"windows-1252", "windows-1252", "8bit", "\x93quoted\x94 costs \x80 5", "\u201cquoted\u201d costs € 5"},
		{"cp1252 base64", "Windows-1252", "base64", base64.StdEncoding.EncodeToString([]byte("\x93hi\x94")), "\u201chi\u201d"},
		{"us-ascii", "us-ascii", "7bit", "plain", "plain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := "From: a@b.test\nSubject: x\nContent-Type: text/plain; charset=" + c.charset +
				"\nContent-Transfer-Encoding: " + c.cte + "\n\n" + c.body
			m := parseString(t, raw, Options{})
			require.Equal(t, c.want, m.Text)
			require.Empty(t, m.Problems)
		})
	}
}

func TestParseInvalidUTF8(t *testing.T) {
	m := parseString(t, "From: a@b.test\nContent-Type: text/plain; charset=utf-8\n\nbad \xff\xfe bytes", Options{})
	require.Equal(t, "bad \uFFFD bytes", m.Text)
	require.True(t, utf8.ValidString(m.Text))
	require.True(t, hasProblem(m, "invalid UTF-8"), m.Problems)
}

func TestParseUnknownCharset(t *testing.T) {
	m := parseString(t, "From: a@b.test\nContent-Type: text/plain; charset=x-foo\n\nstill readable", Options{})
	require.Equal(t, "still readable", m.Text)
	require.True(t, hasProblem(m, "unknown charset x-foo"), m.Problems)
}

func TestParseTransferEncodings(t *testing.T) {
	qp := "From: a@b.test\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"Caf=C3=A9 a=3Db, soft=\nbreak, trailing   \nliteral =ZZ and " + strings.Repeat("x", 5000) + "\n"
	m := parseString(t, qp, Options{})
	require.Equal(t, "Café a=b, softbreak, trailing\nliteral =ZZ and "+strings.Repeat("x", 5000)+"\n", m.Text)
	require.Empty(t, m.Problems)

	b64 := "From: a@b.test\nContent-Transfer-Encoding: BASE64\n\n" + wrap76(base64.StdEncoding.EncodeToString([]byte("Hello, base64 world")))
	m = parseString(t, b64, Options{})
	require.Equal(t, "Hello, base64 world", m.Text)
	require.Empty(t, m.Problems)

	broken := "From: a@b.test\nContent-Transfer-Encoding: base64\n\nSGVsbG8g!!!V29ybGQ=*** ###\n"
	m = parseString(t, broken, Options{})
	require.Equal(t, "Hello World", m.Text)
	require.True(t, hasProblem(m, "base64"), m.Problems)

	garbage := "From: a@b.test\nContent-Transfer-Encoding: base64\n\n\x00\xff===A\n"
	m = parseString(t, garbage, Options{})
	require.True(t, utf8.ValidString(m.Text))
	require.True(t, hasProblem(m, "base64"), m.Problems)

	unknown := "From: a@b.test\nContent-Transfer-Encoding: x-uuencode\n\nbody"
	m = parseString(t, unknown, Options{})
	require.Equal(t, "body", m.Text)
	require.True(t, hasProblem(m, "unknown transfer encoding x-uuencode"), m.Problems)
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s + "\r\n"
}

const alternative = `From: Ann <ann@example.com>
Subject: alt
Content-Type: multipart/alternative; boundary="alt"

preamble
--alt
Content-Type: text/plain; charset=utf-8

Plain version
--alt
Content-Type: text/html; charset=utf-8

<p>HTML <b>version</b></p>
--alt--
epilogue
`

func TestParseAlternative(t *testing.T) {
	m := parseString(t, crlf(alternative), Options{})
	require.Equal(t, "Plain version", m.Text)
	require.Equal(t, "<p>HTML <b>version</b></p>", m.HTML)
	require.Empty(t, m.Attachments)
	require.Empty(t, m.Problems)
}

func TestParseHTMLOnly(t *testing.T) {
	raw := "From: a@b.test\nContent-Type: text/html; charset=iso-8859-1\n\n" +
		"<html><head><title>T</title><style>p{}</style></head><body><p>Bonjour&nbsp;caf\xe9</p>" +
		"<script>alert('x')</script><p>Second</p></body></html>"
	m := parseString(t, raw, Options{})
	require.Equal(t, "Bonjour\u00a0café\n\nSecond", m.Text)
	require.NotContains(t, m.Text, "alert")
	require.Contains(t, m.HTML, "<script>")
	require.Contains(t, m.HTML, "café")
}

const mixed = `From: Ann <ann@example.com>
Subject: =?UTF-8?B?UmFwcG9ydCDwn5OO?=
Content-Type: multipart/mixed; boundary="mix"

--mix
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

See attached.
--alt
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>See <img src="cid:logo"> attached.</p>
--rel
Content-Type: image/png
Content-ID: <logo>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--alt--
--mix
Content-Type: application/pdf; name="=?ISO-8859-1?Q?r=E9sum=E9.pdf?="
Content-Disposition: attachment
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--mix
Content-Type: text/plain
Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC%20report.txt

twelve bytes
--mix
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="../../etc/passwd"

root:x:0:0
--mix
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="..\..\win\evil.exe"

MZ
--mix
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="a\x01b\x7fc.bin"

x
--mix
Content-Type: message/rfc822
Content-Disposition: attachment

From: Bob <bob@example.com>
Subject: =?UTF-8?Q?Original_probl=C3=A8me?=
Message-ID: <fwd@example.com>

The original text.
--mix
Content-Type: message/rfc822

From: Bob <bob@example.com>

No subject here.
--mix
Content-Type: application/octet-stream

unnamed
--mix--
`

func TestParseMixedNested(t *testing.T) {
	raw := strings.ReplaceAll(crlf(mixed), `\x01`, "\x01")
	raw = strings.ReplaceAll(raw, `\x7f`, "\x7f")
	m := parseString(t, raw, Options{})
	require.Equal(t, "Rapport 📎", m.Subject)
	require.Equal(t, "See attached.", m.Text)
	require.Equal(t, `<p>See <img src="cid:logo"> attached.</p>`, m.HTML)
	require.Empty(t, m.Problems)
	want := []Attachment{
		{Name: "attachment", ContentType: "image/png", Size: 8, Part: "1.2.2", Inline: true},
		{Name: "résumé.pdf", ContentType: "application/pdf", Size: 9, Part: "2"},
		{Name: "€ report.txt", ContentType: "text/plain", Size: 12, Part: "3"},
		{Name: "passwd", ContentType: "application/octet-stream", Size: 10, Part: "4"},
		{Name: "evil.exe", ContentType: "application/octet-stream", Size: 2, Part: "5"},
		{Name: "a b c.bin", ContentType: "application/octet-stream", Size: 1, Part: "6"},
		{Name: "Original problème.eml", ContentType: "message/rfc822", Size: 125, Part: "7"},
		{Name: "message.eml", ContentType: "message/rfc822", Size: 47, Part: "8"},
		{Name: "attachment", ContentType: "application/octet-stream", Size: 7, Part: "9"},
	}
	require.Equal(t, want, m.Attachments)

	name, ct, body, err := AttachmentContent(strings.NewReader(raw), "2", Limits{})
	require.NoError(t, err)
	require.Equal(t, "résumé.pdf", name)
	require.Equal(t, "application/pdf", ct)
	require.Equal(t, "%PDF-1.4\n", string(body))

	name, _, body, err = AttachmentContent(strings.NewReader(raw), "1.2.2", Limits{})
	require.NoError(t, err)
	require.Equal(t, "attachment", name)
	require.Equal(t, "\x89PNG\r\n\x1a\n", string(body))

	name, ct, body, err = AttachmentContent(strings.NewReader(raw), "7", Limits{})
	require.NoError(t, err)
	require.Equal(t, "Original problème.eml", name)
	require.Equal(t, "message/rfc822", ct)
	require.Contains(t, string(body), "The original text.")

	name, ct, body, err = AttachmentContent(strings.NewReader(raw), "3", Limits{})
	require.NoError(t, err)
	require.Equal(t, "€ report.txt", name)
	require.Equal(t, "text/plain", ct)
	require.Equal(t, "twelve bytes", string(body))

	latin1 := "From: a@b.test\nContent-Type: text/plain; charset=ISO-8859-1\n\nCaf\xe9"
	name, ct, body, err = AttachmentContent(strings.NewReader(latin1), "1", Limits{})
	require.NoError(t, err)
	require.Equal(t, "attachment", name)
	require.Equal(t, "text/plain; charset=iso-8859-1", ct)
	require.Equal(t, "Caf\xe9", string(body))

	for _, bad := range []string{"10", "1.5", "0", "x", "", "1..2", "01"} {
		_, _, _, err = AttachmentContent(strings.NewReader(raw), bad, Limits{})
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), fmt.Sprintf("%q", bad))
	}
}

func TestParseEncodedWords(t *testing.T) {
	cases := map[string]string{
		"=?UTF-8?B?SGVsbG8gV8O2cmxk?=":             "Hello Wörld",
		"=?ISO-8859-1?Q?Caf=E9_cr=E8me?=":          "Café crème",
		"=?UTF-8?Q?Adj?= =?UTF-8?Q?acent?=":        "Adjacent",
		"Re: =?windows-1252?Q?=93quoted=94?= text": "Re: \u201cquoted\u201d text",
		"=?UTF-8?B?broken base64?= stays":          "=?UTF-8?B?broken base64?= stays",
		"=?x-unknown?Q?abc?= readable":             "=?x-unknown?Q?abc?= readable",
		"=?UTF-8?Q?line=0D=0ABcc:_evil@x.test?=":   "line Bcc: evil@x.test",
		"tab\there\x00and\x1bescape":               "tab hereand escape",
		"=?UTF-8?Q?unterminated":                   "=?UTF-8?Q?unterminated",
	}
	for in, want := range cases {
		m := parseString(t, "From: a@b.test\nSubject: "+in+"\n\nx", Options{})
		require.Equal(t, want, m.Subject, in)
		require.True(t, utf8.ValidString(m.Subject))
	}
}

func TestParseMissingFromAndMessageID(t *testing.T) {
	m := parseString(t, "Subject: anonymous\n\nbody", Options{})
	require.Empty(t, m.FromAddress)
	require.Empty(t, m.MessageID)
	require.True(t, hasProblem(m, "missing From"), m.Problems)
	require.Equal(t, "body", m.Text)
	require.NotEmpty(t, m.Hash)

	m = parseString(t, "From: not an address at all\nMessage-ID: not an id\n\nbody", Options{})
	require.Empty(t, m.FromAddress)
	require.Empty(t, m.MessageID)
	require.True(t, hasProblem(m, "unparsable From"), m.Problems)
	require.True(t, hasProblem(m, "Message-ID"), m.Problems)

	m = parseString(t, "From: broken <ann@example.com\nMessage-ID: bare@example.com\n\nbody", Options{})
	require.Equal(t, "ann@example.com", m.FromAddress)
	require.Equal(t, "bare@example.com", m.MessageID)
}

func TestParseHeaderInjection(t *testing.T) {
	raws := []string{
		"From: =?UTF-8?Q?Ann=0D=0ABcc:_evil@x.test=0D=0A?= <ann@example.com>\nTo: support@acme.test\n\nbody",
		"From: Ann <ann@example.com>\rBcc: evil@x.test\nTo: support@acme.test\n\nbody",
		"From: \"Ann\r\nBcc: evil@x.test\" <ann@example.com>\nTo: support@acme.test\n\nbody",
	}
	for _, raw := range raws {
		m := parseString(t, raw, Options{})
		require.NotContains(t, m.FromName, "\n", raw)
		require.NotContains(t, m.FromName, "\r", raw)
		require.NotContains(t, m.FromAddress, "\r", raw)
		require.NotContains(t, m.FromAddress, "evil", raw)
		require.Equal(t, []string{"support@acme.test"}, m.To, raw)
		require.Empty(t, m.Cc, raw)
	}
}

func TestParseLongHeader(t *testing.T) {
	raw := "From: a@b.test\nX-Long: " + strings.Repeat("a", 1<<20) + "\nSubject: " + strings.Repeat("s", 100<<10) +
		"\nMessage-ID: <after@long.test>\n\nbody after"
	m := parseString(t, raw, Options{})
	require.Equal(t, "after@long.test", m.MessageID)
	require.Equal(t, "body after", m.Text)
	require.True(t, len(m.Subject) <= defaultMaxHeader && len(m.Subject) > defaultMaxHeader-20, len(m.Subject))
	require.True(t, hasProblem(m, "X-Long longer than 65536 bytes was cut"), m.Problems)
	require.True(t, hasProblem(m, "Subject longer"), m.Problems)
	require.Equal(t, int64(len(raw)), m.Size)
}

func TestParseNUL(t *testing.T) {
	raw := "From: Ann\x00 <ann@example.com>\nSubject: nul\x00here\n\nbody\x00with nul"
	m := parseString(t, raw, Options{})
	require.Equal(t, "ann@example.com", m.FromAddress)
	require.Equal(t, "nulhere", m.Subject)
	require.Equal(t, "bodywith nul", m.Text)
	require.True(t, hasProblem(m, "NUL"), m.Problems)
}

func TestParseBrokenBoundary(t *testing.T) {
	raw := "From: a@b.test\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\nfirst part\n--zz\nContent-Type: text/plain\n\nnever closed"
	m := parseString(t, crlf(raw), Options{})
	require.Contains(t, m.Text, "first part")
	require.True(t, hasProblem(m, "boundary"), m.Problems)

	noBoundary := "From: a@b.test\nContent-Type: multipart/mixed\n\njust text"
	m = parseString(t, noBoundary, Options{})
	require.Equal(t, "just text", m.Text)
	require.True(t, hasProblem(m, "boundary"), m.Problems)
}

// nested returns a message of depth multiparts nested in each other.
func nested(depth int) string {
	var b strings.Builder
	b.WriteString("From: a@b.test\r\nSubject: deep\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\ndeepest\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

func TestParseDepthLimit(t *testing.T) {
	start := time.Now()
	m := parseString(t, nested(1000), Options{})
	require.Less(t, time.Since(start), 2*time.Second)
	require.True(t, hasProblem(m, "nested deeper than 32"), m.Problems)
	require.Equal(t, "deep", m.Subject)
	require.NotContains(t, m.Text, "deepest")

	m = parseString(t, nested(5), Options{})
	require.Equal(t, "deepest", m.Text)
	require.Empty(t, m.Problems)

	m = parseString(t, nested(5), Options{Limits: Limits{MaxDepth: 3}})
	require.True(t, hasProblem(m, "nested deeper than 3"), m.Problems)
}

// manyParts returns a multipart/mixed message of n tiny attachments.
func manyParts(n int) string {
	var b strings.Builder
	b.WriteString("From: a@b.test\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n")
	for i := range n {
		fmt.Fprintf(&b, "--p\r\nContent-Type: application/octet-stream\r\n\r\n%d\r\n", i)
	}
	b.WriteString("--p--\r\n")
	return b.String()
}

func TestParsePartLimit(t *testing.T) {
	raw := manyParts(10000)
	start := time.Now()
	m := parseString(t, raw, Options{})
	require.Less(t, time.Since(start), 2*time.Second)
	require.Len(t, m.Attachments, defaultMaxParts-1) // the multipart itself is a part
	require.True(t, hasProblem(m, "more than 500 parts"), m.Problems)
	require.Equal(t, int64(len(raw)), m.Size)

	m = parseString(t, manyParts(10), Options{})
	require.Len(t, m.Attachments, 10)
	require.Empty(t, m.Problems)
}

// bigMessage streams a message with a huge base64 attachment without
// holding it in memory.
type bigMessage struct {
	head, tail string
	body       int64 // base64 bytes to generate
	pos        int64
}

func (b *bigMessage) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		switch {
		case b.pos < int64(len(b.head)):
			c := copy(p[n:], b.head[b.pos:])
			n += c
			b.pos += int64(c)
		case b.pos < int64(len(b.head))+b.body:
			i := b.pos - int64(len(b.head))
			if i%78 >= 76 {
				p[n] = "\r\n"[i%78-76]
			} else {
				p[n] = 'Q'
			}
			n++
			b.pos++
		default:
			i := b.pos - int64(len(b.head)) - b.body
			if i >= int64(len(b.tail)) {
				if n == 0 {
					return 0, io.EOF
				}
				return n, nil
			}
			c := copy(p[n:], b.tail[i:])
			n += c
			b.pos += int64(c)
		}
	}
	return n, nil
}

func TestParseLargeAttachmentStreams(t *testing.T) {
	big := func() *bigMessage {
		return &bigMessage{
			head: crlf("From: a@b.test\nSubject: big one\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee the file\n--b\n" +
				"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=big.bin\nContent-Transfer-Encoding: base64\n\n"),
			tail: "\r\n--b--\r\n",
			body: 50 << 20,
		}
	}
	start := time.Now()
	m, err := Parse(big(), Options{Limits: Limits{MaxBytes: 1 << 20}})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 2*time.Second)
	require.True(t, m.Truncated)
	require.Equal(t, "big one", m.Subject)
	require.Equal(t, "see the file", m.Text)
	require.Equal(t, int64(1<<20), m.Size)
	require.True(t, hasProblem(m, "too large"), m.Problems)
	require.False(t, hasProblem(m, "boundary"), m.Problems)

	// Without the limit it reads all 50 MB but only counts the attachment.
	m, err = Parse(big(), Options{Limits: Limits{MaxBytes: 64 << 20}})
	require.NoError(t, err)
	require.False(t, m.Truncated)
	require.Len(t, m.Attachments, 1)
	require.Equal(t, "big.bin", m.Attachments[0].Name)
	q := int64(50<<20)/78*76 + min(int64(50<<20)%78, 76)
	require.Equal(t, q/4*3+[]int64{0, 0, 1, 2}[q%4], m.Attachments[0].Size)
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "From: a@b.test\n"), nil
	}
	return 0, errors.New("disk on fire")
}

func TestParseReaderError(t *testing.T) {
	_, err := Parse(&failingReader{n: 1}, Options{})
	require.ErrorContains(t, err, "disk on fire")
	_, _, _, err = AttachmentContent(&failingReader{n: 1}, "1", Limits{})
	require.ErrorContains(t, err, "disk on fire")
}

func TestParseDeliveryReport(t *testing.T) {
	raw, err := os.ReadFile("testdata/postfix-bounce.eml")
	require.NoError(t, err)
	m, err := Parse(bytes.NewReader(raw), Options{})
	require.NoError(t, err)
	require.NotNil(t, m.Report)
	require.Equal(t, "incident-42.update-7@herald.example", m.Report.OriginalMessageID)
	require.Len(t, m.Report.Recipients, 1)
	r := m.Report.Recipients[0]
	require.Equal(t, "gone@example.com", r.Address)
	require.Equal(t, "failed", r.Action)
	require.Equal(t, "5.1.1", r.Status)
	require.Equal(t, "550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown in virtual mailbox table", r.Diagnostic)
	require.True(t, r.Permanent())
	require.NotEmpty(t, m.Automatic)
	require.Contains(t, m.Text, "could not\nbe delivered")
	require.Equal(t, "mailer-daemon@mail.example.org", m.FromAddress)

	raw, err = os.ReadFile("testdata/delayed.eml")
	require.NoError(t, err)
	m, err = Parse(bytes.NewReader(raw), Options{})
	require.NoError(t, err)
	require.NotNil(t, m.Report)
	require.Equal(t, "incident-42.update-8@herald.example", m.Report.OriginalMessageID)
	require.Len(t, m.Report.Recipients, 1)
	r = m.Report.Recipients[0]
	require.Equal(t, "slow@example.net", r.Address)
	require.Equal(t, "delayed", r.Action)
	require.Equal(t, "4.4.1", r.Status)
	require.False(t, r.Permanent())
}

func TestReportRecipientPermanent(t *testing.T) {
	require.True(t, ReportRecipient{Action: "failed", Status: "4.0.0"}.Permanent())
	require.True(t, ReportRecipient{Action: "delayed", Status: "5.2.2"}.Permanent())
	require.False(t, ReportRecipient{Action: "delivered", Status: "2.0.0"}.Permanent())
	require.False(t, ReportRecipient{Action: "delayed", Status: "4.4.7"}.Permanent())
}

func TestParseMboxAndLFOnly(t *testing.T) {
	m := parseString(t, "From ann@example.com Tue Nov 24 10:00:00 2026\nFrom: ann@example.com\nSubject: mbox\n\nbody\n", Options{})
	require.Equal(t, "ann@example.com", m.FromAddress)
	require.Equal(t, "mbox", m.Subject)
	require.Equal(t, "body\n", m.Text)
}

func TestParseEmptyAndGarbage(t *testing.T) {
	for _, raw := range []string{"", "\n", "\r\n\r\n", "no colon here\n\nbody", ":\n\n", " leading space\n\nbody", "\x00\x00\x00"} {
		m := parseString(t, raw, Options{})
		require.Equal(t, int64(len(raw)), m.Size)
		require.True(t, utf8.ValidString(m.Text))
	}
}

func TestParseEightBitWithoutCharset(t *testing.T) {
	raw := "From: Andr\xe9 <andre@example.com>\nSubject: R\xe9sum\xe9 \x93ok\x94\n\nCaf\xe9 \x80 5"
	m := parseString(t, raw, Options{})
	require.Equal(t, "Résumé \u201cok\u201d", m.Subject)
	require.Equal(t, "Café € 5", m.Text)
	require.Equal(t, "andre@example.com", m.FromAddress)
	require.True(t, hasProblem(m, "Windows-1252"), m.Problems)
}

func TestParseRFC2231Latin1Name(t *testing.T) {
	raw := "From: a@b.test\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n" +
		"Content-Type: application/pdf\nContent-Disposition: attachment; filename*=iso-8859-1'fr'r%E9sum%E9.pdf\n\n%PDF\n--b--\n"
	m := parseString(t, raw, Options{})
	require.Len(t, m.Attachments, 1)
	require.Equal(t, "résumé.pdf", m.Attachments[0].Name)
}

func TestParseManyReferences(t *testing.T) {
	var refs []string
	for i := range 150 {
		refs = append(refs, fmt.Sprintf("<r%d@x.test>", i))
	}
	m := parseString(t, "From: a@b.test\nReferences: "+strings.Join(refs, "\n ")+"\n\nx", Options{})
	require.Len(t, m.References, 100)
	require.Equal(t, "r50@x.test", m.References[0])
	require.Equal(t, "r149@x.test", m.References[99])
}

func TestParseLenientMultipart(t *testing.T) {
	raw := "From: a@b.test\nContent-Type: multipart/mixed; boundary=\"=_b\"\n\npreamble\n" +
		"--=_b\nContent-Type: text/plain\nthis line is not a field\nContent-Transfer-Encoding: quoted-printable\n\nfirst=3D1\n" +
		"--=_b   trailing garbage\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"a.bin\"\nX-Huge: " +
		strings.Repeat("h", 200<<10) + "\n\n" + strings.Repeat("z", 10000) + "\n" +
		"--=_b\n\n" +
		"--=_b\nContent-Type: text/plain\n\nlast\n--=_b--\nepilogue --=_b\n"
	m := parseString(t, raw, Options{})
	require.Equal(t, "first=1\n\nlast", m.Text)
	require.Len(t, m.Attachments, 1)
	require.Equal(t, Attachment{Name: "a.bin", ContentType: "application/octet-stream", Size: 10000, Part: "2"}, m.Attachments[0])
	require.True(t, hasProblem(m, "part 1: header: malformed header line skipped"), m.Problems)
	require.True(t, hasProblem(m, "part 2: header: field X-Huge longer than"), m.Problems)
	require.Equal(t, int64(len(raw)), m.Size)

	_, _, body, err := AttachmentContent(strings.NewReader(raw), "2", Limits{})
	require.NoError(t, err)
	require.Equal(t, strings.Repeat("z", 10000), string(body))

	noParts := "From: a@b.test\nContent-Type: multipart/mixed; boundary=nothere\n\njust a preamble\n"
	m = parseString(t, noParts, Options{})
	require.True(t, hasProblem(m, "boundary never found"), m.Problems)
}

func TestParseMemoryBounded(t *testing.T) {
	msg := &bigMessage{
		head: crlf("From: a@b.test\nSubject: big\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n" +
			"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"),
		tail: "\r\n--b--\r\n",
		body: 50 << 20,
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Parse(msg, Options{Limits: Limits{MaxBytes: 64 << 20}})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Len(t, m.Attachments, 1)
	require.Greater(t, m.Attachments[0].Size, int64(30<<20))
	allocated := after.TotalAlloc - before.TotalAlloc
	require.Less(t, allocated, uint64(8<<20), "allocated %d bytes to read a 50 MB message", allocated)
}

func TestParseTextCap(t *testing.T) {
	raw := "From: a@b.test\nContent-Type: text/plain; charset=utf-8\n\n" + strings.Repeat("é", 1<<20)
	m := parseString(t, raw, Options{})
	require.LessOrEqual(t, len(m.Text), maxTextBytes)
	require.Greater(t, len(m.Text), maxTextBytes-4)
	require.True(t, utf8.ValidString(m.Text))
	require.True(t, hasProblem(m, "text longer than"), m.Problems)
	require.False(t, hasProblem(m, "invalid UTF-8"), m.Problems)
}

func TestParseRealReplies(t *testing.T) {
	raw, err := os.ReadFile("testdata/gmail-reply.eml")
	require.NoError(t, err)
	m, err := Parse(bytes.NewReader(raw), Options{Own: []string{"status@herald.example"}})
	require.NoError(t, err)
	require.Empty(t, m.Problems)
	require.Empty(t, m.Automatic)
	require.Equal(t, "Renée Dupont", m.FromName)
	require.Equal(t, "renee.dupont@gmail.com", m.FromAddress)
	require.Equal(t, "CAF=xyz+0a1b2c3d@mail.gmail.com", m.MessageID)
	require.Equal(t, []string{"incident-42.update-7@herald.example"}, m.InReplyTo)
	require.Contains(t, m.HTML, `class="gmail_quote"`)
	// How the text splits into new and quoted is tested in package
	// inbound (TestSplitQuotedRealReplies).

	raw, err = os.ReadFile("testdata/outlook-html.eml")
	require.NoError(t, err)
	m, err = Parse(bytes.NewReader(raw), Options{})
	require.NoError(t, err)
	require.Empty(t, m.Problems)
	require.Equal(t, "Muller, Jorg", m.FromName)
	require.Equal(t, "j.muller@example.de", m.FromAddress)
	require.Equal(t, []Attachment{{Name: "Fehler 502.png", ContentType: "image/png", Size: 8, Part: "2"}}, m.Attachments)
	require.NotContains(t, m.Text, "MsoNormal")
}

func TestSanitizeName(t *testing.T) {
	cases := map[string]string{
		"report.pdf":               "report.pdf",
		"../../etc/passwd":         "passwd",
		`C:\\Users\\x\\evil.exe`:   "evil.exe",
		"invoice\u202Efdp.exe":     "invoicefdp.exe",
		"a\x00b\nc\rd.txt":         "a b c d.txt",
		"..":                       "attachment",
		"...hidden":                "hidden",
		"":                         "attachment",
		"   ":                      "attachment",
		"what?<>|*\":conflict.txt": "what_______conflict.txt",
		"\xff\xfe.bin":             "\uFFFD.bin",
		strings.Repeat("é", 300):   strings.Repeat("é", 127),
	}
	for in, want := range cases {
		require.Equal(t, want, sanitizeName(in), in)
	}
}

func TestParseAppleMailFragments(t *testing.T) {
	raw := crlf(`From: Ann <ann@example.com>
Content-Type: multipart/alternative; boundary="Apple-Mail=_1"

--Apple-Mail=_1
Content-Type: text/plain; charset=us-ascii

Before the screenshot.

After it.
--Apple-Mail=_1
Content-Type: multipart/mixed; boundary="Apple-Mail=_2"

--Apple-Mail=_2
Content-Type: text/html; charset=us-ascii

<html><body><div>Before the screenshot.</div>
--Apple-Mail=_2
Content-Disposition: inline; filename=shot.png
Content-Type: image/png; name="shot.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--Apple-Mail=_2
Content-Type: text/html; charset=us-ascii

<div>After it.</div></body></html>
--Apple-Mail=_2--
--Apple-Mail=_1--
`)
	m := parseString(t, raw, Options{})
	require.Equal(t, "Before the screenshot.\n\nAfter it.", m.Text)
	require.Equal(t, "<html><body><div>Before the screenshot.</div><div>After it.</div></body></html>", m.HTML)
	require.Equal(t, []Attachment{{Name: "shot.png", ContentType: "image/png", Size: 8, Part: "2.2", Inline: true}}, m.Attachments)
	require.Empty(t, m.Problems)
}
