package status

import (
	"fmt"
	"strings"
	"time"
)

// TimelineMarkdown renders an incident's record, roles, updates (customer
// or internal ones, by its audience) and timeline as a Markdown document, for tickets and post-mortems. Times
// are shown in loc.
func TimelineMarkdown(inc *Incident, roles []*RoleAssignment, timeline []*TimelineEntry, names map[string]string, loc *time.Location) string {
	var b strings.Builder
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	fmt.Fprintf(&b, "# %s\n\n", mdLine(inc.Title))
	fmt.Fprintf(&b, "- Severity: %s\n- State: %s\n- Visibility: %s\n- Started: %s\n", inc.Severity.Label(), inc.State.Label(), inc.Visibility, at(inc.StartedAt))
	if inc.ResolvedAt != nil {
		fmt.Fprintf(&b, "- Resolved: %s (after %s)\n", at(*inc.ResolvedAt), inc.Duration(*inc.ResolvedAt).Round(time.Minute))
	}
	fmt.Fprintf(&b, "- Alerted by: %s", inc.Source.Label())
	for _, s := range []string{inc.SourceReference, inc.Caller} {
		if s != "" {
			fmt.Fprintf(&b, " · %s", mdLine(s))
		}
	}
	b.WriteString("\n")
	if inc.Contact != "" {
		fmt.Fprintf(&b, "- Contact: %s\n", mdLine(inc.Contact))
	}
	var comps []string
	for _, ic := range inc.Components {
		comps = append(comps, fmt.Sprintf("%s (%s)", mdLine(names[ic.ComponentID]), ic.Status.Label()))
	}
	if len(comps) > 0 {
		fmt.Fprintf(&b, "- Components: %s\n", strings.Join(comps, ", "))
	}
	for _, sec := range []struct{ title, body string }{{"What happened", inc.Summary}, {"How to check it", inc.Reproduce}} {
		if strings.TrimSpace(sec.body) != "" {
			fmt.Fprintf(&b, "\n## %s\n\n%s\n", sec.title, strings.TrimSpace(sec.body))
		}
	}
	if len(roles) > 0 {
		b.WriteString("\n## Roles\n\n")
		for _, r := range roles {
			fmt.Fprintf(&b, "- %s: %s\n", r.Role.Label(), mdLine(displayName(r.User)))
		}
	}
	if len(inc.Updates) > 0 {
		fmt.Fprintf(&b, "\n## %s\n", CadenceWordsFor(inc.Visibility).Updates)
		for i := len(inc.Updates) - 1; i >= 0; i-- {
			u := inc.Updates[i]
			fmt.Fprintf(&b, "\n### %s · %s · %s\n\n%s\n", at(u.DisplayAt), u.State.Label(), u.Kind.Label(), strings.TrimSpace(u.Body))
		}
	}
	b.WriteString("\n## Timeline\n\n")
	for _, e := range timeline {
		actor := ""
		if e.Actor != "" {
			actor = " " + mdLine(e.Actor) + ":"
		}
		fmt.Fprintf(&b, "- %s%s %s\n", at(e.At), actor, mdLine(e.TextIn(loc)))
	}
	return b.String()
}

// mdLine keeps a value on one line so it cannot break the document's
// structure.
func mdLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
