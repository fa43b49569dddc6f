package main

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status"
)

// acknowledger answers people who write to the support mailbox, when
// HERALD_MAIL_ACKNOWLEDGE is on: with the incident's reference and its
// status page when their mail joined one they may see, else with Herald's
// address.
func acknowledger(cfg *Config, svc *status.Service, outbox *comms.Outbox) func(ctx context.Context, tx bun.Tx, m *inbound.StoredMessage, pageID, incidentID string, item *status.IntakeItem) error {
	if !cfg.MailAcknowledge {
		return nil
	}
	return func(ctx context.Context, tx bun.Tx, m *inbound.StoredMessage, pageID, incidentID string, _ *status.IntakeItem) error {
		a := comms.Acknowledgement{To: m.FromAddress, Subject: m.Subject, MessageID: m.MessageID, SentAt: m.ReceivedAt,
			PageURL: cfg.baseURL.String()}
		if incidentID == "" {
			return outbox.Acknowledge(ctx, tx, a)
		}
		// The sender is told only what their audience may see of the
		// incident their mail joined.
		who := status.Public()
		if c, _, err := svc.MatchCustomer(ctx, tx, m.FromAddress); err == nil {
			who = status.CustomerAudience(c.ID)
		}
		inc, err := svc.IncidentViewWith(ctx, tx, who, pageID, incidentID)
		if status.KindOf(err) == status.KindNotFound {
			return outbox.Acknowledge(ctx, tx, a)
		}
		if err != nil {
			return err
		}
		page, err := svc.PageWith(ctx, tx, pageID)
		if err != nil {
			return err
		}
		a.Incident, a.Page, a.PageURL, a.ReplyTo = inc, page, page.URL(cfg.baseURL), page.SupportEmail
		return outbox.Acknowledge(ctx, tx, a)
	}
}
