package inbound

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/inbound/mime"
)

func TestSplitQuoted(t *testing.T) {
	cases := []struct{ name, in, fresh, quoted string }{
		{
			"gmail",
			"Thanks, it works again.\n\nOn Tue, 24 Nov 2026 at 10:00, Acme Status <status@acme.test> wrote:\n> We are investigating.\n> -- Acme\n",
			"Thanks, it works again.",
			"On Tue, 24 Nov 2026 at 10:00, Acme Status <status@acme.test> wrote:\n> We are investigating.\n> -- Acme",
		},
		{
			"gmail wrapped attribution",
			"Still broken here.\n\nOn Tue, 24 Nov 2026 at 10:00, Acme Status Page Notifications <\nstatus@acme.test> wrote:\n\n> We are investigating.\n",
			"Still broken here.",
			"On Tue, 24 Nov 2026 at 10:00, Acme Status Page Notifications <\nstatus@acme.test> wrote:\n\n> We are investigating.",
		},
		{
			"apple mail",
			"Same for us.\n\nSent from my iPhone\n\n> On 24 Nov 2026, at 10:00, Acme Status <status@acme.test> wrote:\n> \n> We are investigating.\n",
			"Same for us.\n\nSent from my iPhone",
			"> On 24 Nov 2026, at 10:00, Acme Status <status@acme.test> wrote:\n> \n> We are investigating.",
		},
		{
			"outlook separator",
			"Please call me.\r\n\r\n________________________________\r\nFrom: Acme Status <status@acme.test>\r\nSent: Tuesday, November 24, 2026 10:00 AM\r\nTo: Ann\r\nSubject: Investigating\r\n\r\nWe are investigating.\r\n",
			"Please call me.",
			"________________________________\nFrom: Acme Status <status@acme.test>\nSent: Tuesday, November 24, 2026 10:00 AM\nTo: Ann\nSubject: Investigating\n\nWe are investigating.",
		},
		{
			"outlook block without separator",
			"Any update?\n\nFrom: Acme Status <status@acme.test>\nSent: Tuesday, November 24, 2026 10:00 AM\nSubject: Investigating\n\nWe are investigating.",
			"Any update?",
			"From: Acme Status <status@acme.test>\nSent: Tuesday, November 24, 2026 10:00 AM\nSubject: Investigating\n\nWe are investigating.",
		},
		{
			"original message",
			"See below.\n-----Original Message-----\nFrom: status@acme.test\nWe are investigating.",
			"See below.",
			"-----Original Message-----\nFrom: status@acme.test\nWe are investigating.",
		},
		{
			"french",
			"Merci pour l'info.\n\nLe mar. 24 nov. 2026 à 10:00, Acme Status <status@acme.test> a écrit :\n> Nous enquêtons.\n",
			"Merci pour l'info.",
			"Le mar. 24 nov. 2026 à 10:00, Acme Status <status@acme.test> a écrit :\n> Nous enquêtons.",
		},
		{
			"french non-breaking space",
			"D'accord.\n\nLe mar. 24 nov. 2026 à 10:00, Acme <status@acme.test> a écrit\u00a0:\n> Nous enquêtons.",
			"D'accord.",
			"Le mar. 24 nov. 2026 à 10:00, Acme <status@acme.test> a écrit\u00a0:\n> Nous enquêtons.",
		},
		{
			"french outlook",
			"Merci.\n\nDe\u00a0: Acme Status <status@acme.test>\nEnvoyé\u00a0: mardi 24 novembre 2026 10:00\nÀ\u00a0: Ann\nObjet\u00a0: Incident",
			"Merci.",
			"De\u00a0: Acme Status <status@acme.test>\nEnvoyé\u00a0: mardi 24 novembre 2026 10:00\nÀ\u00a0: Ann\nObjet\u00a0: Incident",
		},
		{
			"spanish",
			"Gracias.\n\nEl mar, 24 nov 2026 a las 10:00, Acme (<status@acme.test>) escribió:\n> Investigando.",
			"Gracias.",
			"El mar, 24 nov 2026 a las 10:00, Acme (<status@acme.test>) escribió:\n> Investigando.",
		},
		{
			"dutch",
			"Bedankt.\n\nOp di 24 nov. 2026 om 10:00 schreef Acme <status@acme.test>:\n> We onderzoeken het.",
			"Bedankt.",
			"Op di 24 nov. 2026 om 10:00 schreef Acme <status@acme.test>:\n> We onderzoeken het.",
		},
		{
			"german",
			"Danke.\n\nAm 24.11.2026 um 10:00 schrieb Acme Status <status@acme.test>:\n> Wir untersuchen das.\n",
			"Danke.",
			"Am 24.11.2026 um 10:00 schrieb Acme Status <status@acme.test>:\n> Wir untersuchen das.",
		},
		{
			"german outlook",
			"Bitte melden.\n\nVon: Acme Status <status@acme.test>\nGesendet: Dienstag, 24. November 2026 10:00\nAn: Ann\nBetreff: Störung\n\nWir untersuchen das.",
			"Bitte melden.",
			"Von: Acme Status <status@acme.test>\nGesendet: Dienstag, 24. November 2026 10:00\nAn: Ann\nBetreff: Störung\n\nWir untersuchen das.",
		},
		{
			"interleaved",
			"> Is the API down?\nYes, since 10:00.\n> Any ETA?\nNot yet.",
			"Yes, since 10:00.\nNot yet.",
			"> Is the API down?\n> Any ETA?",
		},
		{
			"no quote",
			"Hello,\n\nthe dashboard is slow. On my side it wrote nothing.\nFrom: me, as a customer.\n",
			"Hello,\n\nthe dashboard is slow. On my side it wrote nothing.\nFrom: me, as a customer.",
			"",
		},
		{"empty", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fresh, quoted := SplitQuoted(c.in)
			require.Equal(t, c.fresh, fresh)
			require.Equal(t, c.quoted, quoted)
			require.Equal(t, strings.Fields(c.in), strings.Fields(interleave(c.in, fresh, quoted)))
		})
	}
}

// TestSplitQuotedRealReplies splits the text the MIME reader gives of real
// replies (the messages are the reader's test data).
func TestSplitQuotedRealReplies(t *testing.T) {
	raw, err := os.ReadFile("mime/testdata/gmail-reply.eml")
	require.NoError(t, err)
	m, err := mime.Parse(bytes.NewReader(raw), mime.Options{Own: []string{"status@herald.example"}})
	require.NoError(t, err)
	fresh, quoted := SplitQuoted(m.Text)
	require.Equal(t, "Still seeing 502s from Paris — is the EU region affected too?\n\nRenée", fresh)
	require.True(t, strings.HasPrefix(quoted, "On Tue, 24 Nov 2026 at 10:00, Acme Status <status@herald.example> wrote:"), quoted)
	require.Contains(t, quoted, "> https://status.acme.example/incidents/42")

	raw, err = os.ReadFile("mime/testdata/outlook-html.eml")
	require.NoError(t, err)
	m, err = mime.Parse(bytes.NewReader(raw), mime.Options{})
	require.NoError(t, err)
	fresh, quoted = SplitQuoted(m.Text)
	require.Equal(t, "Hallo, wir sehen „502“ Fehler seit 10:00 – Kosten 50 € pro Stunde.\n\nGrüße\nJörg", fresh)
	require.True(t, strings.HasPrefix(quoted, "Von: Acme Status <status@herald.example>\nGesendet:"), quoted)
	require.Contains(t, quoted, "We are investigating.")
}

// interleave returns fresh and quoted in the order of the lines of in,
// so the test can check no text was lost.
func interleave(in, fresh, quoted string) string {
	f := strings.Split(fresh, "\n")
	q := strings.Split(quoted, "\n")
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(in, "\r\n", "\n"), "\n") {
		switch {
		case len(f) > 0 && strings.TrimSpace(f[0]) == strings.TrimSpace(l):
			out, f = append(out, f[0]), f[1:]
		case len(q) > 0 && strings.TrimSpace(q[0]) == strings.TrimSpace(l):
			out, q = append(out, q[0]), q[1:]
		}
	}
	return strings.Join(out, "\n")
}

func FuzzSplitQuoted(f *testing.F) {
	for _, s := range []string{
		"hi\n\nOn Tue, 24 Nov 2026 at 10:00, Ann <ann@x> wrote:\n> old",
		"a\r\n> b\r\nc", "Le 24 nov. à 10:00, A a écrit :\n> x", "Am 1.1. schrieb A:\n> x",
		"x\n-----Original Message-----\ny", "x\nFrom: a\nSent: b\ny", "x\n________________________________\ny",
		"On x\nwrote:\n", "", "\n\n>", "no quote at all",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fresh, quoted := SplitQuoted(s)
		want := strings.Fields(s)
		got := append(strings.Fields(fresh), strings.Fields(quoted)...)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Fatalf("text lost or added:\nin %q\nfresh %q\nquoted %q", s, fresh, quoted)
		}
	})
}
