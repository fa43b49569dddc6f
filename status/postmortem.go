package status

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// PostmortemKind says which of an incident's two post-mortems is meant.
type PostmortemKind string

// The two post-mortems: the team's, written from the record and the
// timeline and never published, and the public one, written for the public
// incident page from the public updates.
const (
	PostmortemInternal PostmortemKind = "internal"
	PostmortemPublic   PostmortemKind = "public"
)

// PostmortemAction is what is done with a post-mortem's text.
type PostmortemAction string

// Post-mortem actions. Only the public post-mortem is published.
const (
	PostmortemSave      PostmortemAction = "draft"
	PostmortemPublish   PostmortemAction = "publish"
	PostmortemUnpublish PostmortemAction = "unpublish"
)

// PostmortemInput saves, publishes or withdraws a post-mortem.
type PostmortemInput struct {
	Kind   PostmortemKind
	Action PostmortemAction
	Text   string
	// Version, when not zero, is the incident version the form was based
	// on: if the incident changed since, the input is refused, so two
	// people publishing at once publish once.
	Version int
}

// SavePostmortem saves the internal post-mortem, or saves, publishes or
// withdraws the public one. Each is recorded on the timeline and in the
// audit log. Publishing the public post-mortem puts it on the public
// incident page, so it is refused for an incident the public cannot see.
// Errors: KindInvalid for a wrong kind, action or text, KindConflict for a
// stale version or an incident that is not public.
func (s *Incidents) SavePostmortem(ctx context.Context, pageID, id string, in PostmortemInput) (*Incident, error) {
	f := FieldErrors{}
	if in.Kind != PostmortemInternal && in.Kind != PostmortemPublic {
		f.Add("kind", "must be internal or public")
	}
	switch in.Action {
	case PostmortemSave, PostmortemUnpublish:
	case PostmortemPublish:
		if in.Kind == PostmortemInternal {
			f.Add("action", "the internal post-mortem is never published")
		}
		if strings.TrimSpace(in.Text) == "" {
			f.Add("postmortem", "is empty: write the post-mortem before publishing it")
		}
	default:
		f.Add("action", "must be draft, publish or unpublish")
	}
	checkText(f, "postmortem", in.Text, MaxBodyLen, false, true)
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	err := s.inTx(ctx, &pageID, func(ctx context.Context, tx bun.Tx) error {
		inc, err := incidentOnPage(ctx, tx, pageID, id)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != inc.Version {
			return Errorf(KindConflict, "Someone else changed this incident meanwhile (perhaps published the post-mortem). Reload it, check what changed, and try again.")
		}
		before := *inc
		if err := setPostmortem(ctx, tx, inc, in.Kind, in.Action, in.Text, now); err != nil {
			return err
		}
		return saveIncident(ctx, tx, &before, inc, now)
	})
	if err != nil {
		return nil, err
	}
	return s.ByID(ctx, pageID, id)
}

// setPostmortem changes inc's post-mortem in memory (the caller saves inc)
// and records what was done on the timeline and in the audit log.
func setPostmortem(ctx context.Context, tx bun.IDB, inc *Incident, kind PostmortemKind, action PostmortemAction, text string, now time.Time) error {
	var msg TimelineMessage
	switch {
	case kind == PostmortemInternal:
		inc.PostmortemInternal, msg = text, MsgPostmortemInternalSaved
	case action == PostmortemSave:
		inc.PostmortemDraft, msg = text, MsgPostmortemDraftSaved
	case action == PostmortemPublish:
		if !inc.Public() {
			return Errorf(KindConflict, "Only a public incident's post-mortem can be published: this incident is not on the public page.")
		}
		if inc.PostmortemAt != nil && inc.Postmortem == text {
			return Errorf(KindConflict, "This post-mortem is published already.")
		}
		inc.Postmortem, inc.PostmortemDraft, inc.PostmortemAt, msg = text, text, &now, MsgPostmortemPublished
	case action == PostmortemUnpublish:
		if inc.PostmortemAt == nil {
			return Errorf(KindConflict, "No post-mortem is published.")
		}
		inc.PostmortemDraft = inc.Postmortem
		inc.Postmortem, inc.PostmortemAt, msg = "", nil, MsgPostmortemWithdrawn
	}
	if err := addTimeline(ctx, tx, inc.ID, TimelineChange, ActorFrom(ctx).Name, now, now, plain(msg)); err != nil {
		return err
	}
	type record struct {
		Kind PostmortemKind `json:"kind"`
		Text string         `json:"text"`
	}
	return audit(ctx, tx, now, Change{Action: "postmortem_" + string(action), SubjectType: "incident", SubjectID: inc.ID,
		PageID: inc.PageID, After: record{kind, text}})
}

// InternalPostmortemDraft is the start of the team's post-mortem: the
// record, roles, every update and the whole timeline, with sections for the
// root cause, the resolution and the action items. It is never published.
func InternalPostmortemDraft(inc *Incident, roles []*RoleAssignment, tl []*TimelineEntry, names map[string]string, loc *time.Location) string {
	return TimelineMarkdown(inc, roles, tl, names, loc) +
		"\n## Root cause\n\n" + inc.Cause + "\n\n## Resolution\n\n" + inc.Solution + "\n\n## Action items\n\n" + inc.Remaining + "\n"
}

// PublicPostmortemDraft is the start of the public post-mortem: empty
// sections to write and what the public was told (the public updates among
// ups, oldest first). Nothing of the record or the timeline is in it.
func PublicPostmortemDraft(ups []*UpdateView, loc *time.Location) string {
	var b strings.Builder
	b.WriteString("## Summary\n\n\n## Impact\n\n\n## Root cause\n\n\n## Resolution\n\n\n## Action items\n\n\n")
	said := false
	for i := len(ups) - 1; i >= 0; i-- {
		if u := ups[i]; u.Visibility == VisibilityPublic {
			if !said {
				b.WriteString("## What we said\n")
				said = true
			}
			fmt.Fprintf(&b, "\n### %s · %s\n\n%s\n", u.DisplayAt.In(loc).Format("2006-01-02 15:04 MST"), u.State.Label(), strings.TrimSpace(u.Body))
		}
	}
	return b.String()
}

// PublicationFlag is something in a text about to be published that looks
// like it should not be public.
type PublicationFlag struct {
	What string // "email address", "customer", …
	Text string // what was found
}

var (
	emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`)
	phonePattern = regexp.MustCompile(`\+?\(?\d[\d ()/.-]{5,}\d`)
	hostLike     = regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}\b`)
	datePattern  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
)

// PublicationFlags looks through text that is about to become public
// (a post-mortem, a title) for what should not be public: email addresses,
// phone numbers, customers' names and domains, people named in the
// incident's record or holding its roles, and host names from the record
// or its notes. The publishing form shows them and asks before going on.
func (s *Incidents) PublicationFlags(ctx context.Context, pageID, incidentID, text string) ([]PublicationFlag, error) {
	inc, err := s.ByID(ctx, pageID, incidentID)
	if err != nil {
		return nil, err
	}
	customers, err := s.svc.Customers.List(ctx)
	if err != nil {
		return nil, err
	}
	roles, err := s.Roles(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	tl, err := s.Timeline(ctx, pageID, inc.ID)
	if err != nil {
		return nil, err
	}
	var out []PublicationFlag
	add := func(what, found string) {
		f := PublicationFlag{What: what, Text: found}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, m := range emailPattern.FindAllString(text, 20) {
		add("email address", m)
	}
	for _, m := range phonePattern.FindAllString(text, 20) {
		if digits(m) >= 7 && !looksLikeTime(m) {
			add("phone number", strings.TrimSpace(m))
		}
	}
	lower := strings.ToLower(text)
	contains := func(word string) bool {
		word = strings.ToLower(strings.TrimSpace(word))
		return len(word) >= 3 && containsWord(lower, word)
	}
	for _, c := range customers {
		if contains(c.Name) {
			add("customer", c.Name)
		}
		for _, d := range c.Domains {
			if contains(d) {
				add("customer domain", d)
			}
		}
	}
	for _, person := range []string{inc.Caller, inc.Contact, inc.DeclaredBy} {
		if contains(person) {
			add("person from the record", person)
		}
	}
	for _, r := range roles {
		if r.User != nil && contains(r.User.Name) {
			add("team member", r.User.Name)
		}
	}
	record := []string{inc.Summary, inc.Reproduce, inc.SourceReference, inc.Contact, inc.Caller, inc.AffectedCustomers}
	for _, e := range tl {
		if e.Kind == TimelineNote || e.Kind == TimelineCustomer || e.Kind == TimelineAlert {
			record = append(record, e.Text())
		}
	}
	for _, field := range record {
		for _, h := range hostLike.FindAllString(field, 50) {
			if contains(h) {
				add("host name from the record", h)
			}
		}
	}
	return out, nil
}

func digits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// looksLikeTime keeps dates and times ("2026-12-07 11:20") from counting
// as phone numbers.
func looksLikeTime(s string) bool {
	return datePattern.MatchString(strings.TrimSpace(s))
}

// containsWord reports whether word occurs in s, not as part of a longer
// word.
func containsWord(s, word string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isWordByte(s[start-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}
