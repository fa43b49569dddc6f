package status

// ComponentSection is one part of a list of a page's components: one of
// its groups (Group set), the components in no group (neither set), or
// the hidden components (Hidden).
type ComponentSection struct {
	Group      *ComponentGroup
	Hidden     bool
	Components []*Component
}

// ComponentSections arranges a page's components as its public page shows
// them: the components in no group first, then each group in its position
// order, each with its components in theirs; a group left with no
// component is left out. Hidden components, which no public page shows,
// come last in a section of their own. groups and comps are in position
// order, as Pages.Groups and Pages.Components return them. A component of
// a group not in groups counts as in no group, so that none is lost. skip,
// when set, leaves components out (those listed apart).
func ComponentSections(groups []*ComponentGroup, comps []*Component, skip func(*Component) bool) []ComponentSection {
	known := make(map[string]bool, len(groups))
	for _, g := range groups {
		known[g.ID] = true
	}
	byGroup := map[string][]*Component{}
	var ungrouped, hidden []*Component
	for _, c := range comps {
		switch {
		case skip != nil && skip(c):
		case c.Hidden:
			hidden = append(hidden, c)
		case c.GroupID == nil || !known[*c.GroupID]:
			ungrouped = append(ungrouped, c)
		default:
			byGroup[*c.GroupID] = append(byGroup[*c.GroupID], c)
		}
	}
	var out []ComponentSection
	if len(ungrouped) > 0 {
		out = append(out, ComponentSection{Components: ungrouped})
	}
	for _, g := range groups {
		if cs := byGroup[g.ID]; len(cs) > 0 {
			out = append(out, ComponentSection{Group: g, Components: cs})
		}
	}
	if len(hidden) > 0 {
		out = append(out, ComponentSection{Hidden: true, Components: hidden})
	}
	return out
}
