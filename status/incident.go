package status

import (
	"slices"
	"time"

	"github.com/uptrace/bun"
)

// Severity is how bad an incident is, by the process in DESIGN.md §1.
type Severity string

// Severities, least to most severe.
const (
	SeverityTrivial            Severity = "trivial"
	SeverityMinor              Severity = "minor"
	SeverityMajor              Severity = "major"
	SeverityBusinessContinuity Severity = "business_continuity"
)

// Severities lists every severity, least severe first.
var Severities = []Severity{SeverityTrivial, SeverityMinor, SeverityMajor, SeverityBusinessContinuity}

// Valid reports whether s is one of Severities.
func (s Severity) Valid() bool { return slices.Contains(Severities, s) }

// Impact is the Statuspage impact value for the severity.
func (s Severity) Impact() Impact {
	switch s {
	case SeverityMinor:
		return ImpactMinor
	case SeverityMajor:
		return ImpactMajor
	case SeverityBusinessContinuity:
		return ImpactCritical
	}
	return ImpactNone
}

// Label is the severity in words.
func (s Severity) Label() string {
	switch s {
	case SeverityTrivial:
		return "Trivial"
	case SeverityMinor:
		return "Minor"
	case SeverityMajor:
		return "Major"
	case SeverityBusinessContinuity:
		return "Business continuity"
	}
	return string(s)
}

// Impact is Statuspage's impact and indicator ladder.
type Impact string

// Impact values.
const (
	ImpactNone        Impact = "none"
	ImpactMinor       Impact = "minor"
	ImpactMajor       Impact = "major"
	ImpactCritical    Impact = "critical"
	ImpactMaintenance Impact = "maintenance"
)

func (i Impact) rank() int {
	switch i {
	case ImpactMinor:
		return 1
	case ImpactMajor:
		return 2
	case ImpactCritical:
		return 3
	}
	return 0
}

// State is an incident's working state.
type State string

// Working states, in their usual order.
const (
	StateInvestigating State = "investigating"
	StateMitigating    State = "mitigating"
	StateObserving     State = "observing"
	StateResolved      State = "resolved"
)

// States lists every state in order.
var States = []State{StateInvestigating, StateMitigating, StateObserving, StateResolved}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Open reports whether an incident in this state still needs work.
func (s State) Open() bool { return s != StateResolved }

// Label is the state in words.
func (s State) Label() string {
	switch s {
	case StateInvestigating:
		return "Investigating"
	case StateMitigating:
		return "Mitigating"
	case StateObserving:
		return "Observing"
	case StateResolved:
		return "Resolved"
	}
	return string(s)
}

// Statuspage returns the state's value in Statuspage's API: investigating,
// identified, monitoring, resolved.
func (s State) Statuspage() string {
	switch s {
	case StateMitigating:
		return "identified"
	case StateObserving:
		return "monitoring"
	}
	return string(s)
}

// Visibility says who may see an incident.
type Visibility string

// Visibilities, widest first.
const (
	VisibilityPublic    Visibility = "public"
	VisibilityCustomers Visibility = "customers"
	VisibilityInternal  Visibility = "internal"
)

// Visibilities lists every visibility, widest first.
var Visibilities = []Visibility{VisibilityPublic, VisibilityCustomers, VisibilityInternal}

// Valid reports whether v is one of Visibilities.
func (v Visibility) Valid() bool { return slices.Contains(Visibilities, v) }

// UpdateKind says what an update tells, following the cadence rule that each
// update gives analysis, progress, ETA or (part of) the resolution.
type UpdateKind string

// Update kinds.
const (
	KindAnalysis   UpdateKind = "analysis"
	KindProgress   UpdateKind = "progress"
	KindETA        UpdateKind = "eta"
	KindResolution UpdateKind = "resolution"
	KindGeneral    UpdateKind = "general"
)

// UpdateKinds lists every update kind, in the order forms offer them.
var UpdateKinds = []UpdateKind{KindAnalysis, KindProgress, KindETA, KindResolution, KindGeneral}

// Valid reports whether k is one of UpdateKinds.
func (k UpdateKind) Valid() bool { return slices.Contains(UpdateKinds, k) }

// Label is the kind in words.
func (k UpdateKind) Label() string {
	switch k {
	case KindAnalysis:
		return "Analysis"
	case KindProgress:
		return "Progress"
	case KindETA:
		return "Expected resolution"
	case KindResolution:
		return "Resolution"
	}
	return "Update"
}

// Resolution qualifies a resolution update.
type Resolution string

// Resolutions; the empty value is for other kinds.
const (
	ResolutionNone      Resolution = ""
	ResolutionTemporary Resolution = "temporary"
	ResolutionPermanent Resolution = "permanent"
)

// Source says how an incident was noticed (DESIGN.md §1).
type Source string

// Sources of incidents.
const (
	SourceNone       Source = ""
	SourceMonitoring Source = "monitoring"
	SourceTicket     Source = "ticket"
	SourceEmail      Source = "email"
	SourcePhone      Source = "phone"
	SourceOther      Source = "other"
)

// Sources lists the sources a person can choose.
var Sources = []Source{SourceMonitoring, SourceTicket, SourceEmail, SourcePhone, SourceOther}

// Valid reports whether s is one of Sources or none.
func (s Source) Valid() bool { return s == SourceNone || slices.Contains(Sources, s) }

// Label is the source in words.
func (s Source) Label() string {
	switch s {
	case SourceMonitoring:
		return "Monitoring alert"
	case SourceTicket:
		return "Customer ticket"
	case SourceEmail:
		return "Email"
	case SourcePhone:
		return "Phone call"
	case SourceOther:
		return "Other"
	}
	return "Not recorded"
}

// Incident is something that went wrong, with its updates.
type Incident struct {
	bun.BaseModel `bun:"table:incidents,alias:i"`

	ID       string   `bun:"id,pk"`
	PageID   string   `bun:"page_id"`
	Title    string   `bun:"title"`
	Severity Severity `bun:"severity"`
	// Channel is the chat channel given when the incident became major
	// or business continuity (see ChannelName); empty before.
	Channel      string     `bun:"channel"`
	State        State      `bun:"state"`
	Visibility   Visibility `bun:"visibility"`
	StartedAt    time.Time  `bun:"started_at"`
	MonitoringAt *time.Time `bun:"monitoring_at"`
	ResolvedAt   *time.Time `bun:"resolved_at"`
	Postmortem   string     `bun:"postmortem"`    // published
	PostmortemAt *time.Time `bun:"postmortem_at"` // when it was published
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
	// PostmortemDraft is the public post-mortem being written, console
	// only until it is published.
	PostmortemDraft string `bun:"postmortem_draft"`
	// PostmortemInternal is the team's post-mortem, written from the record
	// and the timeline. It is never published.
	PostmortemInternal string `bun:"postmortem_internal"`
	// PublicTitle is the title the public sees when it differs from Title
	// (which may name a customer); empty means Title.
	PublicTitle string `bun:"public_title"`
	// PublicUpdatedAt is when what the public sees of the incident last
	// changed; nil while the incident was never public.
	PublicUpdatedAt *time.Time `bun:"public_updated_at"`
	// AutoHolding posts a holding update by itself when an update falls
	// due with nothing posted.
	AutoHolding bool `bun:"auto_holding"`

	// The incident record (DESIGN.md §1, "a good incident record").
	Summary           string `bun:"summary"`            // what happened
	Source            Source `bun:"source"`             // how we were alerted
	SourceReference   string `bun:"source_reference"`   // alert, ticket or link
	Caller            string `bun:"caller"`             // who called or wrote
	Reproduce         string `bun:"reproduce"`          // how to reproduce or check it
	Contact           string `bun:"contact"`            // who to contact with questions: every update shows it
	AffectedCustomers string `bun:"affected_customers"` // internal only
	DeclaredBy        string `bun:"declared_by"`
	// NextUpdateAt is the promised time of the next customer update while
	// the incident is open; nil once resolved.
	NextUpdateAt *time.Time `bun:"next_update_at"`
	// Version grows with every change, so a form based on an older version
	// is refused instead of overwriting someone else's change.
	Version int `bun:"version"`

	// Escalation records (DESIGN.md §1): Account Management informed, the
	// post-mortem decision, the business continuity plan triggered.
	AMInformedAt        *time.Time         `bun:"am_informed_at"`
	AMInformedBy        string             `bun:"am_informed_by"`
	PostmortemDecision  PostmortemDecision `bun:"postmortem_decision"`
	PostmortemDecidedBy string             `bun:"postmortem_decided_by"`
	PostmortemDecidedAt *time.Time         `bun:"postmortem_decided_at"`
	ContinuityPlanAt    *time.Time         `bun:"continuity_plan_at"`
	// ContinuityNotNeeded says why a business-continuity incident did
	// not need the plan; resolving one needs this or ContinuityPlanAt.
	ContinuityNotNeeded string `bun:"continuity_not_needed"`
	// AMInformedRecordedBy and PostmortemRecordedBy name who recorded the
	// step when it was not the member of Account Management named in
	// AMInformedBy or PostmortemDecidedBy; empty when they recorded it.
	AMInformedRecordedBy string `bun:"am_informed_recorded_by"`
	PostmortemRecordedBy string `bun:"postmortem_recorded_by"`

	// Security marks an information-security incident or a vulnerability;
	// SecurityReportedAt is when it was reported to the
	// information-security officer, and by whom.
	Security           SecurityKind `bun:"security"`
	SecurityReportedAt *time.Time   `bun:"security_reported_at"`
	SecurityReportedBy string       `bun:"security_reported_by"`
	// OutOfHours is set when the incident was declared outside the
	// page's office hours: the on-call guide applies.
	OutOfHours bool `bun:"out_of_hours"`
	// VideoRoom is the incident's video room when it is not the page's.
	VideoRoom string `bun:"video_room"`
	// ContactChannels are the channels agreed with the affected customers
	// and NextContactAt the next time they are to be contacted there.
	ContactChannels ContactChannels `bun:"contact_channels,type:text"`
	NextContactAt   *time.Time      `bun:"next_contact_at"`

	// Closing (DESIGN.md §1): who confirmed the services are back, and the
	// closing summary.
	ConfirmedBy        string     `bun:"confirmed_by"`
	ConfirmationSource string     `bun:"confirmation_source"` // customer or internal
	ConfirmationMethod string     `bun:"confirmation_method"` // how: email, phone, chat, ticket, meeting, monitoring
	ConfirmationRef    string     `bun:"confirmation_ref"`    // the timeline entry it came from, if any
	ConfirmedAt        *time.Time `bun:"confirmed_at"`
	Cause              string     `bun:"cause"`
	Solution           string     `bun:"solution"`
	Remaining          string     `bun:"remaining"`
	FollowUps          string     `bun:"follow_ups"` // links to follow-up tickets, one per line

	// Loaded with the incident, newest first.
	Updates []*IncidentUpdate `bun:"-" json:"-"`
	// Affected components with the status each got.
	Components []*IncidentComponent `bun:"-" json:"-"`
}

// Public reports whether the incident may appear on public surfaces.
func (inc *Incident) Public() bool { return inc.Visibility == VisibilityPublic }

// StatuspageStatus is the incident's status in Statuspage's API, which has
// "postmortem" once a post-mortem is published.
func (inc *Incident) StatuspageStatus() string {
	if inc.State == StateResolved && inc.PostmortemAt != nil {
		return "postmortem"
	}
	return inc.State.Statuspage()
}

// Duration is how long the incident has lasted, up to now if still open.
func (inc *Incident) Duration(now time.Time) time.Duration {
	end := now
	if inc.ResolvedAt != nil {
		end = *inc.ResolvedAt
	}
	return end.Sub(inc.StartedAt)
}

// IncidentComponent is a component affected by an incident.
type IncidentComponent struct {
	bun.BaseModel `bun:"table:incident_components,alias:ic"`

	IncidentID  string          `bun:"incident_id,pk"`
	ComponentID string          `bun:"component_id,pk"`
	Status      ComponentStatus `bun:"status"`
}

// ComponentChange is one component's status change carried by an update.
type ComponentChange struct {
	ComponentID string          `json:"code"`
	Name        string          `json:"name"`
	OldStatus   ComponentStatus `json:"old_status"`
	NewStatus   ComponentStatus `json:"new_status"`
}

// IncidentUpdate is one message on an incident's timeline.
type IncidentUpdate struct {
	bun.BaseModel `bun:"table:incident_updates"`

	ID         string     `bun:"id,pk"`
	IncidentID string     `bun:"incident_id"`
	State      State      `bun:"state"`
	Kind       UpdateKind `bun:"kind"`
	ETA        *time.Time `bun:"eta_at"`
	Resolution Resolution `bun:"resolution"`
	Body       string     `bun:"body"`
	Author     string     `bun:"author"`
	Notify     bool       `bun:"notify"`
	// Visibility is the audience the update was posted for: the
	// incident's visibility at the time. Widening the incident later does
	// not widen its earlier updates.
	Visibility Visibility        `bun:"visibility"`
	Components []ComponentChange `bun:"components,type:text,json_use_number"`
	CreatedAt  time.Time         `bun:"created_at"`
	DisplayAt  time.Time         `bun:"display_at"`
}
