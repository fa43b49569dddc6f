package alerts

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/herald-status/herald/status"
)

// Result says what one delivery of alerts did.
type Result struct {
	Alerts  int `json:"alerts"`  // received
	New     int `json:"new"`     // stored for the first time
	Updated int `json:"updated"` // re-sent, resolved or acknowledged
	// Items are the triage items the alerts went to.
	Items []string `json:"items"`
	// Declared are incidents declared by an auto-declaring rule.
	Declared []string `json:"declared,omitempty"`
	// Dropped counts alerts that could not be used and were not stored;
	// Problems says why, and what was changed in those that were.
	Dropped  int      `json:"dropped,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// ingestLock serialises ingestion across replicas (a PostgreSQL advisory
// lock key): deduplication and grouping look before they write.
const ingestLock = 0x686572616c64616c // "heraldal" in ASCII

// listed is how many alerts an item's text lists; the console lists all.
const listed = 50

// Ingest stores a delivery of alerts in one transaction: a known alert
// (same source and key, in an item still open or whose incident is not
// resolved) is updated; a new one joins the item of its Alertmanager
// group, or of an alert for the same components (unmapped: from the same
// source) within the window, or starts a new item. What happened (fired,
// fired again, resolved, acknowledged at the source) is written in the
// history of an open item, or on the timeline of the incident its item
// went to. After the commit, auto-declaring rules declare internal
// incidents for critical alerts firing in open items.
func (s *Service) Ingest(ctx context.Context, batch []Alert) (*Result, error) {
	var res *Result
	var in *ingest
	err := s.status.InTx(ctx, func(ctx context.Context, tx *status.Tx) error {
		res = &Result{Alerts: len(batch), Items: []string{}}
		loc, err := tx.ConsoleLocation(ctx)
		if err != nil {
			return err
		}
		in = &ingest{s: s, tx: tx, now: s.status.Now(), loc: loc, res: res}
		if err := s.lockIngestion(ctx, tx); err != nil {
			return err
		}
		if err := in.load(ctx, batch); err != nil {
			return err
		}
		for i := range batch {
			a := &batch[i]
			if a.Dropped != "" {
				res.Dropped++
				res.Problems = append(res.Problems, "not stored: "+a.Dropped)
				continue
			}
			a.mend()
			err := in.one(ctx, a)
			if status.KindOf(err) == status.KindInvalid {
				// Refused before anything was written: leave the alert out,
				// keep the others.
				s.log.Warn("an alert could not be stored", "source", a.Source, "key", a.Key, "err", err)
				res.Dropped++
				res.Problems = append(res.Problems, "not stored: "+status.CutTrim(a.Source, quoteLen, ellipsis)+" "+a.Key+": "+refusal(err))
				continue
			}
			if err != nil {
				return err
			}
		}
		return in.finish(ctx)
	})
	if err != nil {
		return nil, err
	}
	for _, d := range in.declare {
		id, err := s.autoDeclare(ctx, d)
		if err != nil {
			s.log.Warn("auto-declaring an incident from an alert failed", "item", d.item.ID, "rule", d.rule.ID, "err", err)
			res.Problems = append(res.Problems, "item "+d.item.ID+": not declared automatically: "+status.Message(err))
			continue
		}
		res.Declared = append(res.Declared, id)
	}
	return res, nil
}

// refusal words why an intake item refused an alert: the fields it
// named, in order.
func refusal(err error) string {
	var e *status.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return status.Message(err)
	}
	parts := make([]string, 0, len(e.Fields))
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		parts = append(parts, "the item's "+k+" "+e.Fields[k])
	}
	return strings.Join(parts, "; ")
}

// lockIngestion holds, until tx ends, the lock that serialises what
// changes alerts and their items: deliveries, and mapping them again.
// SQLite has one writer anyway.
func (s *Service) lockIngestion(ctx context.Context, tx *status.Tx) error {
	if !s.pg {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(ingestLock)); err != nil {
		return fmt.Errorf("lock alert ingestion: %w", err)
	}
	return nil
}

// ingest is the state of one delivery's transaction.
type ingest struct {
	s   *Service
	tx  *status.Tx
	now time.Time
	loc *time.Location // the console's zone, for times in what is said
	res *Result

	rules []*Rule
	// known are the active alerts by source and key, loaded and new.
	known map[string]*Record
	items map[string]*status.IntakeItem
	// order lists touched items in the order they were touched.
	order []*status.IntakeItem
	// byGroup and byComponent are the items found for a group key or a
	// component in this delivery.
	byGroup     map[string]*status.IntakeItem
	byComponent map[string]*status.IntakeItem
	inserts     []*Record
	updates     map[string]*Record
	events      map[string]*events
	declare     []declaration
}

// events are what happened to an item's alerts in one delivery: for the
// timeline, and for its counts, components and severity.
type events struct {
	firing, again, resolved, acked []string
	// all and live change the item's alert counts; components and worst
	// are the mappings of the alerts that came.
	all, live  int
	components []string
	worst      status.Severity
}

// mapped notes what the rules made of an alert of the item.
func (ev *events) mapped(m mapping) {
	for _, c := range m.components {
		if !contains(ev.components, c) {
			ev.components = append(ev.components, c)
		}
	}
	if severityRank(m.severity) > severityRank(ev.worst) {
		ev.worst = m.severity
	}
}

type declaration struct {
	item *status.IntakeItem
	rule *Rule
}

func knownKey(source, key string) string { return source + "\x00" + key }

// load reads the rules and the active alerts the batch names, and
// retires those whose item is closed.
func (in *ingest) load(ctx context.Context, batch []Alert) error {
	var err error
	if in.rules, err = loadRules(ctx, in.tx); err != nil {
		return err
	}
	in.known, in.items = map[string]*Record{}, map[string]*status.IntakeItem{}
	in.byGroup, in.byComponent = map[string]*status.IntakeItem{}, map[string]*status.IntakeItem{}
	in.updates, in.events = map[string]*Record{}, map[string]*events{}
	keys := map[string][]string{} // source → keys
	for _, a := range batch {
		keys[a.Source] = append(keys[a.Source], a.Key)
	}
	var recs []*Record
	for src, ks := range keys {
		var part []*Record
		if err := in.tx.NewSelect().Model(&part).Where("active AND source = ? AND key IN (?)", src, bun.List(ks)).
			Scan(ctx); err != nil {
			return fmt.Errorf("look up known alerts: %w", err)
		}
		recs = append(recs, part...)
	}
	ids := make([]string, 0, len(recs))
	for _, r := range recs {
		ids = append(ids, r.IntakeID)
	}
	live, err := in.liveItems(ctx, status.AlertItemFilter{IDs: ids})
	if err != nil {
		return err
	}
	var retired []string
	for _, r := range recs {
		if item := live[r.IntakeID]; item != nil {
			in.items[item.ID] = item
			in.known[knownKey(r.Source, r.Key)] = r
			continue
		}
		retired = append(retired, r.ID)
	}
	if len(retired) > 0 {
		if _, err := in.tx.NewUpdate().Model((*Record)(nil)).Set("active = ?", false).Where("id IN (?)", bun.List(retired)).
			Exec(ctx); err != nil {
			return fmt.Errorf("retire alerts of closed items: %w", err)
		}
	}
	return nil
}

// liveItems returns the alert items f selects that are open, or attached
// to or declared as an incident that is not resolved, by id.
func (in *ingest) liveItems(ctx context.Context, f status.AlertItemFilter) (map[string]*status.IntakeItem, error) {
	items, err := in.tx.LiveAlertItems(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*status.IntakeItem, len(items))
	for _, it := range items {
		out[it.ID] = it
	}
	return out, nil
}

// liveItem returns the newest live item f selects, or nil.
func (in *ingest) liveItem(ctx context.Context, f status.AlertItemFilter) (*status.IntakeItem, error) {
	f.Limit = 1
	found, err := in.liveItems(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, it := range found {
		if known := in.items[it.ID]; known != nil {
			return known, nil // the copy this delivery changes
		}
		in.items[it.ID] = it
		return it, nil
	}
	return nil, nil
}

// one applies one alert.
func (in *ingest) one(ctx context.Context, a *Alert) error {
	for _, p := range a.Problems {
		in.res.Problems = append(in.res.Problems, a.Source+" "+a.Key+": "+p)
	}
	m := apply(in.rules, a.Labels, a.Severity)
	if r := in.known[knownKey(a.Source, a.Key)]; r != nil {
		in.update(r, a, m)
		return nil
	}
	item, err := in.itemFor(ctx, a, m)
	if err != nil {
		return err
	}
	// Alerts of one delivery are a microsecond apart, so that they list
	// in the order they came.
	seen := in.now.Add(time.Duration(len(in.inserts)) * time.Microsecond)
	r := &Record{ID: status.NewID(), IntakeID: item.ID, Source: a.Source, Key: a.Key, Active: true, Status: Firing,
		FirstSeenAt: seen, LastSeenAt: in.now, Deliveries: 1, GroupKey: a.Group}
	in.fill(r, a, m)
	ev := in.eventsOf(item)
	ev.mapped(m)
	ev.all++
	switch a.Event {
	case Resolved:
		r.Status, r.ResolvedAt = Resolved, in.resolvedAt(a)
		ev.resolved = append(ev.resolved, in.resolvedLine(r))
	case Acknowledged:
		r.AcknowledgedBy, r.AcknowledgedAt = cmpOr(a.By, "someone"), &in.now
		ev.live++
		ev.firing = append(ev.firing, r.Name())
		ev.acked = append(ev.acked, r.Name()+" by "+r.AcknowledgedBy)
	default:
		ev.live++
		ev.firing = append(ev.firing, r.Name())
		in.maybeDeclare(item, a, m)
	}
	in.known[knownKey(a.Source, a.Key)] = r
	in.inserts = append(in.inserts, r)
	in.res.New++
	return nil
}

// maybeDeclare notes an open item for an auto-declaring rule that a
// firing critical alert of it matched.
func (in *ingest) maybeDeclare(item *status.IntakeItem, a *Alert, m mapping) {
	if m.declare == nil || !IsCritical(a.Severity) || item.State != status.IntakeOpen {
		return
	}
	for _, d := range in.declare {
		if d.item.ID == item.ID {
			return
		}
	}
	in.declare = append(in.declare, declaration{item: item, rule: m.declare})
}

// fill copies what the source says of an alert into r.
func (in *ingest) fill(r *Record, a *Alert, m mapping) {
	r.Title, r.Description, r.Severity, r.Labels, r.Link = a.Title, a.Description, a.Severity, a.Labels, a.Link
	r.Components, r.Suggested, r.Problems = strings.Join(m.components, ","), m.severity, strings.Join(a.Problems, "\n")
	if !a.StartsAt.IsZero() {
		t := a.StartsAt.UTC().Truncate(time.Microsecond)
		r.StartsAt = &t
	}
	if a.Group != "" {
		r.GroupKey = a.Group
	}
}

// update applies a delivery of an alert Herald knows.
func (in *ingest) update(r *Record, a *Alert, m mapping) {
	item := in.items[r.IntakeID]
	ev := in.eventsOf(item)
	r.Deliveries++
	r.LastSeenAt = in.now
	switch a.Event {
	case Acknowledged:
		if r.AcknowledgedAt == nil {
			r.AcknowledgedBy, r.AcknowledgedAt = cmpOr(a.By, "someone"), &in.now
			ev.acked = append(ev.acked, r.Name()+" by "+r.AcknowledgedBy)
		}
	case Resolved:
		in.fill(r, a, m)
		ev.mapped(m)
		if r.Status == Firing {
			r.Status, r.ResolvedAt = Resolved, in.resolvedAt(a)
			ev.live--
			ev.resolved = append(ev.resolved, in.resolvedLine(r))
		}
	default:
		in.fill(r, a, m)
		ev.mapped(m)
		if r.Status == Resolved {
			r.Status, r.ResolvedAt = Firing, nil
			ev.live++
			ev.again = append(ev.again, r.Name())
		}
		in.maybeDeclare(item, a, m)
	}
	if in.updates[r.ID] == nil && !in.isNew(r) {
		in.updates[r.ID] = r
	}
	in.res.Updated++
}

func (in *ingest) isNew(r *Record) bool {
	for _, n := range in.inserts {
		if n == r {
			return true
		}
	}
	return false
}

func (in *ingest) resolvedAt(a *Alert) *time.Time {
	t := in.now
	if !a.EndsAt.IsZero() && !a.EndsAt.After(in.now) {
		t = a.EndsAt.UTC().Truncate(time.Microsecond)
	}
	return &t
}

func (in *ingest) resolvedLine(r *Record) string {
	return r.Name() + " at " + r.ResolvedAt.In(in.loc).Format("15:04 MST")
}

// eventsOf returns the events of item, marking it touched.
func (in *ingest) eventsOf(item *status.IntakeItem) *events {
	ev := in.events[item.ID]
	if ev == nil {
		ev = &events{}
		in.events[item.ID] = ev
		in.order = append(in.order, item)
	}
	return ev
}

// itemFor finds the item a new alert joins, or starts one.
func (in *ingest) itemFor(ctx context.Context, a *Alert, m mapping) (*status.IntakeItem, error) {
	group := ""
	switch {
	case a.Group != "":
		group = "group:" + a.Source + ":" + a.Group
	case len(m.components) == 0:
		group = "source:" + a.Source
	}
	since := in.now.Add(-in.s.window)
	remember := func(item *status.IntakeItem) *status.IntakeItem {
		if group != "" {
			in.byGroup[group] = item
		}
		for _, c := range m.components {
			in.byComponent[c] = item
		}
		return item
	}
	if group != "" {
		if item := in.byGroup[group]; item != nil {
			return remember(item), nil
		}
		f := status.AlertItemFilter{GroupKey: group}
		if a.Group == "" {
			f.Since = &since
		}
		item, err := in.liveItem(ctx, f)
		if err != nil || item != nil {
			return remember(item), err
		}
	}
	for _, c := range m.components {
		if item := in.byComponent[c]; item != nil {
			return remember(item), nil
		}
		item, err := in.liveItem(ctx, status.AlertItemFilter{Since: &since, Component: c})
		if err != nil || item != nil {
			return remember(item), err
		}
	}
	item, _, err := in.tx.CreateIntake(ctx, status.IntakeInput{Source: status.IntakeAlert, Title: a.Title,
		Body: a.Description, RecordedBy: "Monitoring (" + a.Source + ")"})
	if err != nil {
		return nil, fmt.Errorf("start an intake item for alert %s: %w", a.Key, err)
	}
	item.GroupKey = group
	in.items[item.ID] = item
	return remember(item), nil
}

// finish writes the alerts, the items' summaries and the timelines.
func (in *ingest) finish(ctx context.Context) error {
	if len(in.inserts) > 0 {
		if _, err := in.tx.NewInsert().Model(&in.inserts).Exec(ctx); err != nil {
			return fmt.Errorf("store alerts: %w", err)
		}
	}
	if len(in.updates) > 0 {
		recs := make([]*Record, 0, len(in.updates))
		for _, r := range in.updates {
			recs = append(recs, r)
		}
		if _, err := in.tx.NewUpdate().Model(&recs).Column("status", "title", "description", "severity", "suggested", "labels",
			"link", "group_key", "components", "problems", "starts_at", "resolved_at", "last_seen_at", "deliveries",
			"acknowledged_by", "acknowledged_at").Bulk().Exec(ctx); err != nil {
			return fmt.Errorf("update %d alerts: %w", len(recs), err)
		}
	}
	for _, item := range in.order {
		in.res.Items = append(in.res.Items, item.ID)
		ev := in.events[item.ID]
		item.AlertAt = &in.now
		item.AlertCount += ev.all
		item.AlertFiring += ev.live
		comps := item.ComponentIDs()
		for _, c := range ev.components {
			if !contains(comps, c) {
				comps = append(comps, c)
			}
		}
		sort.Strings(comps)
		item.Components = strings.Join(comps, ",")
		if severityRank(ev.worst) > severityRank(item.Severity) {
			item.Severity = ev.worst
		}
		if err := in.s.summarise(ctx, in.tx, item, in.now); err != nil {
			return err
		}
		text := ev.text()
		var err error
		switch {
		case text == "":
		case item.State == status.IntakeOpen:
			err = in.tx.AddIntakeEntry(ctx, item.ID, status.TimelineAlert, status.AlertActor, text, in.now)
		case item.IncidentID != "":
			err = in.tx.AddAlertEntry(ctx, item.IncidentID, text, item.ID, in.now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// text is the events as one timeline entry.
func (ev *events) text() string {
	var parts []string
	add := func(what string, list []string) {
		if len(list) > 0 {
			parts = append(parts, what+": "+listOf(list, 10)+".")
		}
	}
	add("Alert firing", ev.firing)
	add("Alert firing again", ev.again)
	add("Alert resolved", ev.resolved)
	add("Alert acknowledged at its source", ev.acked)
	return strings.Join(parts, "\n")
}

// listOf joins at most n of list, naming how many more there are.
func listOf(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, "; ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:n], "; "), len(list)-n)
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// severityRank orders severities, "" lowest.
func severityRank(s status.Severity) int {
	return slices.Index(status.Severities, s) + 1
}

// recount counts an item's alerts again and collects their components
// and the worst severity, after the rules changed.
func recount(ctx context.Context, tx *status.Tx, item *status.IntakeItem) error {
	var groups []struct {
		Status     Event           `bun:"status"`
		Suggested  status.Severity `bun:"suggested"`
		Components string          `bun:"components"`
		N          int             `bun:"n"`
	}
	if err := tx.NewSelect().Model((*Record)(nil)).Column("status", "suggested", "components").ColumnExpr("count(*) AS n").
		Where("intake_id = ?", item.ID).Group("status", "suggested", "components").Scan(ctx, &groups); err != nil {
		return fmt.Errorf("count alerts of %s: %w", item.ID, err)
	}
	ev := &events{}
	for _, g := range groups {
		ev.all += g.N
		if g.Status == Firing {
			ev.live += g.N
		}
		ev.mapped(mapping{components: strings.Split(g.Components, ","), severity: g.Suggested})
	}
	comps := slices.DeleteFunc(ev.components, func(c string) bool { return c == "" })
	sort.Strings(comps)
	item.AlertCount, item.AlertFiring, item.Components, item.Severity = ev.all, ev.live, strings.Join(comps, ","), ev.worst
	return nil
}

// summarise writes an alert item's title, text and link from its first
// alerts, with its counts, components and severity.
func (s *Service) summarise(ctx context.Context, tx *status.Tx, item *status.IntakeItem, now time.Time) error {
	var first []*Record
	if err := tx.NewSelect().Model(&first).Where("intake_id = ?", item.ID).OrderExpr("first_seen_at, id").Limit(listed).
		Scan(ctx); err != nil {
		return fmt.Errorf("load alerts of %s: %w", item.ID, err)
	}
	if len(first) == 0 {
		return nil
	}
	head := first[0]
	item.Title = head.Title
	if item.AlertCount > 1 {
		item.Title = status.Cut(fmt.Sprintf("%s and %d more alerts", head.Title, item.AlertCount-1), status.MaxNameLen, "…")
	}
	item.Link = ""
	for _, r := range first {
		if r.Link != "" {
			item.Link = r.Link
			break
		}
	}
	loc, err := tx.ConsoleLocation(ctx)
	if err != nil {
		return err
	}
	item.Body = status.Cut(alertText(first, Count{All: item.AlertCount, Firing: item.AlertFiring}, loc), status.MaxBodyLen, "\n…")
	item.UpdatedAt = now
	return tx.UpdateAlertItem(ctx, item)
}

// alertText is an item's text: the first alert's description, then the
// alerts listed one a line, with times in loc (the console's zone).
func alertText(first []*Record, c Count, loc *time.Location) string {
	var b strings.Builder
	if d := first[0].Description; d != "" {
		b.WriteString(d)
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "%d alert", c.All)
	if c.All != 1 {
		b.WriteString("s")
	}
	fmt.Fprintf(&b, ", %d firing, %d resolved:\n", c.Firing, c.All-c.Firing)
	for _, r := range first {
		state := "firing"
		if r.Status == Resolved && r.ResolvedAt != nil {
			state = "resolved " + r.ResolvedAt.In(loc).Format(status.PeopleTime)
		}
		fmt.Fprintf(&b, "- [%s] %s", state, r.Title)
		if len(r.Labels) > 0 {
			b.WriteString(" {" + status.Cut(r.Labels.String(), 300, "…") + "}")
		}
		if r.Link != "" {
			b.WriteString(" " + r.Link)
		}
		b.WriteString("\n")
	}
	if c.All > len(first) {
		fmt.Fprintf(&b, "… and %d more; the console lists them all.\n", c.All-len(first))
	}
	return strings.TrimSpace(b.String())
}

// autoDeclare declares an internal incident from an item whose new
// critical alert matched an auto-declaring rule, on the page of the
// rule's component.
func (s *Service) autoDeclare(ctx context.Context, d declaration) (string, error) {
	ctx = status.WithActor(ctx, status.Actor{Kind: status.ActorSystem, Name: "Herald (alert rule)"})
	item, err := s.status.Intake.Item(ctx, d.item.ID)
	if err != nil {
		return "", err
	}
	comp, err := s.status.Pages.Component(ctx, d.rule.ComponentID)
	if err != nil {
		return "", err
	}
	sev := d.rule.Severity
	if sev == "" {
		sev = status.SeverityMajor
	}
	var comps []status.ComponentStatusInput
	for _, id := range item.ComponentIDs() {
		if c, err := s.status.Pages.Component(ctx, id); err == nil && c.PageID == comp.PageID {
			comps = append(comps, status.ComponentStatusInput{ComponentID: id, Status: status.MajorOutage})
		}
	}
	notify := false
	inc, err := s.status.Incidents.Declare(ctx, comp.PageID, status.IncidentInput{Title: item.Title, Severity: sev,
		Visibility: status.VisibilityInternal, Components: comps, Kind: status.KindAnalysis, Notify: &notify,
		Body:   "Declared by Herald from a critical alert; nobody has looked at it yet.",
		Author: "Herald", Source: status.SourceMonitoring, SourceReference: item.Link, Summary: item.Body, IntakeID: item.ID})
	if err != nil {
		return "", err
	}
	return inc.ID, nil
}
