package mime

import (
	"bytes"
	"encoding/base64"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzSeeds returns messages of every kind the parser must survive, each
// under 64 KiB.
func fuzzSeeds() []string {
	seeds := []string{
		simple, crlf(simple), alternative, crlf(mixed), nested(3), nested(40), manyParts(5), manyParts(600),
		"",
		"From: a@b.test\n\nbody",
		"From: a@b.test\nContent-Type: text/plain; charset=iso-8859-1\n\nCaf\xe9",
		"From: a@b.test\nContent-Type: text/plain; charset=windows-1252\n\n\x93q\x94 \x80",
		"From: a@b.test\nContent-Type: text/plain; charset=utf-8\n\n\xff\xfe",
		"From: a@b.test\nContent-Type: text/plain; charset=x-foo\n\nx",
		"From: a@b.test\nContent-Transfer-Encoding: quoted-printable\n\na=3Db=\n=ZZ=",
		"From: a@b.test\nContent-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString([]byte("hello")),
		"From: a@b.test\nContent-Transfer-Encoding: base64\n\nSGV!!sbG8=*=",
		"From: a@b.test\nContent-Type: text/html\n\n<p>a<script>x</script><ul><li>b</ul><table><tr><td>c<td>d",
		"Subject: =?UTF-8?B?SGVsbG8=?= =?ISO-8859-1?Q?caf=E9?= =?bad?Q?x?= =?UTF-8?Q?unterminated\n\nx",
		"From: =?UTF-8?Q?A=0D=0ABcc:_e@x.test?= <a@b.test>\rBcc: e@x.test\n\nx",
		"From: a@b.test\nX-Long: " + strings.Repeat("a", 60000) + "\n\nx",
		"From: a\x00@b.test\nSubject: \x00\n\n\x00",
		"From: a@b.test\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\nnever closed",
		"From: a@b.test\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n\nx",
		"From: a@b.test\nContent-Type: multipart/alternative; boundary=a\n\n--a\n\n--a\nContent-Type: message/rfc822\n\nSubject: ../../x\n\ny\n--a--",
		"From: a@b.test\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: in digest\n\nz\n--d--\n",
		"From: a@b.test\nContent-Type: application/pdf; name*=UTF-8''%2E%2E%2Fetc%2Fpasswd\nContent-Disposition: attachment; filename=\"=?UTF-8?Q?..=2F..=2Fx?=\"\n\n%PDF",
		"From ann Tue Nov 24\nFrom: a@b.test\n\nmbox",
		" leading\n\nx",
	}
	for _, f := range []string{"testdata/postfix-bounce.eml", "testdata/delayed.eml", "testdata/gmail-reply.eml", "testdata/outlook-html.eml"} {
		if b, err := os.ReadFile(f); err == nil {
			seeds = append(seeds, string(b))
		}
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		if len(s) < 64<<10 {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, l := range []Limits{{}, {MaxBytes: 4096, MaxDepth: 4, MaxParts: 20, MaxHeader: 256}} {
			m, err := Parse(bytes.NewReader(raw), Options{Limits: l, Own: []string{"status@herald.example"}})
			if err != nil {
				t.Fatalf("Parse failed on content: %v", err)
			}
			checkMessage(t, m, l.withDefaults(), int64(len(raw)))
			for _, a := range m.Attachments[:min(len(m.Attachments), 3)] {
				name, _, body, err := AttachmentContent(bytes.NewReader(raw), a.Part, l)
				if err != nil && strings.Contains(err.Error(), "no such part") {
					t.Fatalf("attachment %q listed but not found: %v", a.Part, err)
				}
				if err == nil && (int64(len(body)) != a.Size || name != a.Name) {
					t.Fatalf("attachment %+v downloads as %q with %d bytes", a, name, len(body))
				}
			}
		}
	})
}

// checkMessage asserts what Parse promises for any input.
func checkMessage(t *testing.T, m *Message, l Limits, n int64) {
	t.Helper()
	if m.Size > l.MaxBytes || m.Size != min(n, l.MaxBytes) {
		t.Fatalf("Size %d for %d bytes with MaxBytes %d", m.Size, n, l.MaxBytes)
	}
	if m.Truncated != (n > l.MaxBytes) {
		t.Fatalf("Truncated %v for %d bytes with MaxBytes %d", m.Truncated, n, l.MaxBytes)
	}
	if len(m.Attachments) > l.MaxParts || len(m.Problems) > maxProblems {
		t.Fatalf("%d attachments, %d problems", len(m.Attachments), len(m.Problems))
	}
	if len(m.Text) > maxTextBytes || len(m.HTML) > maxTextBytes || len(m.Hash) != 64 {
		t.Fatalf("Text %d, HTML %d bytes, hash %q", len(m.Text), len(m.HTML), m.Hash)
	}
	for name, s := range map[string]string{"Text": m.Text, "HTML": m.HTML, "Subject": m.Subject, "FromName": m.FromName,
		"FromAddress": m.FromAddress, "MessageID": m.MessageID} {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("%s is not valid UTF-8 without NUL: %q", name, s)
		}
	}
	lines := []string{m.Subject, m.FromName, m.FromAddress, m.MessageID, m.ReplyTo, m.Automatic}
	for _, l := range [][]string{m.To, m.Cc, m.InReplyTo, m.References, m.Problems} {
		lines = append(lines, l...)
	}
	for _, s := range lines {
		if strings.ContainsAny(s, "\r\n\x00") || !utf8.ValidString(s) {
			t.Fatalf("line break, NUL or invalid UTF-8 in a header value: %q", s)
		}
	}
	for _, a := range m.Attachments {
		if a.Name == "" || strings.ContainsAny(a.Name, `/\`) || strings.IndexFunc(a.Name, unicode.IsControl) >= 0 ||
			a.Name == "." || a.Name == ".." || strings.IndexFunc(a.Name, bidiControl) >= 0 || !utf8.ValidString(a.Name) || a.Size < 0 || !validPartPath(a.Part) {
			t.Fatalf("bad attachment %+v", a)
		}
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{
		"<p>a</p>", "<ul><li>x<ol><li>y</ol></ul>", "<table><tr><td>a<td>b</table>", "<script>x</script>y",
		`<a href="http://x">t</a>`, "&amp;&#0;&#xD800;&bogus;", "<pre>  x\n y</pre>", strings.Repeat("<div>", 1000),
		"<!--", "<a href=javascript:x>", "\xff<b>\xfe", "<svg><script>z</script></svg>w",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlToText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 from valid input: %q", out)
		}
		if len(out) > 20*len(s)+64 {
			t.Fatalf("output %d bytes for %d", len(out), len(s))
		}
	})
}
