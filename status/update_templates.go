package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// UpdateTemplate is a starting text for an incident update of a kind,
// optionally for one state. Admins edit them; the console offers the ones
// that fit the incident.
type UpdateTemplate struct {
	bun.BaseModel `bun:"table:update_templates,alias:ut"`

	ID        string     `bun:"id,pk"`
	Name      string     `bun:"name"`
	Kind      UpdateKind `bun:"kind"`
	State     State      `bun:"state"` // empty: any state
	Body      string     `bun:"body"`
	Position  int        `bun:"position"`
	CreatedAt time.Time  `bun:"created_at"`
	UpdatedAt time.Time  `bun:"updated_at"`
}

// TemplatePlaceholders are the words a template's body may hold in braces,
// with what each becomes.
var TemplatePlaceholders = []struct{ Name, Meaning string }{
	{"{title}", "the incident's title"},
	{"{components}", "the affected components, by name"},
	{"{started}", "when the incident started"},
	{"{next_update}", "when the next update is due"},
	{"{eta}", "the latest expected resolution time"},
}

// UpdateTemplateInput describes a template.
type UpdateTemplateInput struct {
	Name     string
	Kind     UpdateKind
	State    State
	Body     string
	Position int
}

func (in *UpdateTemplateInput) validate() error {
	f := FieldErrors{}
	checkText(f, "name", in.Name, MaxNameLen, true, false)
	if !in.Kind.Valid() {
		f.Add("kind", OneOf(UpdateKinds))
	}
	if in.State != "" && !in.State.Valid() {
		f.Add("state", "must be empty (any state) or one of "+joinValues(States))
	}
	checkText(f, "body", in.Body, MaxBodyLen, true, true)
	checkPosition(f, in.Position)
	return f.Err()
}

// List returns every template by position.
func (s *Templates) List(ctx context.Context) ([]*UpdateTemplate, error) {
	return updateTemplates(ctx, s.db)
}

func updateTemplates(ctx context.Context, db bun.IDB) ([]*UpdateTemplate, error) {
	var out []*UpdateTemplate
	if err := db.NewSelect().Model(&out).Order("position", "name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list update templates: %w", err)
	}
	return out, nil
}

// ByID returns one template or KindNotFound.
func (s *Templates) ByID(ctx context.Context, id string) (*UpdateTemplate, error) {
	return updateTemplateByID(ctx, s.db, id)
}

func updateTemplateByID(ctx context.Context, db bun.IDB, id string) (*UpdateTemplate, error) {
	if !ValidID(id) {
		return nil, notFound("Template", id)
	}
	t := new(UpdateTemplate)
	if err := db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFoundOr(err, "Template", id)
	}
	return t, nil
}

func templateNameTaken() error {
	return &Error{Kind: KindConflict, Message: "That name is taken.", Fields: map[string]string{"name": "is already used by another template"}}
}

// Save creates a template (id empty) or replaces one.
func (s *Templates) Save(ctx context.Context, id string, in UpdateTemplateInput) (*UpdateTemplate, error) {
	in.Name = strings.TrimSpace(in.Name)
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	var t *UpdateTemplate
	err := s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*UpdateTemplate)(nil)).Where("lower(name) = lower(?)", in.Name).Where("id <> ?", id).Count(ctx)
		if err != nil {
			return fmt.Errorf("check template name: %w", err)
		}
		if n > 0 {
			return templateNameTaken()
		}
		change := Change{SubjectType: "update_template"}
		if id == "" {
			t = &UpdateTemplate{ID: NewID(), CreatedAt: now}
			change.Action = "create"
		} else {
			if t, err = updateTemplateByID(ctx, tx, id); err != nil {
				return err
			}
			before := *t
			change.Action, change.Before = "update", before
		}
		t.Name, t.Kind, t.State, t.Body, t.Position, t.UpdatedAt = in.Name, in.Kind, in.State, in.Body, in.Position, now
		if change.Action == "create" {
			_, err = tx.NewInsert().Model(t).Exec(ctx)
		} else {
			_, err = tx.NewUpdate().Model(t).WherePK().Exec(ctx)
		}
		if err != nil {
			return fmt.Errorf("save template: %w", err)
		}
		change.SubjectID, change.After = t.ID, t
		return audit(ctx, tx, now, change)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Delete removes a template.
func (s *Templates) Delete(ctx context.Context, id string) error {
	return s.inTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		t, err := updateTemplateByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(t).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("delete template: %w", err)
		}
		return audit(ctx, tx, s.Now(), Change{Action: "delete", SubjectType: "update_template", SubjectID: id, Before: t})
	})
}

// TemplatesFor returns the templates that fit an incident in state st:
// those for st first, then those for any state, each by position.
func TemplatesFor(all []*UpdateTemplate, st State) []*UpdateTemplate {
	var exact, any []*UpdateTemplate
	for _, t := range all {
		switch t.State {
		case st:
			exact = append(exact, t)
		case "":
			any = append(any, t)
		}
	}
	return append(exact, any...)
}

// FillTemplate replaces the placeholders of body for inc: names maps
// component ids to names, times are shown in loc. Placeholders with
// nothing to say become a visible "[…]" for the writer to fill in.
func FillTemplate(body string, inc *Incident, names map[string]string, loc *time.Location) string {
	clock := func(t *time.Time) string {
		if t == nil {
			return "[time]"
		}
		return t.In(loc).Format("15:04 MST")
	}
	var comps []string
	for _, c := range inc.Components {
		if n, ok := names[c.ComponentID]; ok {
			comps = append(comps, n)
		}
	}
	components := "[the affected service]"
	if len(comps) > 0 {
		components = joinWords(comps)
	}
	var eta *time.Time
	for _, u := range inc.Updates { // newest first
		if u.ETA != nil {
			eta = u.ETA
			break
		}
	}
	started := inc.StartedAt
	return strings.NewReplacer(
		"{title}", inc.Title,
		"{components}", components,
		"{started}", clock(&started),
		"{next_update}", clock(inc.NextUpdateAt),
		"{eta}", clock(eta),
	).Replace(body)
}

// joinWords joins names as "a", "a and b" or "a, b and c".
func joinWords(ws []string) string {
	if len(ws) == 1 {
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}

// HoldingDraft is the text offered when an update is due and nothing new is
// known: it restates the latest analysis, progress and expected resolution
// so customers hear that work goes on, and promises the next update at
// next. It returns "" when the incident has no update to build on.
func HoldingDraft(inc *Incident, loc *time.Location, next time.Time) string {
	var analysis, progress *IncidentUpdate
	var eta *time.Time
	for _, u := range inc.Updates { // newest first
		switch {
		case u.Kind == KindAnalysis && analysis == nil:
			analysis = u
		case u.Kind == KindProgress && progress == nil:
			progress = u
		}
		if u.ETA != nil && eta == nil {
			eta = u.ETA
		}
	}
	if analysis == nil && progress == nil && eta == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("We are still working on this incident.")
	if analysis != nil {
		fmt.Fprintf(&b, " What we know: %s", sentence(analysis.Body))
	}
	if progress != nil {
		fmt.Fprintf(&b, " Latest progress: %s", sentence(progress.Body))
	}
	if eta != nil {
		fmt.Fprintf(&b, " We still expect it resolved by %s.", eta.In(loc).Format("15:04 MST"))
	}
	fmt.Fprintf(&b, " There is nothing new to report yet; our next update will follow by %s.", next.In(loc).Format("15:04 MST"))
	return b.String()
}

// sentence returns the first paragraph of a Markdown body, ending in a
// full stop.
func sentence(body string) string {
	p, _, _ := strings.Cut(strings.TrimSpace(body), "\n\n")
	p = strings.Join(strings.Fields(p), " ")
	if p != "" && !strings.ContainsAny(p[len(p)-1:], ".!?") {
		p += "."
	}
	return p
}

// PostHoldingUpdate posts the holding update of an incident whose update
// fell due at due with nothing posted, when the incident asks for it
// (AutoHolding). It does nothing, and reports false, when an update was
// posted meanwhile, the incident is resolved or it does not ask for it, so
// replicas and repeated ticks post it at most once per due time.
func (s *Incidents) PostHoldingUpdate(ctx context.Context, pageID, incidentID string, due time.Time) (bool, error) {
	posted := false
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, incidentID)
		if err != nil {
			return err
		}
		if !inc.AutoHolding || !inc.State.Open() || inc.NextUpdateAt == nil || !inc.NextUpdateAt.Equal(due.UTC().Truncate(time.Microsecond)) {
			return nil
		}
		page, err := pageByID(ctx, tx, pageID)
		if err != nil {
			return err
		}
		if err := loadIncidentDetails(ctx, tx, []*Incident{inc}); err != nil {
			return err
		}
		now := s.Now()
		next := now.Add(DefaultCadence)
		body := HoldingDraft(inc, page.Location(), next)
		if body == "" {
			body = "We are still working on this incident. There is nothing new to report yet; our next update will follow by " +
				next.In(page.Location()).Format("15:04 MST") + "."
		}
		before := *inc
		upd, err := s.applyUpdate(ctx, tx, inc, UpdateInput{State: inc.State, Kind: KindGeneral, Body: body,
			Author: "Herald (automatic holding update)", NextUpdate: &next}, now)
		if err != nil {
			return err
		}
		posted = true
		return audit(ctx, tx, now, Change{Action: "post_update", SubjectType: "incident", SubjectID: inc.ID, PageID: pageID,
			Before: before, After: withUpdate{inc, upd}})
	})
	return posted, err
}
