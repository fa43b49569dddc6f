package comms_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// An acknowledgement answers with "Re:" once, however many reply
// prefixes the message had (issue 14.11: "Re: Re: Data sync lagging").
func TestAcknowledgementSubject(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		ctx := t.Context()
		svc := status.New(bdb, status.Options{Now: func() time.Time { return h.now }})
		p := statustest.Page(t, svc, &statustest.PageOpts{Name: "Shop"})
		declared := statustest.Incident(t, svc, p.ID, &statustest.IncidentOpts{Title: "Checkout down"})
		inc, err := svc.Incidents.View(ctx, status.Public(), p.ID, declared.ID)
		require.NoError(t, err)
		ref := inc.Reference()

		cases := []struct {
			name, subject string
			incident      bool
			want          string
		}{
			{"plain", "Data sync lagging", false, "[Support] Re: Data sync lagging"},
			{"a reply", "Re: Data sync lagging", false, "[Support] Re: Data sync lagging"},
			{"duplicate prefixes", "RE: re: Re:Re : Data sync lagging", false, "[Support] Re: Data sync lagging"},
			{"counted and foreign prefixes", "Re[2]: AW: SV: Antw: Data sync lagging", false, "[Support] Re: Data sync lagging"},
			{"a reply to Herald's own email", "Re: [Shop] Checkout down — Investigating", true,
				"[Shop] Re: Checkout down — Investigating [" + ref + "]"},
			{"the reference is not repeated", "Re: Re: Still down " + ref, true, "[Shop] Re: Still down " + ref},
			{"a forward stays a forward", "Re: Fwd: Data sync lagging", false, "[Support] Re: Fwd: Data sync lagging"},
			{"empty", "", false, "[Support] Your message"},
			{"only prefixes", "Re: RE: ", false, "[Support] Your message"},
			{"malicious line break", "Re: x\r\nBcc: evil@example.com", false, "[Support] Re: x Bcc: evil@example.com"},
			{"words starting like a prefix", "Reset password fails", false, "[Support] Re: Reset password fails"},
		}
		for i, c := range cases {
			a := comms.Acknowledgement{To: fmt.Sprintf("person%d@acme.example", i), Subject: c.subject, SentAt: h.now,
				PageURL: "https://herald.example"}
			if c.incident {
				a.Incident, a.Page = inc, p
			}
			require.NoError(t, bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return h.box.Acknowledge(ctx, tx, a) }))
			require.Equal(t, c.want, h.email(t, h.jobs[len(h.jobs)-1]).Subject, c.name)
		}

		// A huge subject is cut, keeping the reference.
		a := comms.Acknowledgement{To: "huge@acme.example", Subject: "Re: " + strings.Repeat("ä", 5000), SentAt: h.now,
			Incident: inc, Page: p}
		require.NoError(t, bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return h.box.Acknowledge(ctx, tx, a) }))
		e := h.email(t, h.jobs[len(h.jobs)-1])
		require.LessOrEqual(t, len(e.Subject), 300)
		require.True(t, strings.HasSuffix(e.Subject, "… ["+ref+"]"), e.Subject)

		// Through SMTP, as a mail client reads it.
		require.NoError(t, h.box.Deliver(ctx, h.jobs[1]))
		msgs := h.smtp.Messages()
		require.Len(t, msgs, 1)
		hd, _ := parseEmail(t, msgs[0].Data)
		subj, err := hd.Subject()
		require.NoError(t, err)
		require.Equal(t, "[Support] Re: Data sync lagging", subj)
	})
}
