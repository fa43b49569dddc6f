-- Requests, by the incident commander, that the services be confirmed
-- back (DESIGN.md §1, closing): from the affected customers by email to
-- their primary contacts (kind customer, customer_ids), or from a team
-- member (kind internal, user_id). recipients and not_asked keep, as JSON
-- lists of text, who was written to and which affected customers had no
-- primary contact, as they were then. A request is answered when a
-- confirmation is recorded from a message that came after it, or at
-- closing: answered_entry names the timeline entry.
CREATE TABLE confirmation_requests (
    id             text PRIMARY KEY,
    incident_id    text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('customer', 'internal')),
    customer_ids   text NOT NULL DEFAULT '[]',
    user_id        text REFERENCES users (id) ON DELETE SET NULL,
    recipients     text NOT NULL DEFAULT '[]',
    not_asked      text NOT NULL DEFAULT '[]',
    message        text NOT NULL DEFAULT '',
    requested_by   text NOT NULL DEFAULT '',
    requested_at   timestamptz NOT NULL,
    answered_entry text,
    answered_at    timestamptz,
    answered_by    text NOT NULL DEFAULT ''
);
CREATE INDEX confirmation_requests_incident_idx ON confirmation_requests (incident_id, requested_at);
