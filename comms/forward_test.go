package comms_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db/dbtest"
	"github.com/herald-status/herald/status/statustest"
)

// A dismissal forwards the item to the service desk; undoing it sends the
// desk a short note, in reply to the forward, that the item was taken
// back; dismissing it again forwards it again. Without a service desk
// address nothing is sent either way.
func TestServiceDeskHearsOfAnUndoneDismissal(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, bdb *bun.DB) {
		h := newHarness(t, bdb, false)
		clock := statustest.NewClock(h.now)
		notifier := &comms.Notifier{Outbox: h.box, ServiceDesk: "desk@example.com"}
		svc := status.New(bdb, status.Options{Now: clock.Now, Notifier: notifier})
		ada := status.WithActor(t.Context(), status.Actor{Kind: status.ActorUser, ID: "u1", Name: "Ada"})
		bob := status.WithActor(t.Context(), status.Actor{Kind: status.ActorUser, ID: "u2", Name: "Bob"})
		item, _, err := svc.Intake.Create(ada, status.IntakeInput{Source: status.IntakePhone, Title: "Printer on fire",
			SenderName: "Ann", SenderPhone: "+49 30 1234567"})
		require.NoError(t, err)
		deliver := func() {
			t.Helper()
			for _, id := range h.jobs {
				require.NoError(t, h.box.Deliver(t.Context(), id))
			}
		}

		_, err = svc.Intake.Dismiss(ada, item.ID, "Facilities, not us.")
		require.NoError(t, err)
		clock.Advance(time.Hour)
		_, err = svc.Intake.UndoDismissal(bob, item.ID)
		require.NoError(t, err)
		deliver()
		msgs := h.smtp.Messages()
		require.Len(t, msgs, 2, "the forward and the note")
		fwdHeader, _ := parseEmail(t, msgs[0].Data)
		subject, err := fwdHeader.Subject()
		require.NoError(t, err)
		require.Equal(t, "Fwd: Printer on fire", subject)
		fwdIDs, err := fwdHeader.MsgIDList("Message-Id")
		require.NoError(t, err)

		require.Equal(t, []string{"desk@example.com"}, msgs[1].To)
		hd, parts := parseEmail(t, msgs[1].Data)
		subject, err = hd.Subject()
		require.NoError(t, err)
		require.Equal(t, "Taken back: Printer on fire", subject)
		irt, err := hd.MsgIDList("In-Reply-To")
		require.NoError(t, err)
		require.Equal(t, fwdIDs, irt, "it answers the forward")
		require.Len(t, parts, 1)
		require.Contains(t, parts[0], "text/plain: Herald's triage has taken back an item it forwarded to you")
		require.Contains(t, parts[0], "Taken back by: Bob")
		require.Contains(t, parts[0], "Subject: Printer on fire")
		require.Equal(t, "auto-generated", hd.Get("Auto-Submitted"))

		var kinds []string
		require.NoError(t, bdb.NewSelect().Model((*comms.Email)(nil)).Column("kind").Order("kind").Scan(t.Context(), &kinds))
		require.Equal(t, []string{"forward", comms.KindForwardTakenBack}, kinds)

		// Dismissed again, it is forwarded again.
		clock.Advance(time.Hour)
		_, err = svc.Intake.Dismiss(ada, item.ID, "")
		require.NoError(t, err)
		deliver()
		require.Len(t, h.smtp.Messages(), 3, "a second dismissal forwards a second time")

		// Without an address: nothing is sent, and the undo sends nothing.
		notifier.ServiceDesk = ""
		quiet, _, err := svc.Intake.Create(ada, status.IntakeInput{Source: status.IntakePhone, Title: "Quiet", SenderName: "Ann"})
		require.NoError(t, err)
		h.jobs = nil
		dismissed, err := svc.Intake.Dismiss(ada, quiet.ID, "")
		require.NoError(t, err)
		require.Equal(t, "Not forwarded: no service desk address is set (HERALD_SERVICE_DESK_EMAIL).", dismissed.Note)
		_, err = svc.Intake.UndoDismissal(bob, quiet.ID)
		require.NoError(t, err)
		require.Empty(t, h.jobs)
		deliver()
		require.Len(t, h.smtp.Messages(), 3)
	})
}
