package web

import (
	"net/url"
	"sort"

	"github.com/herald-status/herald/status"
)

// componentPicker is the component part of the declare and update forms:
// one select per component ("component.<id>"), in fieldsets grouped as the
// public page groups them, with the incident's affected components first
// in the update form.
type componentPicker struct {
	// Prefix starts each select's id ("c" on the declare form, "u" on the
	// update form); None labels the empty choice.
	Prefix, None string
	Statuses     []status.ComponentStatus
	// AllStatuses are the choices of the update form's "all affected"
	// select, shown when the incident affects components.
	AllStatuses []status.ComponentStatus
	AllAffected string
	// AllError is what is wrong with the "all affected" choice.
	AllError string
	Sections []pickerSection
}

// pickerSection is one fieldset of a picker.
type pickerSection struct {
	Legend string
	// Affected is the update form's first fieldset: the components the
	// incident affects, each with its status on the incident chosen.
	Affected   bool
	Hidden     bool
	Components []pickerItem
}

// pickerItem is one component's select.
type pickerItem struct {
	*status.Component
	// Now is the status shown beside the name; Selected the chosen value.
	Now      status.ComponentStatus
	Selected string
}

// allAffectedField is the update form's select that sets every affected
// component at once.
const allAffectedField = "all_affected"

// declarePicker is the declare form's picker: every component of the page,
// grouped as on the public page, none chosen unless typed.
func declarePicker(groups []*status.ComponentGroup, comps []*status.Component, form url.Values) componentPicker {
	p := componentPicker{Prefix: "c", None: "not affected", Statuses: status.ComponentStatuses[1:]}
	p.Sections = pickerSections(groups, comps, nil, func(c *status.Component) pickerItem {
		return pickerItem{Component: c, Selected: form.Get("component." + c.ID)}
	})
	return p
}

// updatePicker is the update form's picker: the components the incident
// affects first, each with its status on the incident chosen (unless
// something else was typed), then the others grouped as on the public
// page, left unchanged.
func updatePicker(desk *status.Desk, form url.Values, fields map[string]string) componentPicker {
	p := componentPicker{Prefix: "u", None: "unchanged", Statuses: status.ComponentStatuses, AllAffected: form.Get(allAffectedField),
		AllError: fields[allAffectedField]}
	held := heldStatuses(desk.Incident)
	affected := pickerSection{Legend: "Affected by this incident", Affected: true}
	// In the public page's order too, hidden ones last.
	for _, sec := range status.ComponentSections(desk.Groups, desk.Components, func(c *status.Component) bool { _, ok := held[c.ID]; return !ok }) {
		for _, c := range sec.Components {
			sel := string(held[c.ID])
			if v, typed := form["component."+c.ID]; typed && len(v) > 0 {
				sel = v[0]
			}
			affected.Components = append(affected.Components, pickerItem{Component: c, Now: held[c.ID], Selected: sel})
		}
	}
	if len(affected.Components) > 0 {
		p.Sections = append(p.Sections, affected)
		p.AllStatuses = status.ComponentStatuses
	}
	others := pickerSections(desk.Groups, desk.Components, func(c *status.Component) bool { _, ok := held[c.ID]; return ok },
		func(c *status.Component) pickerItem {
			return pickerItem{Component: c, Now: c.Status, Selected: form.Get("component." + c.ID)}
		})
	p.Sections = append(p.Sections, others...)
	return p
}

// pickerSections turns the public page's arrangement into fieldsets.
func pickerSections(groups []*status.ComponentGroup, comps []*status.Component, skip func(*status.Component) bool,
	item func(*status.Component) pickerItem) []pickerSection {
	var out []pickerSection
	for _, sec := range status.ComponentSections(groups, comps, skip) {
		ps := pickerSection{Hidden: sec.Hidden}
		switch {
		case sec.Group != nil:
			ps.Legend = sec.Group.Name
		case sec.Hidden:
			ps.Legend = "Hidden (never shown publicly)"
		case len(groups) == 0:
			ps.Legend = "Components"
		default:
			ps.Legend = "Not in a group"
		}
		for _, c := range sec.Components {
			ps.Components = append(ps.Components, item(c))
		}
		out = append(out, ps)
	}
	return out
}

// heldStatuses is the status the incident gives each component it affects.
func heldStatuses(inc *status.Incident) map[string]status.ComponentStatus {
	held := make(map[string]status.ComponentStatus, len(inc.Components))
	for _, ic := range inc.Components {
		held[ic.ComponentID] = ic.Status
	}
	return held
}

// updateComponentChoices reads the update form's component selects and
// its "all affected" select against the incident as it is:
//   - a select left at the status the incident already gives the
//     component (the update form's preselection) changes nothing;
//   - "all affected → X" sets every component the incident affects to X,
//     except those whose own select was changed: a component's own choice
//     wins;
//   - other choices are passed on as they are (the service refuses unknown
//     components and statuses).
//
// A status that is not one of the component statuses, or "all affected"
// for an incident that affects none, is a field error.
func updateComponentChoices(f status.FieldErrors, form url.Values, inc *status.Incident) []status.ComponentStatusInput {
	held := heldStatuses(inc)
	all := status.ComponentStatus(form.Get(allAffectedField))
	switch {
	case all == "":
	case !all.Valid():
		f.Add(allAffectedField, status.OneOf(status.ComponentStatuses))
		all = ""
	case len(held) == 0:
		f.Add(allAffectedField, "this incident affects no component yet: choose each component's status instead")
		all = ""
	}
	var out []status.ComponentStatusInput
	own := map[string]bool{}
	for _, in := range componentChoices(form) {
		if st, ok := held[in.ComponentID]; ok && st == in.Status {
			continue
		}
		own[in.ComponentID] = true
		out = append(out, in)
	}
	if all != "" {
		for id, st := range held {
			if !own[id] && st != all {
				out = append(out, status.ComponentStatusInput{ComponentID: id, Status: all})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ComponentID < out[j].ComponentID })
	return out
}
