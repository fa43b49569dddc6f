package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// The dashboard lists open incidents most urgent first, with the countdown
// to the next update and the escalation steps that need someone, and the
// maintenance to come.
func TestConsoleDashboard(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		b := setup(t, bdb)
		viewer := statustest.User(t, b.svc, &statustest.UserOpts{Role: status.RoleViewer, Password: consolePassword})
		p := statustest.Page(t, b.svc, &statustest.PageOpts{TimeZone: "Europe/Berlin"})

		b.clock.Set(epoch.Add(-3 * time.Hour))
		long := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Long running <i>", Severity: status.SeverityMinor})
		b.clock.Set(epoch.Add(-10 * time.Minute))
		fresh := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Fresh one", Severity: status.SeverityMajor})
		b.clock.Set(epoch)
		m := statustest.Maintenance(t, b.svc, p.ID, &statustest.MaintenanceOpts{Title: "Database upgrade",
			ScheduledFor: epoch.Add(24 * time.Hour), ScheduledUntil: epoch.Add(26 * time.Hour)})
		resolved := statustest.Incident(t, b.svc, p.ID, &statustest.IncidentOpts{Title: "Already over"})
		_, err := b.svc.Incidents.PostUpdate(b.ctx, p.ID, resolved.ID, status.UpdateInput{State: status.StateResolved, Body: "Fixed."})
		require.NoError(t, err)

		br := newBrowser(t, b)
		require.Equal(t, http.StatusSeeOther, br.login(viewer.Email, consolePassword).Code)
		r := br.send(http.MethodGet, "/console/", nil)
		require.Equal(t, http.StatusOK, r.Code)
		body := r.String()

		iLong, iFresh := strings.Index(body, "Long running"), strings.Index(body, "Fresh one")
		require.Positive(t, iLong)
		require.Positive(t, iFresh)
		require.Less(t, iLong, iFresh, "the overdue incident comes first")
		require.Contains(t, body, "Long running &lt;i&gt;")
		require.Contains(t, body, "overdue by 2 h 30 min")
		require.Contains(t, body, "due in 20 min")
		require.Contains(t, body, "cadence-overdue")
		require.Contains(t, body, "inform Account Management", "over 2 h: Account Management must be informed")
		require.Contains(t, body, "Major incident: Account Management decides whether to do a post-mortem")
		require.NotContains(t, body, "Already over", "resolved incidents are not on the dashboard")
		require.Contains(t, body, `/console/pages/`+p.ID+`/maintenance/`+m.ID, "maintenance links to its console page")
		require.Contains(t, body, "Database upgrade")
		require.Contains(t, body, "CET", "maintenance times in the page's time zone")
		require.NotContains(t, body, "Declare an incident", "viewers only read")
		require.Contains(t, body, "/console/pages/"+p.ID+"/incidents/"+long.ID)
		require.Contains(t, body, "/console/pages/"+p.ID+"/incidents/"+fresh.ID)

		require.NoError(t, b.svc.Incidents.RecordEscalation(b.ctx, p.ID, long.ID, status.EscalationStep{What: status.RecordAMInformed, DecidedBy: "Casey"}))
		body = br.send(http.MethodGet, "/console/", nil).String()
		require.NotContains(t, body, "inform Account Management", "a step done no longer needs anyone")
		require.NotContains(t, body, "waiting in the triage inbox", "an empty inbox says nothing")

		// The triage inbox count, on the dashboard and in the navigation.
		for _, title := range []string{"Is it down?", "Slow"} {
			_, _, err := b.svc.Intake.Create(b.ctx, status.IntakeInput{Source: status.IntakeEmail, Title: title})
			require.NoError(t, err)
		}
		body = br.send(http.MethodGet, "/console/", nil).String()
		require.Contains(t, body, "2 items waiting in the triage inbox")
		require.Contains(t, br.send(http.MethodGet, "/console/maintenance", nil).String(), `aria-label="2 open"`)
	})
}
