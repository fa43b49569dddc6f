package web

import (
	"bytes"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// Cache policy for public answers: short freshness so a CDN in front picks
// up changes quickly, long stale-if-error so it covers for an outage.
const publicCacheControl = "public, max-age=15, stale-while-revalidate=30, stale-if-error=86400"

const (
	htmlType = "text/html; charset=utf-8"
	jsonType = "application/json; charset=utf-8"
)

// pageFor returns the snapshot a public request is for, and the prefix of
// links within it: "/p/{slug}" when addressed by slug, "" by host name.
func (s *Server) pageFor(c *fiber.Ctx) (*Snapshot, string, error) {
	if slug := c.Params("slug"); slug != "" {
		sn := s.snapshots.BySlug(slug)
		if sn == nil {
			return nil, "", s.noPage(c)
		}
		return sn, "/p/" + slug, nil
	}
	var sn *Snapshot
	if len(s.deps.TrustedProxies) == 0 {
		sn = s.snapshots.ByHostBytes(c.Request().Host())
	} else {
		sn = s.snapshots.ByHost(c.Hostname()) // honours X-Forwarded-Host
	}
	if sn == nil {
		return nil, "", s.noPage(c)
	}
	return sn, "", nil
}

// noPage answers when there is no snapshot to serve: 503 while the first
// snapshot could not be built, 404 when no such page exists.
func (s *Server) noPage(c *fiber.Ctx) error {
	if _, err := s.snapshots.Healthy(); err != nil {
		return fiber.NewError(fiber.StatusServiceUnavailable, "The status page is starting up; try again in a moment.")
	}
	return fiber.NewError(fiber.StatusNotFound, "There is no status page here. Create one through the admin API, or run \"herald demo\".")
}

// send writes a pre-rendered response with validators, answering 304 when
// the client's copy is current and pre-compressed bytes when it accepts gzip.
func (s *Server) send(c *fiber.Ctx, r *response) error {
	h := &c.Response().Header
	body, etag := r.body, r.etagB
	gz := r.gz != nil && acceptsGzip(c)
	if gz {
		body, etag = r.gz, r.etagGzB
	}
	h.SetCanonical(hdrETag, etag)
	h.SetCanonical(hdrLastModified, r.lastModifiedB)
	h.SetCanonical(hdrCacheControl, hdrPublicCache)
	h.SetCanonical(hdrVary, hdrAcceptEncoding)
	if r.contentType == htmlType {
		setHTMLSecurityHeaders(c)
	}
	if notModified(c, r, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	h.SetCanonical(hdrContentType, r.contentTypeB)
	if gz {
		h.SetCanonical(hdrContentEncoding, hdrGzip)
	}
	c.Status(r.status)
	return c.Send(body)
}

// Canonical header names and fixed values for send.
var (
	hdrETag            = []byte(fiber.HeaderETag)
	hdrLastModified    = []byte(fiber.HeaderLastModified)
	hdrCacheControl    = []byte(fiber.HeaderCacheControl)
	hdrVary            = []byte(fiber.HeaderVary)
	hdrAcceptEncoding  = []byte(fiber.HeaderAcceptEncoding)
	hdrContentType     = []byte(fiber.HeaderContentType)
	hdrContentEncoding = []byte(fiber.HeaderContentEncoding)
	hdrGzip            = []byte("gzip")
	hdrPublicCache     = []byte(publicCacheControl)
)

func notModified(c *fiber.Ctx, r *response, etag []byte) bool {
	if r.status != fiber.StatusOK {
		return false
	}
	if inm := c.Request().Header.Peek(fiber.HeaderIfNoneMatch); len(inm) > 0 {
		return etagMatches(inm, string(etag))
	}
	if ims := c.Get(fiber.HeaderIfModifiedSince); ims != "" {
		t, err := time.Parse(time.RFC1123, ims)
		lm, err2 := time.Parse(time.RFC1123, r.lastModified)
		return err == nil && err2 == nil && !lm.After(t)
	}
	return false
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(header []byte, etag string) bool {
	for _, part := range bytes.Split(header, []byte(",")) {
		part = bytes.TrimSpace(part)
		part = bytes.TrimPrefix(part, []byte("W/"))
		if string(part) == etag || string(part) == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether the client takes gzip. A header with
// parameters is parsed in full so that "gzip;q=0" means no (RFC 9110
// §12.5.3); the common "gzip, deflate, br" takes the quick path.
func acceptsGzip(c *fiber.Ctx) bool {
	h := c.Request().Header.Peek(fiber.HeaderAcceptEncoding)
	if bytes.IndexByte(h, ';') < 0 {
		return bytes.Contains(h, []byte("gzip"))
	}
	return c.AcceptsEncodings("gzip") == "gzip"
}

func setHTMLSecurityHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	h.SetCanonical(hdrCSP, valCSP)
	h.SetCanonical(hdrNoSniff, valNoSniff)
	h.SetCanonical(hdrReferrer, valReferrer)
}

var (
	hdrCSP      = []byte("Content-Security-Policy")
	valCSP      = []byte("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	hdrNoSniff  = []byte(fiber.HeaderXContentTypeOptions)
	valNoSniff  = []byte("nosniff")
	hdrReferrer = []byte(fiber.HeaderReferrerPolicy)
	valReferrer = []byte("strict-origin-when-cross-origin")
)

// showStatus serves GET / (the status page).
func (s *Server) showStatus(c *fiber.Ctx) error {
	sn, root, err := s.pageFor(c)
	if err != nil {
		return err
	}
	r, err := s.statusResponse(sn, root)
	if err != nil {
		return err
	}
	return s.send(c, r)
}

// statusResponse is the status page of sn with links under root.
func (s *Server) statusResponse(sn *Snapshot, root string) (*response, error) {
	return sn.cachedOK("status\x00"+root, htmlType, func() ([]byte, error) {
		return sn.render.statusPage(sn.View, root, sn.Stale)
	})
}

// showIncident serves GET /incidents/:id.
func (s *Server) showIncident(c *fiber.Ctx) error {
	sn, root, err := s.pageFor(c)
	if err != nil {
		return err
	}
	id := c.Params("id")
	var inc *status.IncidentView
	for _, x := range sn.View.Incidents {
		if x.ID == id {
			inc = x
		}
	}
	if inc == nil {
		return s.publicNotFound(c, sn, root, "Incident not found", "There is no public incident with that address. It may have been removed.")
	}
	return s.serveCached(c, sn, "incident\x00"+root+"\x00"+id, htmlType, func() ([]byte, error) {
		return sn.render.incidentPage(sn.View, root, sn.Stale, inc)
	})
}

// showMaintenance serves GET /maintenance/:id.
func (s *Server) showMaintenance(c *fiber.Ctx) error {
	sn, root, err := s.pageFor(c)
	if err != nil {
		return err
	}
	id := c.Params("id")
	var m *status.Maintenance
	for _, x := range sn.View.Maintenances {
		if x.ID == id {
			m = x
		}
	}
	if m == nil {
		return s.publicNotFound(c, sn, root, "Maintenance not found", "There is no maintenance with that address.")
	}
	return s.serveCached(c, sn, "maintenance\x00"+root+"\x00"+id, htmlType, func() ([]byte, error) {
		return sn.render.maintenancePage(sn.View, root, sn.Stale, m)
	})
}

// showHistory serves GET /history?page=N.
func (s *Server) showHistory(c *fiber.Ctx) error {
	sn, root, err := s.pageFor(c)
	if err != nil {
		return err
	}
	page := 1
	if q := c.Query("page"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 1000 {
			return fiber.NewError(fiber.StatusBadRequest, "The page number must be a whole number from 1 to 1000.")
		}
		page = n
	}
	if page > historyPages(sn.View) {
		return s.publicNotFound(c, sn, root, "No more history", "There is nothing older to show.")
	}
	return s.serveCached(c, sn, "history\x00"+root+"\x00"+strconv.Itoa(page), htmlType, func() ([]byte, error) {
		return sn.render.historyPage(sn.View, root, sn.Stale, page)
	})
}

// historyPages is how many history pages the view fills (at least one).
func historyPages(v *status.PageView) int {
	loc := v.Page.Location()
	now := v.BuiltAt.In(loc)
	oldest := now
	for _, inc := range v.Incidents {
		if inc.StartedAt.Before(oldest) {
			oldest = inc.StartedAt
		}
	}
	for _, m := range v.Maintenances {
		if m.ScheduledFor.Before(oldest) {
			oldest = m.ScheduledFor
		}
	}
	o := oldest.In(loc)
	months := (now.Year()-o.Year())*12 + int(now.Month()) - int(o.Month()) + 1
	return max(1, (months+monthsPerHistoryPage-1)/monthsPerHistoryPage)
}

// showAtom serves GET /history.atom.
func (s *Server) showAtom(c *fiber.Ctx) error {
	return s.serveGenerated(c, "atom", "application/atom+xml; charset=utf-8", func(sn *Snapshot) ([]byte, error) {
		return atom(sn.View, s.pageURL(sn.View.Page), s.deps.BaseURL)
	})
}

// showRSS serves GET /history.rss.
func (s *Server) showRSS(c *fiber.Ctx) error {
	return s.serveGenerated(c, "rss", "application/rss+xml; charset=utf-8", func(sn *Snapshot) ([]byte, error) {
		return rss(sn.View, s.pageURL(sn.View.Page), s.deps.BaseURL)
	})
}

// showBadge serves GET /badge.svg.
func (s *Server) showBadge(c *fiber.Ctx) error {
	return s.serveGenerated(c, "badge", "image/svg+xml", func(sn *Snapshot) ([]byte, error) {
		return badge(sn.View), nil
	})
}

// serveGenerated serves a root-independent document built from the
// snapshot once.
func (s *Server) serveGenerated(c *fiber.Ctx, key, contentType string, build func(*Snapshot) ([]byte, error)) error {
	sn, _, err := s.pageFor(c)
	if err != nil {
		return err
	}
	return s.serveCached(c, sn, key, contentType, func() ([]byte, error) { return build(sn) })
}

// serveCached sends the snapshot's response under key, building it on the
// first request.
func (s *Server) serveCached(c *fiber.Ctx, sn *Snapshot, key, contentType string, build func() ([]byte, error)) error {
	r, err := sn.cachedOK(key, contentType, build)
	if err != nil {
		return err
	}
	return s.send(c, r)
}

// apiV2 serves GET /api/v2/{name} (Statuspage public API).
func (s *Server) apiV2(name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Response().Header.SetCanonical(hdrAllowOrigin, valAny)
		sn, _, err := s.pageFor(c)
		if err != nil {
			return err
		}
		r, err := s.apiResponse(sn, name)
		if err != nil {
			return err
		}
		return s.send(c, r)
	}
}

// apiKeys are the snapshot cache keys of the API documents, built once.
var apiKeys = func() map[string]string {
	m := map[string]string{}
	for _, n := range apiV2Documents {
		m[n] = "api\x00" + n
	}
	return m
}()

// apiV2Documents are the Statuspage endpoints Herald serves.
var apiV2Documents = []string{"summary.json", "status.json", "components.json", "incidents.json",
	"incidents/unresolved.json", "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
	"scheduled-maintenances/active.json"}

var (
	hdrAllowOrigin = []byte(fiber.HeaderAccessControlAllowOrigin)
	valAny         = []byte("*")
)

// apiV2Unknown answers any other /api/v2 path.
func (s *Server) apiV2Unknown(c *fiber.Ctx) error {
	c.Response().Header.SetCanonical(hdrAllowOrigin, valAny)
	if _, _, err := s.pageFor(c); err != nil {
		return err
	}
	return errUnknownAPI
}

// apiResponse is the /api/v2 document name of sn.
func (s *Server) apiResponse(sn *Snapshot, name string) (*response, error) {
	key, ok := apiKeys[name]
	if !ok {
		return nil, errUnknownAPI
	}
	return sn.cachedOK(key, jsonType, func() ([]byte, error) {
		doc, ok := newAPIView(sn.View, s.pageURL(sn.View.Page)).document(name)
		if !ok {
			return nil, errUnknownAPI
		}
		return marshalAPI(doc)
	})
}

// warm renders the most requested answers of a new snapshot before it goes
// live, so no request waits for a cold render.
func (s *Server) warm(sn *Snapshot) {
	if _, err := s.statusResponse(sn, ""); err != nil {
		s.log.Warn("pre-render of the status page failed", "page_id", sn.View.Page.ID, "err", err)
	}
	if _, err := s.apiResponse(sn, "summary.json"); err != nil {
		s.log.Warn("pre-render of summary.json failed", "page_id", sn.View.Page.ID, "err", err)
	}
}

var errUnknownAPI = fiber.NewError(fiber.StatusNotFound, "No such API endpoint. See /api/v2/summary.json.")

// apiV2Preflight answers CORS preflight requests for the read-only API.
func (s *Server) apiV2Preflight(c *fiber.Ctx) error {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderAccessControlAllowMethods, "GET, HEAD, OPTIONS")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type, If-None-Match, If-Modified-Since")
	c.Set(fiber.HeaderAccessControlMaxAge, "86400")
	return c.SendStatus(fiber.StatusNoContent)
}

// staticFile serves GET /static/{hash}/{path}.
func (s *Server) staticFile(c *fiber.Ctx) error {
	a := s.assets.ByURL(c.Path())
	if a == nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(a.Body)
}

// publicNotFound renders the page's own 404 page.
func (s *Server) publicNotFound(c *fiber.Ctx, sn *Snapshot, root, heading, msg string) error {
	return s.publicError(c, sn, root, fiber.StatusNotFound, heading, msg)
}

// publicError answers with the page's error page.
func (s *Server) publicError(c *fiber.Ctx, sn *Snapshot, root string, code int, heading, msg string) error {
	b, err := sn.render.errorPage(sn.View, root, sn.Stale, heading, msg)
	if err != nil {
		return err
	}
	setHTMLSecurityHeaders(c)
	c.Set(fiber.HeaderContentType, htmlType)
	return c.Status(code).Send(b)
}
