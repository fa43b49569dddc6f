package comms

import (
	"context"
	"net/url"

	"github.com/herald-status/herald/status"
	"github.com/uptrace/bun"
)

// Audience returns the fan-out's view of s: the confirmed subscribers of a
// page's components, each with its manage and unsubscribe links.
func (s *Subscribers) Audience(base *url.URL) Audience {
	return func(ctx context.Context, page *status.Page, componentIDs []string, afterID string, limit int) ([]Recipient, error) {
		subs, err := s.Recipients(ctx, page.ID, componentIDs, afterID, limit)
		if err != nil {
			return nil, err
		}
		out := make([]Recipient, len(subs))
		for i, sub := range subs {
			out[i] = Recipient{ID: sub.ID, Email: sub.Email, ManageURL: s.ManageURL(base, page, sub),
				UnsubscribeURL: s.UnsubscribeURL(base, page, sub)}
		}
		return out, nil
	}
}

// Delivered is the outbox's report of emails to subscribers: a permanent
// failure counts toward bouncing the subscriber, a delivery resets it.
func (s *Subscribers) Delivered(ctx context.Context, db bun.IDB, es []*Email, sent bool) error {
	var ids []string
	for _, e := range es {
		if e.SubscriberID != "" {
			ids = append(ids, e.SubscriberID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if sent {
		return s.recordDelivered(ctx, db, ids)
	}
	for _, id := range ids {
		if err := s.recordFailure(ctx, db, id); err != nil {
			return err
		}
	}
	return nil
}
