package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-status/herald/status"
)

// Snapshots keeps an in-memory, pre-rendered copy of every page's public
// data (DESIGN.md §4 "Stays up"). Public requests are answered from it and
// never touch the database; a refresher rebuilds a page's snapshot when the
// page's version changes, whichever replica made the change. When the
// database is unreachable the last snapshots keep being served, marked stale.
type Snapshots struct {
	svc    *status.Service
	render *renderer
	log    *slog.Logger

	// warm, when set, pre-renders a new snapshot before it is published.
	warm func(*Snapshot)

	idx   atomic.Pointer[snapshotIndex]
	kick  chan struct{}
	state atomic.Pointer[refreshState]

	refreshMu sync.Mutex // one refresh at a time
}

type refreshState struct {
	At  time.Time // last successful refresh
	Err error     // last error, nil after a success
}

// snapshotIndex is an immutable lookup table, swapped whole.
type snapshotIndex struct {
	byID   map[string]*Snapshot
	bySlug map[string]*Snapshot
	byHost map[string]*Snapshot
	first  *Snapshot // served for unknown hosts: the oldest page
}

// Snapshot is one page's public data and the responses rendered from it.
type Snapshot struct {
	View    *status.PageView
	Version int64
	Stale   bool

	render *renderer
	cache  sync.Map     // cache key → *cached
	cached atomic.Int64 // entries in cache
}

// maxCachedAnswers bounds one snapshot's cache: past it, rarely requested
// answers (old incidents, deep history pages) are rendered for each
// request instead of kept, so crawling cannot grow memory.
const maxCachedAnswers = 256

// response is a pre-rendered answer: body, its gzip form and validators.
type response struct {
	status       int
	contentType  string
	body         []byte
	gz           []byte // nil when compression does not pay
	etag         string
	lastModified string

	// The same values as bytes, set on responses without conversions;
	// etagGzB is the ETag of the gzip form (a different representation,
	// RFC 9110 §8.8.3).
	contentTypeB, etagB, etagGzB, lastModifiedB []byte
}

func newSnapshots(svc *status.Service, r *renderer, log *slog.Logger) *Snapshots {
	s := &Snapshots{svc: svc, render: r, log: log, kick: make(chan struct{}, 1)}
	s.idx.Store(&snapshotIndex{byID: map[string]*Snapshot{}, bySlug: map[string]*Snapshot{}, byHost: map[string]*Snapshot{}})
	s.state.Store(&refreshState{})
	return s
}

// Changed asks for a refresh soon; it never blocks.
func (s *Snapshots) Changed(string) {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run refreshes every interval and whenever Changed is called, until ctx
// ends.
func (s *Snapshots) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("public snapshots not refreshed; serving the last ones", "err", err)
		}
	}
}

// rebuildEvery forces a rebuild of unchanged pages now and then, so that
// time-dependent parts (uptime bars, "today", upcoming maintenance) move on.
const rebuildEvery = time.Minute

// Refresh rebuilds the snapshots of pages whose version changed, drops
// deleted pages, and rebuilds everything older than rebuildEvery. On a
// database error it keeps the current snapshots and marks them stale.
func (s *Snapshots) Refresh(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	err := s.refresh(ctx)
	if err != nil {
		s.state.Store(&refreshState{At: s.state.Load().At, Err: err})
		s.markStale()
		return err
	}
	s.state.Store(&refreshState{At: time.Now()})
	return nil
}

func (s *Snapshots) refresh(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	versions, err := s.svc.Pages.Versions(ctx)
	if err != nil {
		return err
	}
	old := s.idx.Load()
	next := make(map[string]*Snapshot, len(versions))
	for id, ver := range versions {
		cur := old.byID[id]
		if cur != nil && !cur.Stale && cur.Version == ver && time.Since(cur.View.BuiltAt) < rebuildEvery {
			next[id] = cur
			continue
		}
		view, err := s.svc.Pages.View(ctx, status.Public(), id)
		if status.KindOf(err) == status.KindNotFound {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		sn := &Snapshot{View: view, Version: view.Page.Version, render: s.render}
		if s.warm != nil {
			s.warm(sn)
		}
		next[id] = sn
	}
	s.idx.Store(buildIndex(next))
	return nil
}

func buildIndex(snaps map[string]*Snapshot) *snapshotIndex {
	idx := &snapshotIndex{byID: snaps, bySlug: map[string]*Snapshot{}, byHost: map[string]*Snapshot{}}
	for _, sn := range snaps {
		p := sn.View.Page
		idx.bySlug[p.Slug] = sn
		for _, h := range p.Hosts {
			idx.byHost[h] = sn
		}
		if idx.first == nil || p.CreatedAt.Before(idx.first.View.Page.CreatedAt) ||
			(p.CreatedAt.Equal(idx.first.View.Page.CreatedAt) && p.ID < idx.first.View.Page.ID) {
			idx.first = sn
		}
	}
	return idx
}

// markStale re-renders the current snapshots with the "out of date" notice.
func (s *Snapshots) markStale() {
	old := s.idx.Load()
	next := make(map[string]*Snapshot, len(old.byID))
	for id, sn := range old.byID {
		if sn.Stale {
			next[id] = sn
			continue
		}
		stale := &Snapshot{View: sn.View, Version: sn.Version, Stale: true, render: s.render}
		if s.warm != nil {
			s.warm(stale)
		}
		next[id] = stale
	}
	s.idx.Store(buildIndex(next))
}

// Healthy reports whether the last refresh succeeded, and its error if not.
func (s *Snapshots) Healthy() (lastOK time.Time, err error) {
	st := s.state.Load()
	return st.At, st.Err
}

// ByHost returns the snapshot of the page served at host (port ignored),
// or the first page when no page claims the host.
func (s *Snapshots) ByHost(host string) *Snapshot {
	idx := s.idx.Load()
	if sn := idx.byHost[strings.ToLower(host)]; sn != nil {
		return sn
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		if sn := idx.byHost[strings.ToLower(h)]; sn != nil {
			return sn
		}
	}
	return idx.first
}

// ByHostBytes is ByHost for a raw Host header, without allocating when
// the host is lower case (as browsers and CDNs send it).
func (s *Snapshots) ByHostBytes(host []byte) *Snapshot {
	idx := s.idx.Load()
	if sn := idx.byHost[string(host)]; sn != nil {
		return sn
	}
	if i := bytes.IndexByte(host, ':'); i >= 0 {
		if sn := idx.byHost[string(host[:i])]; sn != nil {
			return sn
		}
	}
	for _, b := range host {
		if 'A' <= b && b <= 'Z' {
			return s.ByHost(string(host))
		}
	}
	return idx.first
}

// BySlug returns the snapshot of the page with the slug, or nil.
func (s *Snapshots) BySlug(slug string) *Snapshot { return s.idx.Load().bySlug[slug] }

// ByID returns the snapshot of the page with the id, or nil.
func (s *Snapshots) ByID(id string) *Snapshot { return s.idx.Load().byID[id] }

// Pages returns the current snapshots ordered by page name.
func (s *Snapshots) Pages() []*Snapshot {
	idx := s.idx.Load()
	out := make([]*Snapshot, 0, len(idx.byID))
	for _, sn := range idx.byID {
		out = append(out, sn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].View.Page.Name < out[j].View.Page.Name })
	return out
}

// cached is one cache entry, built once however many requests ask at the
// same time.
type cached struct {
	once sync.Once
	r    *response
	err  error
}

// get returns the cached response under key, building it once. A failed
// build is not kept, so unknown names cannot grow the cache.
func (sn *Snapshot) get(key string, build func() (*response, error)) (*response, error) {
	v, ok := sn.cache.Load(key)
	if !ok {
		if sn.cached.Load() >= maxCachedAnswers {
			return build()
		}
		var loaded bool
		if v, loaded = sn.cache.LoadOrStore(key, new(cached)); !loaded {
			sn.cached.Add(1)
		}
	}
	c := v.(*cached)
	c.once.Do(func() { c.r, c.err = build() })
	if c.err != nil {
		if sn.cache.CompareAndDelete(key, c) {
			sn.cached.Add(-1)
		}
		return nil, c.err
	}
	return c.r, nil
}

// cachedOK is get for a 200 answer of contentType whose body build renders.
func (sn *Snapshot) cachedOK(key, contentType string, build func() ([]byte, error)) (*response, error) {
	return sn.get(key, func() (*response, error) {
		b, err := build()
		if err != nil {
			return nil, err
		}
		return newResponse(http.StatusOK, contentType, b, sn.View.UpdatedAt), nil
	})
}

// newResponse computes validators and the gzip form of body once.
func newResponse(code int, contentType string, body []byte, modified time.Time) *response {
	sum := sha256.Sum256(body)
	r := &response{status: code, contentType: contentType, body: body,
		etag:         `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		lastModified: modified.UTC().Format(http.TimeFormat)}
	r.contentTypeB, r.etagB, r.lastModifiedB = []byte(contentType), []byte(r.etag), []byte(r.lastModified)
	r.etagGzB = []byte(strings.TrimSuffix(r.etag, `"`) + `-gz"`)
	if len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			r.gz = buf.Bytes()
		}
	}
	return r
}
