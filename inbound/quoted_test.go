package inbound

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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

func TestUnflow(t *testing.T) {
	in := "This is a long \r\nparagraph that was \r\nwrapped.\r\n\r\n> Quoted text \r\n> goes on.\r\n>> Deeper \r\n>> too.\r\n From stuffed\r\n-- \r\nSig"
	require.Equal(t, "This is a long paragraph that was wrapped.\n\n> Quoted text goes on.\n>> Deeper too.\nFrom stuffed\n-- \nSig", unflow(in, false))
	require.Equal(t, "Joinedwords", unflow("Joined \nwords", true))
	require.Equal(t, "plain\ntext", unflow("plain\ntext", false))

	raw := "From: a@b.test\nContent-Type: text/plain; charset=utf-8; format=flowed\n\nThe status page \nis down.\n"
	m := parseString(t, raw, Options{})
	require.Equal(t, "The status page is down.\n", m.Text)
}
