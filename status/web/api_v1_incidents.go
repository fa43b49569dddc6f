package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/herald-status/herald/status"
)

var jsonUnmarshal = json.Unmarshal

type componentStatusJSON struct {
	ID     string                 `json:"id"`
	Status status.ComponentStatus `json:"status"`
}

type updateJSON struct {
	ID         string                   `json:"id"`
	State      status.State             `json:"state"`
	Kind       status.UpdateKind        `json:"kind"`
	ETA        *time.Time               `json:"eta"`
	Resolution status.Resolution        `json:"resolution,omitempty"`
	Body       string                   `json:"body"`
	Author     string                   `json:"author"`
	Notify     bool                     `json:"notify"`
	Visibility status.Visibility        `json:"visibility"`
	Components []status.ComponentChange `json:"components"`
	CreatedAt  time.Time                `json:"created_at"`
}

type incidentJSON struct {
	ID           string                `json:"id"`
	PageID       string                `json:"page_id"`
	Title        string                `json:"title"`
	PublicTitle  string                `json:"public_title"`
	Severity     status.Severity       `json:"severity"`
	Channel      string                `json:"channel"`
	State        status.State          `json:"state"`
	Visibility   status.Visibility     `json:"visibility"`
	StartedAt    time.Time             `json:"started_at"`
	MonitoringAt *time.Time            `json:"monitoring_at"`
	ResolvedAt   *time.Time            `json:"resolved_at"`
	Postmortem   string                `json:"postmortem"`
	CreatedAt    time.Time             `json:"created_at"`
	UpdatedAt    time.Time             `json:"updated_at"`
	Components   []componentStatusJSON `json:"components"`
	Updates      []updateJSON          `json:"updates"`
	// ConfirmationRequests are given for one incident, not in lists.
	ConfirmationRequests *[]*status.ConfirmationRequest `json:"confirmation_requests,omitempty"`
	processJSON
}

// processJSON is what the incident process recorded on an incident.
type processJSON struct {
	Security             status.SecurityKind       `json:"security"`
	SecurityReportedAt   *time.Time                `json:"security_reported_at"`
	SecurityReportedBy   string                    `json:"security_reported_by"`
	OutOfHours           bool                      `json:"out_of_hours"`
	VideoRoom            string                    `json:"video_room"`
	ContactChannels      []status.ContactChannel   `json:"contact_channels"`
	NextContactAt        *time.Time                `json:"next_contact_at"`
	AMInformedAt         *time.Time                `json:"account_management_informed_at"`
	AMInformedBy         string                    `json:"account_management_informed"`
	AMInformedRecordedBy string                    `json:"account_management_informed_recorded_by"`
	PostmortemDecision   status.PostmortemDecision `json:"postmortem_decision"`
	PostmortemDecidedBy  string                    `json:"postmortem_decided_by"`
	PostmortemRecordedBy string                    `json:"postmortem_decision_recorded_by"`
	ContinuityPlanAt     *time.Time                `json:"continuity_plan_at"`
	ContinuityNotNeeded  string                    `json:"continuity_not_needed"`
}

func toIncidentJSON(inc *status.Incident) incidentJSON {
	out := incidentJSON{ID: inc.ID, PageID: inc.PageID, Title: inc.Title, PublicTitle: inc.PublicTitle, Severity: inc.Severity, Channel: status.ChannelName(inc, nil), State: inc.State,
		Visibility: inc.Visibility, StartedAt: inc.StartedAt, MonitoringAt: inc.MonitoringAt, ResolvedAt: inc.ResolvedAt,
		Postmortem: inc.Postmortem, CreatedAt: inc.CreatedAt, UpdatedAt: inc.UpdatedAt,
		Components: []componentStatusJSON{}, Updates: []updateJSON{},
		processJSON: processJSON{Security: inc.Security, SecurityReportedAt: inc.SecurityReportedAt, SecurityReportedBy: inc.SecurityReportedBy,
			OutOfHours: inc.OutOfHours, VideoRoom: inc.VideoRoom, ContactChannels: append([]status.ContactChannel{}, inc.ContactChannels...),
			NextContactAt: inc.NextContactAt, AMInformedAt: inc.AMInformedAt, AMInformedBy: inc.AMInformedBy,
			AMInformedRecordedBy: inc.AMInformedRecordedBy, PostmortemDecision: inc.PostmortemDecision,
			PostmortemDecidedBy: inc.PostmortemDecidedBy, PostmortemRecordedBy: inc.PostmortemRecordedBy,
			ContinuityPlanAt: inc.ContinuityPlanAt, ContinuityNotNeeded: inc.ContinuityNotNeeded}}
	for _, ic := range inc.Components {
		out.Components = append(out.Components, componentStatusJSON{ID: ic.ComponentID, Status: ic.Status})
	}
	for _, u := range inc.Updates {
		out.Updates = append(out.Updates, toUpdateJSON(u))
	}
	return out
}

func toUpdateJSON(u *status.IncidentUpdate) updateJSON {
	return updateJSON{ID: u.ID, State: u.State, Kind: u.Kind, ETA: u.ETA, Resolution: u.Resolution, Body: u.Body,
		Author: u.Author, Notify: u.Notify, Visibility: u.Visibility, Components: u.Components, CreatedAt: u.CreatedAt}
}

func componentInputs(in []componentStatusJSON) []status.ComponentStatusInput {
	out := make([]status.ComponentStatusInput, len(in))
	for i, c := range in {
		out[i] = status.ComponentStatusInput{ComponentID: c.ID, Status: c.Status}
	}
	return out
}

type incidentRequest struct {
	Title      *string               `json:"title"`
	Severity   *status.Severity      `json:"severity"`
	Visibility *status.Visibility    `json:"visibility"`
	State      *status.State         `json:"state"`
	StartedAt  *string               `json:"started_at"`
	Components []componentStatusJSON `json:"components"`
	Body       *string               `json:"body"`
	Kind       *status.UpdateKind    `json:"kind"`
	ETA        *string               `json:"eta"`
	Resolution *status.Resolution    `json:"resolution"`
	Author     *string               `json:"author"`
	Notify     *bool                 `json:"notify"`
	// CustomerIDs are the ids of the affected customers.
	CustomerIDs []string `json:"customers"`
	// Security marks a security matter; visibility then defaults to
	// internal.
	Security  *status.SecurityKind `json:"security"`
	VideoRoom *string              `json:"video_room"`
}

// listIncidents serves GET /api/v1/pages/:page/incidents?open=true&limit=N&offset=N.
func (s *Server) listIncidents(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	f := status.IncidentFilter{PageID: p.ID}
	fe := status.FieldErrors{}
	if q := c.Query("open"); q != "" {
		b, err := strconv.ParseBool(q)
		if err != nil {
			fe.Add("open", "must be true or false")
		}
		f.Open = &b
	}
	f.Limit = queryInt(c, fe, "limit", 50, 1, 1000)
	f.Offset = queryInt(c, fe, "offset", 0, 0, 1_000_000)
	if err := fe.Err(); err != nil {
		return err
	}
	incs, err := s.deps.Service.Incidents.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]incidentJSON, 0, len(incs))
	for _, inc := range incs {
		out = append(out, toIncidentJSON(inc))
	}
	return c.JSON(out)
}

func queryInt(c *fiber.Ctx, fe status.FieldErrors, name string, def, lo, hi int) int {
	q := c.Query(name)
	if q == "" {
		return def
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < lo || n > hi {
		fe.Add(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

// createIncident serves POST /api/v1/pages/:page/incidents.
func (s *Server) createIncident(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req incidentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	security := deref(req.Security)
	requireFields(f, map[string]bool{"title": req.Title != nil, "severity": req.Severity != nil,
		"visibility": req.Visibility != nil || security != status.SecurityNone, "body": req.Body != nil})
	started := parseTime(f, "started_at", req.StartedAt)
	eta := parseTime(f, "eta", req.ETA)
	if err := f.Err(); err != nil {
		return err
	}
	inc, err := s.deps.Service.Incidents.Declare(c.UserContext(), p.ID, status.IncidentInput{Title: *req.Title,
		Severity: *req.Severity, Visibility: deref(req.Visibility), State: deref(req.State), StartedAt: started,
		Components: componentInputs(req.Components), Body: *req.Body, Kind: deref(req.Kind), ETA: eta, Resolution: deref(req.Resolution),
		Author: deref(req.Author), Notify: req.Notify, Customers: req.CustomerIDs, Security: security, VideoRoom: deref(req.VideoRoom)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toIncidentJSON(inc))
}

// getIncident serves GET /api/v1/pages/:page/incidents/:id.
func (s *Server) getIncident(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	inc, err := s.deps.Service.Incidents.ByID(c.UserContext(), p.ID, c.Params("id"))
	if err != nil {
		return err
	}
	reqs, err := s.deps.Service.Incidents.ConfirmationRequests(c.UserContext(), inc.ID)
	if err != nil {
		return err
	}
	setVersionTag(c, inc)
	out := toIncidentJSON(inc)
	out.ConfirmationRequests = &reqs
	return c.JSON(out)
}

// setVersionTag names the incident's version as the answer's ETag, for a
// later PATCH's If-Match.
func setVersionTag(c *fiber.Ctx, inc *status.Incident) {
	c.Set(fiber.HeaderETag, fmt.Sprintf(`"%d"`, inc.Version))
}

// ifMatchVersion reads an If-Match header naming an incident version
// ("3", W/"3" or 3); 0 when there is none.
func ifMatchVersion(c *fiber.Ctx) (int, error) {
	h := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	if h == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil || v < 1 {
		return 0, fiber.NewError(fiber.StatusBadRequest, "If-Match must name the incident's version, as its ETag gives it (\"3\").")
	}
	return v, nil
}

type incidentPatchRequest struct {
	Title       *string            `json:"title"`
	PublicTitle *string            `json:"public_title"`
	Severity    *status.Severity   `json:"severity"`
	Visibility  *status.Visibility `json:"visibility"`
	// PublishUpdates lists the earlier updates that go to a wider
	// visibility with the incident; the others keep their audience.
	PublishUpdates []string `json:"publish_updates"`
	StartedAt      *string  `json:"started_at"`
	Postmortem     *string  `json:"postmortem"`

	Security        *status.SecurityKind     `json:"security"`
	VideoRoom       *string                  `json:"video_room"`
	ContactChannels *[]status.ContactChannel `json:"contact_channels"`
	// NextContactAt sets the next contact time (RFC 3339); "" clears it.
	NextContactAt *string `json:"next_contact_at"`
}

// updateIncident serves PATCH /api/v1/pages/:page/incidents/:id.
func (s *Server) updateIncident(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	version, err := ifMatchVersion(c)
	if err != nil {
		return err
	}
	var req incidentPatchRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	started := parseTime(f, "started_at", req.StartedAt)
	var next **time.Time
	if req.NextContactAt != nil {
		var t *time.Time
		if *req.NextContactAt != "" {
			t = parseTime(f, "next_contact_at", req.NextContactAt)
		}
		next = &t
	}
	if err := f.Err(); err != nil {
		return err
	}
	patch := status.IncidentPatch{Title: req.Title,
		PublicTitle: req.PublicTitle, Severity: req.Severity, Visibility: req.Visibility, PublishUpdates: req.PublishUpdates,
		StartedAt: started, Postmortem: req.Postmortem, Version: version, Security: req.Security, VideoRoom: req.VideoRoom,
		NextContactAt: next}
	if req.ContactChannels != nil {
		cs := status.ContactChannels(*req.ContactChannels)
		patch.ContactChannels = &cs
	}
	inc, err := s.deps.Service.Incidents.Update(c.UserContext(), p.ID, c.Params("id"), patch)
	if errors.Is(err, status.ErrIncidentChanged) {
		return fiber.NewError(fiber.StatusPreconditionFailed, "The incident changed since the version If-Match names. Read it again, check what changed, and send the change again.")
	}
	if err != nil {
		return err
	}
	setVersionTag(c, inc)
	return c.JSON(toIncidentJSON(inc))
}

// deleteIncident serves DELETE /api/v1/pages/:page/incidents/:id.
func (s *Server) deleteIncident(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	if err := s.deps.Service.Incidents.Delete(c.UserContext(), p.ID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type escalationRequest struct {
	Record    *status.EscalationRecord `json:"record"`
	DecidedBy string                   `json:"decided_by"`
	Reason    string                   `json:"reason"`
}

// recordEscalation serves POST /api/v1/pages/:page/incidents/:id/escalations:
// records an escalation step (Account Management informed, the
// post-mortem decision with who decided, the continuity plan triggered
// or not needed, the security report) and answers with the incident.
func (s *Server) recordEscalation(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req escalationRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"record": req.Record != nil})
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.deps.Service.Incidents.RecordEscalation(c.UserContext(), p.ID, c.Params("id"), status.EscalationStep{
		What: *req.Record, DecidedBy: req.DecidedBy, Reason: req.Reason}); err != nil {
		return err
	}
	return s.getIncident(c)
}

type updateRequest struct {
	State      *status.State         `json:"state"`
	Kind       *status.UpdateKind    `json:"kind"`
	ETA        *string               `json:"eta"`
	Resolution *status.Resolution    `json:"resolution"`
	Body       *string               `json:"body"`
	Author     *string               `json:"author"`
	Notify     *bool                 `json:"notify"`
	Components []componentStatusJSON `json:"components"`
}

// postIncidentUpdate serves POST /api/v1/pages/:page/incidents/:id/updates.
func (s *Server) postIncidentUpdate(c *fiber.Ctx) error {
	return s.postUpdate(c, false)
}

// resolveIncident serves POST /api/v1/pages/:page/incidents/:id/resolve:
// an update with state resolved (kind resolution, permanent by default).
func (s *Server) resolveIncident(c *fiber.Ctx) error {
	return s.postUpdate(c, true)
}

func (s *Server) postUpdate(c *fiber.Ctx, resolve bool) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req updateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"body": req.Body != nil})
	eta := parseTime(f, "eta", req.ETA)
	if err := f.Err(); err != nil {
		return err
	}
	in := status.UpdateInput{State: deref(req.State), Kind: deref(req.Kind), ETA: eta, Resolution: deref(req.Resolution),
		Body: *req.Body, Author: deref(req.Author), Notify: req.Notify, Components: componentInputs(req.Components)}
	if resolve {
		if in.State != "" && in.State != status.StateResolved {
			return status.FieldError("state", "must be resolved (or left out) when resolving")
		}
		in.State = status.StateResolved
		if in.Kind == "" {
			in.Kind = status.KindResolution
		}
		if in.Kind == status.KindResolution && in.Resolution == "" {
			in.Resolution = status.ResolutionPermanent
		}
	}
	upd, err := s.deps.Service.Incidents.PostUpdate(c.UserContext(), p.ID, c.Params("id"), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toUpdateJSON(upd))
}

type maintenanceJSON struct {
	ID             string                  `json:"id"`
	PageID         string                  `json:"page_id"`
	Title          string                  `json:"title"`
	State          status.MaintenanceState `json:"state"`
	ScheduledFor   time.Time               `json:"scheduled_for"`
	ScheduledUntil time.Time               `json:"scheduled_until"`
	StartedAt      *time.Time              `json:"started_at"`
	CompletedAt    *time.Time              `json:"completed_at"`
	Components     []string                `json:"components"`
	Updates        []maintenanceUpdateJSON `json:"updates"`
	CreatedAt      time.Time               `json:"created_at"`
	UpdatedAt      time.Time               `json:"updated_at"`
}

func toMaintenanceUpdateJSON(u *status.MaintenanceUpdate) maintenanceUpdateJSON {
	return maintenanceUpdateJSON{ID: u.ID, State: u.State, Body: u.Body, Author: u.Author, Notify: u.Notify, CreatedAt: u.CreatedAt}
}

type maintenanceUpdateJSON struct {
	ID        string                  `json:"id"`
	State     status.MaintenanceState `json:"state"`
	Body      string                  `json:"body"`
	Author    string                  `json:"author"`
	Notify    bool                    `json:"notify"`
	CreatedAt time.Time               `json:"created_at"`
}

func toMaintenanceJSON(m *status.Maintenance) maintenanceJSON {
	out := maintenanceJSON{ID: m.ID, PageID: m.PageID, Title: m.Title, State: m.State, ScheduledFor: m.ScheduledFor,
		ScheduledUntil: m.ScheduledUntil, StartedAt: m.StartedAt, CompletedAt: m.CompletedAt, Components: m.ComponentIDs,
		Updates: []maintenanceUpdateJSON{}, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if out.Components == nil {
		out.Components = []string{}
	}
	for _, u := range m.Updates {
		out.Updates = append(out.Updates, toMaintenanceUpdateJSON(u))
	}
	return out
}

type maintenanceRequest struct {
	Title          *string   `json:"title"`
	Description    *string   `json:"description"`
	ScheduledFor   *string   `json:"scheduled_for"`
	ScheduledUntil *string   `json:"scheduled_until"`
	Components     *[]string `json:"components"`
	Author         *string   `json:"author"`
}

// listMaintenances serves GET /api/v1/pages/:page/maintenances.
func (s *Server) listMaintenances(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	fe := status.FieldErrors{}
	limit := queryInt(c, fe, "limit", 50, 1, 1000)
	if err := fe.Err(); err != nil {
		return err
	}
	ms, err := s.deps.Service.Maintenances.List(c.UserContext(), status.MaintenanceFilter{PageID: p.ID, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]maintenanceJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, toMaintenanceJSON(m))
	}
	return c.JSON(out)
}

// createMaintenance serves POST /api/v1/pages/:page/maintenances.
func (s *Server) createMaintenance(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req maintenanceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"title": req.Title != nil, "description": req.Description != nil,
		"scheduled_for": req.ScheduledFor != nil, "scheduled_until": req.ScheduledUntil != nil})
	from := parseTime(f, "scheduled_for", req.ScheduledFor)
	until := parseTime(f, "scheduled_until", req.ScheduledUntil)
	if err := f.Err(); err != nil {
		return err
	}
	m, err := s.deps.Service.Maintenances.Schedule(c.UserContext(), p.ID, status.MaintenanceInput{Title: *req.Title,
		Description: *req.Description, ScheduledFor: *from, ScheduledUntil: *until, ComponentIDs: deref(req.Components), Author: deref(req.Author)})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toMaintenanceJSON(m))
}

// getMaintenance serves GET /api/v1/pages/:page/maintenances/:id.
func (s *Server) getMaintenance(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	m, err := s.deps.Service.Maintenances.ByID(c.UserContext(), p.ID, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toMaintenanceJSON(m))
}

// updateMaintenance serves PATCH /api/v1/pages/:page/maintenances/:id.
func (s *Server) updateMaintenance(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req maintenanceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	if req.Description != nil {
		f.Add("description", "cannot be changed; post a maintenance update instead")
	}
	if req.Author != nil {
		f.Add("author", "cannot be changed; post a maintenance update instead")
	}
	from := parseTime(f, "scheduled_for", req.ScheduledFor)
	until := parseTime(f, "scheduled_until", req.ScheduledUntil)
	if err := f.Err(); err != nil {
		return err
	}
	m, err := s.deps.Service.Maintenances.Update(c.UserContext(), p.ID, c.Params("id"), status.MaintenancePatch{Title: req.Title,
		ScheduledFor: from, ScheduledUntil: until, ComponentIDs: req.Components})
	if err != nil {
		return err
	}
	return c.JSON(toMaintenanceJSON(m))
}

// deleteMaintenance serves DELETE /api/v1/pages/:page/maintenances/:id.
func (s *Server) deleteMaintenance(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	if err := s.deps.Service.Maintenances.Delete(c.UserContext(), p.ID, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type maintenanceUpdateRequest struct {
	State  *status.MaintenanceState `json:"state"`
	Body   *string                  `json:"body"`
	Author *string                  `json:"author"`
	Notify *bool                    `json:"notify"`
}

// postMaintenanceUpdate serves POST /api/v1/pages/:page/maintenances/:id/updates.
func (s *Server) postMaintenanceUpdate(c *fiber.Ctx) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	var req maintenanceUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f := status.FieldErrors{}
	requireFields(f, map[string]bool{"body": req.Body != nil})
	if err := f.Err(); err != nil {
		return err
	}
	u, err := s.deps.Service.Maintenances.PostUpdate(c.UserContext(), p.ID, c.Params("id"), status.MaintenanceUpdateInput{State: deref(req.State), Body: *req.Body,
		Author: deref(req.Author), Notify: req.Notify})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(toMaintenanceUpdateJSON(u))
}
