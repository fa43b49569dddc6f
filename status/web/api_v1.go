package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

// apiRouter registers admin API routes. Each takes the least role a token
// must hold, so no route can be added without deciding who may use it.
type apiRouter struct{ r fiber.Router }

func (a apiRouter) get(path string, least status.Role, h fiber.Handler) {
	a.r.Get(path, allowToken(least), h)
}

func (a apiRouter) post(path string, least status.Role, h fiber.Handler) {
	a.r.Post(path, allowToken(least), h)
}

func (a apiRouter) put(path string, least status.Role, h fiber.Handler) {
	a.r.Put(path, allowToken(least), h)
}

func (a apiRouter) patch(path string, least status.Role, h fiber.Handler) {
	a.r.Patch(path, allowToken(least), h)
}

func (a apiRouter) delete(path string, least status.Role, h fiber.Handler) {
	a.r.Delete(path, allowToken(least), h)
}

// allowToken lets through requests whose API token holds least or a more
// powerful role; others get 403.
func allowToken(least status.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, _ := c.Locals("token").(*status.APIToken)
		if t == nil {
			return status.Errorf(status.KindUnauthorized, "Send an API token as \"Authorization: Bearer <token>\".")
		}
		if !t.Role.AtLeast(least) {
			return status.Errorf(status.KindForbidden, "This API token's role (%s) may not do this: it needs the %s role or above.", t.Role, least)
		}
		return c.Next()
	}
}

// bearerToken returns the token of an "Authorization: Bearer" header
// (RFC 6750 §2.1: the scheme is case-insensitive).
func bearerToken(c *fiber.Ctx) (string, bool) {
	scheme, tok, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// requireToken checks the bearer token of an admin API request.
func (s *Server) requireToken(c *fiber.Ctx) error {
	tok, ok := bearerToken(c)
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="herald"`)
		return status.Errorf(status.KindUnauthorized, "Send an API token as \"Authorization: Bearer <token>\" (herald token create).")
	}
	t, err := s.deps.Service.Accounts.TokenByValue(c.UserContext(), tok)
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="herald", error="invalid_token"`)
		return err
	}
	c.Locals("token", t)
	c.SetUserContext(status.WithActor(c.UserContext(), status.Actor{Kind: status.ActorToken, ID: t.ID, Name: t.Name}))
	return c.Next()
}

// page resolves the :page parameter, an id or a slug.
func (s *Server) page(c *fiber.Ctx) (*status.Page, error) {
	ref := c.Params("page")
	p, err := s.deps.Service.Pages.ByID(c.UserContext(), ref)
	if status.KindOf(err) == status.KindNotFound {
		p, err = s.deps.Service.Pages.BySlug(c.UserContext(), ref)
	}
	return p, err
}

type pageJSON struct {
	ID           string    `json:"id"`
	Slug         string    `json:"slug"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	TimeZone     string    `json:"time_zone"`
	SupportEmail string    `json:"support_email"`
	SupportURL   string    `json:"support_url"`
	Hosts        []string  `json:"hosts"`
	URL          string    `json:"url"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	pageProcessJSON
}

// pageProcessJSON is how the team running a page works: office hours,
// the on-call guide, the standing video room, the vulnerability process.
type pageProcessJSON struct {
	OfficeHours      officeHoursJSON `json:"office_hours"`
	OncallGuideURL   string          `json:"oncall_guide_url"`
	VideoRoomURL     string          `json:"video_room_url"`
	VulnerabilityURL string          `json:"vulnerability_url"`
}

type officeHoursJSON struct {
	Days     []string `json:"days"`
	Opens    string   `json:"opens"`
	Closes   string   `json:"closes"`
	Holidays []string `json:"holidays"`
}

func (s *Server) pageJSON(p *status.Page) pageJSON {
	hosts := p.Hosts
	if hosts == nil {
		hosts = []string{}
	}
	return pageJSON{ID: p.ID, Slug: p.Slug, Name: p.Name, Description: p.Description, TimeZone: p.TimeZone,
		SupportEmail: p.SupportEmail, SupportURL: p.SupportURL, Hosts: hosts, URL: s.pageURL(p),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		pageProcessJSON: pageProcessJSON{OncallGuideURL: p.OncallGuideURL, VideoRoomURL: p.VideoRoomURL, VulnerabilityURL: p.VulnerabilityURL,
			OfficeHours: officeHoursJSON{Days: splitList(p.Office.Days, ","), Opens: p.Office.Opens, Closes: p.Office.Closes,
				Holidays: splitList(p.Office.Holidays, "\n")}}}
}

// splitList splits s by sep, never nil.
func splitList(s, sep string) []string {
	out := []string{}
	for _, v := range strings.Split(s, sep) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

type pageRequest struct {
	Slug         *string   `json:"slug"`
	Name         *string   `json:"name"`
	Description  *string   `json:"description"`
	TimeZone     *string   `json:"time_zone"`
	SupportEmail *string   `json:"support_email"`
	SupportURL   *string   `json:"support_url"`
	Hosts        *[]string `json:"hosts"`

	OfficeHours      *officeHoursJSON `json:"office_hours"`
	OncallGuideURL   *string          `json:"oncall_guide_url"`
	VideoRoomURL     *string          `json:"video_room_url"`
	VulnerabilityURL *string          `json:"vulnerability_url"`
}

// office is the request's office hours, nil when it names none.
func (r *pageRequest) office() *status.OfficeHours {
	if r.OfficeHours == nil {
		return nil
	}
	return &status.OfficeHours{Days: strings.Join(r.OfficeHours.Days, ","), Opens: r.OfficeHours.Opens,
		Closes: r.OfficeHours.Closes, Holidays: strings.Join(r.OfficeHours.Holidays, "\n")}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// listPages serves GET /api/v1/pages.
func (s *Server) listPages(c *fiber.Ctx) error {
	pages, err := s.deps.Service.Pages.List(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]pageJSON, 0, len(pages))
	for _, p := range pages {
		out = append(out, s.pageJSON(p))
	}
	return c.JSON(out)
}

// createPage serves POST /api/v1/pages.
func (s *Server) createPage(c *fiber.Ctx) error {
	var req pageRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"slug": req.Slug != nil, "name": req.Name != nil})
	if err := f.Err(); err != nil {
		return err
	}
	p, err := s.deps.Service.Pages.Create(c.UserContext(), status.PageInput{Slug: *req.Slug, Name: *req.Name,
		Description: deref(req.Description), TimeZone: deref(req.TimeZone), SupportEmail: deref(req.SupportEmail),
		SupportURL: deref(req.SupportURL), Hosts: deref(req.Hosts), Office: deref(req.office()),
		OncallGuideURL: deref(req.OncallGuideURL), VideoRoomURL: deref(req.VideoRoomURL), VulnerabilityURL: deref(req.VulnerabilityURL)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.pageJSON(p))
}

// getPage serves GET /api/v1/pages/:page.
func (s *Server) getPage(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	return c.JSON(s.pageJSON(p))
}

// updatePage serves PATCH /api/v1/pages/:page.
func (s *Server) updatePage(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req pageRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err = s.deps.Service.Pages.Update(c.UserContext(), p.ID, status.PagePatch{Slug: req.Slug, Name: req.Name,
		Description: req.Description, TimeZone: req.TimeZone, SupportEmail: req.SupportEmail, SupportURL: req.SupportURL, Hosts: req.Hosts,
		Office: req.office(), OncallGuideURL: req.OncallGuideURL, VideoRoomURL: req.VideoRoomURL, VulnerabilityURL: req.VulnerabilityURL})
	if err != nil {
		return err
	}
	return c.JSON(s.pageJSON(p))
}

// deletePage serves DELETE /api/v1/pages/:page.
func (s *Server) deletePage(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	if err := s.deps.Service.Pages.Delete(c.UserContext(), p.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type groupRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Position    *int    `json:"position"`
}

// listGroups serves GET /api/v1/pages/:page/groups.
func (s *Server) listGroups(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	gs, err := s.deps.Service.Pages.Groups(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	if gs == nil {
		gs = []*status.ComponentGroup{}
	}
	return c.JSON(gs)
}

// createGroup serves POST /api/v1/pages/:page/groups.
func (s *Server) createGroup(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req groupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"name": req.Name != nil})
	if err := f.Err(); err != nil {
		return err
	}
	g, err := s.deps.Service.Pages.CreateGroup(c.UserContext(), p.ID, status.GroupInput{Name: *req.Name, Description: deref(req.Description), Position: deref(req.Position)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(g)
}

// updateGroup serves PUT /api/v1/pages/:page/groups/:id.
func (s *Server) updateGroup(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req groupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"name": req.Name != nil})
	if err := f.Err(); err != nil {
		return err
	}
	g, err := s.deps.Service.Pages.UpdateGroup(c.UserContext(), p.ID, c.Params("id"), status.GroupInput{Name: *req.Name, Description: deref(req.Description), Position: deref(req.Position)})
	if err != nil {
		return err
	}
	return c.JSON(g)
}

// deleteGroup serves DELETE /api/v1/pages/:page/groups/:id.
func (s *Server) deleteGroup(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	if err := s.deps.Service.Pages.DeleteGroup(c.UserContext(), p.ID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type componentRequest struct {
	Name        *string                 `json:"name"`
	Description *string                 `json:"description"`
	GroupID     optional[string]        `json:"group_id"`
	Status      *status.ComponentStatus `json:"status"`
	Position    *int                    `json:"position"`
	Hidden      *bool                   `json:"hidden"`
}

// optional tells a missing field from an explicit null.
type optional[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON records that the field was present.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Value = nil
		return nil
	}
	var v T
	if err := jsonUnmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// listComponents serves GET /api/v1/pages/:page/components.
func (s *Server) listComponents(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	cs, err := s.deps.Service.Pages.Components(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []*status.Component{}
	}
	return c.JSON(cs)
}

// createComponent serves POST /api/v1/pages/:page/components.
func (s *Server) createComponent(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req componentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"name": req.Name != nil})
	if err := f.Err(); err != nil {
		return err
	}
	comp, err := s.deps.Service.Pages.CreateComponent(c.UserContext(), p.ID, status.ComponentInput{Name: *req.Name,
		Description: deref(req.Description), GroupID: req.GroupID.Value, Status: deref(req.Status),
		Position: deref(req.Position), Hidden: deref(req.Hidden)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(comp)
}

// getComponent serves GET /api/v1/pages/:page/components/:id.
func (s *Server) getComponent(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	comp, err := s.deps.Service.Pages.ComponentByID(c.UserContext(), p.ID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(comp)
}

// updateComponent serves PATCH /api/v1/pages/:page/components/:id.
func (s *Server) updateComponent(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req componentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	patch := status.ComponentPatch{Name: req.Name, Description: req.Description, Status: req.Status, Position: req.Position, Hidden: req.Hidden}
	if req.GroupID.Set {
		patch.GroupID = &req.GroupID.Value
	}
	comp, err := s.deps.Service.Pages.UpdateComponent(c.UserContext(), p.ID, c.Params("id"), patch)
	if err != nil {
		return err
	}
	return c.JSON(comp)
}

// deleteComponent serves DELETE /api/v1/pages/:page/components/:id.
func (s *Server) deleteComponent(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	if err := s.deps.Service.Pages.DeleteComponent(c.UserContext(), p.ID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// notFound answers every other admin API path.
func (a apiRouter) notFound() {
	a.r.Use(func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "No such API route.")
	})
}
