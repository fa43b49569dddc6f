package web

import "time"

// Age makes every current snapshot look built d ago, so the next Refresh
// rebuilds it as the periodic rebuild would.
func (s *Snapshots) Age(d time.Duration) {
	old := s.idx.Load()
	next := make(map[string]*Snapshot, len(old.byID))
	for id, sn := range old.byID {
		v := *sn.View
		v.BuiltAt = v.BuiltAt.Add(-d)
		next[id] = &Snapshot{View: &v, Version: sn.Version, render: s.render}
	}
	s.idx.Store(buildIndex(next))
}
