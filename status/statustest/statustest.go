// Package statustest builds status data for tests: one factory per noun,
// each taking an options struct whose zero value gives sensible defaults and
// unique names (River's testfactory), plus a settable Clock. Import it from
// _test.go files only.
package statustest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/status"
)

var seq atomic.Int64

// next returns a number unique within the test binary, for names and slugs.
func next() int64 { return seq.Add(1) }

// Ptr returns a pointer to v, for patches and optional inputs.
func Ptr[T any](v T) *T { return &v }

// Clock is a settable clock for status.Options.Now. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex // protects now
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// PageOpts are the options of Page. Empty Slug and Name are made unique.
type PageOpts struct {
	Slug         string
	Name         string
	Description  string
	TimeZone     string // default Etc/UTC
	SupportEmail string
	SupportURL   string
	Hosts        []string
}

// Page creates a page.
func Page(t testing.TB, svc *status.Service, o *PageOpts) *status.Page {
	t.Helper()
	if o == nil {
		o = &PageOpts{}
	}
	n := next()
	in := status.PageInput{Slug: o.Slug, Name: o.Name, Description: o.Description, TimeZone: o.TimeZone,
		SupportEmail: o.SupportEmail, SupportURL: o.SupportURL, Hosts: o.Hosts}
	if in.Slug == "" {
		in.Slug = fmt.Sprintf("page-%d", n)
	}
	if in.Name == "" {
		in.Name = fmt.Sprintf("Page %d", n)
	}
	p, err := svc.Pages.Create(t.Context(), in)
	require.NoError(t, err)
	return p
}

// GroupOpts are the options of Group. An empty Name is made unique.
type GroupOpts struct {
	Name        string
	Description string
	Position    int
}

// Group creates a component group on a page.
func Group(t testing.TB, svc *status.Service, pageID string, o *GroupOpts) *status.ComponentGroup {
	t.Helper()
	if o == nil {
		o = &GroupOpts{}
	}
	in := status.GroupInput{Name: o.Name, Description: o.Description, Position: o.Position}
	if in.Name == "" {
		in.Name = fmt.Sprintf("Group %d", next())
	}
	g, err := svc.Pages.CreateGroup(t.Context(), pageID, in)
	require.NoError(t, err)
	return g
}

// ComponentOpts are the options of Component. An empty Name is made
// unique; an empty Status is operational.
type ComponentOpts struct {
	Name        string
	Description string
	GroupID     *string
	Status      status.ComponentStatus
	Position    int
	Hidden      bool
}

// Component creates a component on a page.
func Component(t testing.TB, svc *status.Service, pageID string, o *ComponentOpts) *status.Component {
	t.Helper()
	if o == nil {
		o = &ComponentOpts{}
	}
	in := status.ComponentInput{Name: o.Name, Description: o.Description, GroupID: o.GroupID, Status: o.Status,
		Position: o.Position, Hidden: o.Hidden}
	if in.Name == "" {
		in.Name = fmt.Sprintf("Component %d", next())
	}
	c, err := svc.Pages.CreateComponent(t.Context(), pageID, in)
	require.NoError(t, err)
	return c
}

// IncidentOpts are the options of Incident. Defaults: a unique title,
// severity minor, visibility public, a short body; the service's own
// defaults for the rest (investigating, analysis, started now).
type IncidentOpts struct {
	Title      string
	Severity   status.Severity
	Visibility status.Visibility
	State      status.State
	StartedAt  *time.Time
	Components []status.ComponentStatusInput
	Body       string
	Kind       status.UpdateKind
	Author     string
	Notify     *bool
	Customers  []string
}

// Incident declares an incident on a page.
func Incident(t testing.TB, svc *status.Service, pageID string, o *IncidentOpts) *status.Incident {
	t.Helper()
	if o == nil {
		o = &IncidentOpts{}
	}
	in := status.IncidentInput{Title: o.Title, Severity: o.Severity, Visibility: o.Visibility, State: o.State,
		StartedAt: o.StartedAt, Components: o.Components, Body: o.Body, Kind: o.Kind, Author: o.Author, Notify: o.Notify, Customers: o.Customers}
	if in.Title == "" {
		in.Title = fmt.Sprintf("Incident %d", next())
	}
	if in.Severity == "" {
		in.Severity = status.SeverityMinor
	}
	if in.Visibility == "" {
		in.Visibility = status.VisibilityPublic
	}
	if in.Body == "" {
		in.Body = "We are investigating reports of problems."
	}
	inc, err := svc.Incidents.Declare(t.Context(), pageID, in)
	require.NoError(t, err)
	return inc
}

// MaintenanceOpts are the options of Maintenance. Defaults: a unique title,
// a short description and a window from one to three hours after the
// service's clock.
type MaintenanceOpts struct {
	Title          string
	Description    string
	ScheduledFor   time.Time
	ScheduledUntil time.Time
	ComponentIDs   []string
	Author         string
}

// Maintenance schedules a maintenance on a page.
func Maintenance(t testing.TB, svc *status.Service, pageID string, o *MaintenanceOpts) *status.Maintenance {
	t.Helper()
	if o == nil {
		o = &MaintenanceOpts{}
	}
	in := status.MaintenanceInput{Title: o.Title, Description: o.Description, ScheduledFor: o.ScheduledFor,
		ScheduledUntil: o.ScheduledUntil, ComponentIDs: o.ComponentIDs, Author: o.Author}
	if in.Title == "" {
		in.Title = fmt.Sprintf("Maintenance %d", next())
	}
	if in.Description == "" {
		in.Description = "We will upgrade the database servers."
	}
	if in.ScheduledFor.IsZero() {
		in.ScheduledFor = svc.Now().Add(time.Hour)
	}
	if in.ScheduledUntil.IsZero() {
		in.ScheduledUntil = in.ScheduledFor.Add(2 * time.Hour)
	}
	m, err := svc.Maintenances.Schedule(t.Context(), pageID, in)
	require.NoError(t, err)
	return m
}

// DefaultPassword is the password User gives when none is set.
const DefaultPassword = "correct horse battery staple"

// UserOpts are the options of User. Defaults: a unique email, role
// engineer, DefaultPassword.
type UserOpts struct {
	Email    string
	Name     string
	Role     status.Role
	Password string
}

// User creates a console user.
func User(t testing.TB, svc *status.Service, o *UserOpts) *status.User {
	t.Helper()
	if o == nil {
		o = &UserOpts{}
	}
	in := status.UserInput{Email: o.Email, Name: o.Name, Role: o.Role, Password: o.Password}
	if in.Email == "" {
		in.Email = fmt.Sprintf("user%d@example.com", next())
	}
	if in.Role == "" {
		in.Role = status.RoleEngineer
	}
	if in.Password == "" {
		in.Password = DefaultPassword
	}
	u, err := svc.Accounts.CreateUser(t.Context(), in)
	require.NoError(t, err)
	return u
}
