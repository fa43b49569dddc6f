package status

import (
	"context"
	"slices"
)

// LoginAttempts returns the attempts counted against a throttle key
// ("account:EMAIL" or "address:IP") in its window.
func (s *Accounts) LoginAttempts(ctx context.Context, key string) (int, error) {
	f := new(loginFailure)
	err := s.db.NewSelect().Model(f).Where("key = ?", key).Scan(ctx)
	if KindOf(normalise(err)) == KindNotFound {
		return 0, nil
	}
	return f.Failures, err
}

// TimelineMessages returns every message Text knows, sorted.
func TimelineMessages() []TimelineMessage {
	out := make([]TimelineMessage, 0, len(timelineTexts))
	for m := range timelineTexts {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}
