package status

import "context"

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
