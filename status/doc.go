// Package status is Herald's core: the pages customers read, the components
// on them, the incidents and scheduled maintenance that affect those
// components, and the rules of the incident process (DESIGN.md §1).
//
// Vocabulary:
//   - A Page is one public status page (slug, host names, time zone). Several
//     pages are served by one Herald.
//   - A Component is a service shown on a page, optionally inside a
//     ComponentGroup. Its Status is one of the five Statuspage values; every
//     change is kept in component_status_changes so uptime can be computed.
//   - An Incident has a Severity (trivial, minor, major, business
//     continuity), a working State (investigating → mitigating → observing →
//     resolved) and a Visibility (public, affected customers, internal).
//     Only public incidents ever reach public pages, feeds or JSON.
//   - An IncidentUpdate records a state change with a Kind (analysis,
//     progress, ETA, resolution, general) and a Markdown body.
//   - A Maintenance is planned work with a window and its own updates.
//   - A TimelineEntry is one event in an incident's history. It stores a
//     TimelineMessage and its TimelineParams, not a sentence; Text renders
//     the sentence when the entry is read (timeline_text.go).
//
// The Service has one part per noun (Incidents, Pages, Maintenances,
// Customers, Intake, Accounts, Templates) and owns transactions: each
// exported write method runs in one transaction, bumps the page's version
// (which replicas poll to rebuild their public snapshots) and tells the
// outside world through the Notifier inside that same transaction. What
// another package must write in the same transaction goes through
// Service.InTx and the methods of the Tx it hands out; nothing else of
// status takes a caller's transaction. What leaves Herald is rendered from
// a view for one Audience (PageView, IncidentView); the console's incident
// page reads its Desk.
package status
