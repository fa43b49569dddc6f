package status_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// Text-direction controls (the "Trojan Source" trick) are refused in
// one-line fields people type, dropped from one-line text that comes from
// outside, and kept in multi-line text, which pages show isolated.
func TestBidiControls(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		p := statustest.Page(t, b.svc, nil)
		for _, title := range []string{"Login \u202Egnp.exe", "A \u2066B\u2069 C", "\u202Aembedded"} {
			_, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: title, Severity: status.SeverityMinor,
				Visibility: status.VisibilityPublic, Body: "x"})
			requireField(t, err, status.KindInvalid, "title")
			_, err = b.svc.Customers.Create(b.ctx, status.CustomerInput{Name: title})
			requireField(t, err, status.KindInvalid, "name")
		}
		inc, err := b.svc.Incidents.Declare(b.ctx, p.ID, status.IncidentInput{Title: "Right-to-left: \u05E9\u05DC\u05D5\u05DD", Severity: status.SeverityMinor,
			Visibility: status.VisibilityPublic, Body: "Body with \u202E is kept; pages isolate it."})
		require.NoError(t, err, "right-to-left letters are text, not controls")
		require.Contains(t, inc.Updates[0].Body, "\u202E")

		item, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakeEmail, Title: "Invoice \u202Efdp.exe",
			SenderName: "Mallory \u2067x\u2069", Body: "mail"})
		require.NoError(t, err, "mail is kept")
		require.Equal(t, "Invoice fdp.exe", item.Title)
		require.Equal(t, "Mallory x", item.SenderName)

		require.Equal(t, "plain", status.IsolateDirection("plain"))
		require.Equal(t, "\u2068a\u202Eb\u2069", status.IsolateDirection("a\u202Eb"))
	})
}
