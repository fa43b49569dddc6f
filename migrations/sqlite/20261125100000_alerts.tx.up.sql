-- Monitoring alerts. An alert item in the triage inbox gathers alerts: one
-- Alertmanager group (group_key), or those mapped to the same components
-- within a short window (components, alert_at). severity is the suggested
-- incident severity (the worst of its alerts), link the first alert's;
-- alert_count and alert_firing count its alerts, so that a storm does not
-- count them all again at each delivery.
ALTER TABLE intake_items ADD COLUMN group_key text NOT NULL DEFAULT '';
ALTER TABLE intake_items ADD COLUMN components text NOT NULL DEFAULT '';
ALTER TABLE intake_items ADD COLUMN severity text NOT NULL DEFAULT '';
ALTER TABLE intake_items ADD COLUMN link text NOT NULL DEFAULT '';
ALTER TABLE intake_items ADD COLUMN alert_count integer NOT NULL DEFAULT 0;
ALTER TABLE intake_items ADD COLUMN alert_firing integer NOT NULL DEFAULT 0;
ALTER TABLE intake_items ADD COLUMN alert_at timestamp;
ALTER TABLE intake_items ADD COLUMN acknowledged_by text NOT NULL DEFAULT '';
ALTER TABLE intake_items ADD COLUMN acknowledged_at timestamp;
CREATE INDEX intake_items_alert_idx ON intake_items (source, alert_at);

-- One alert as its source keeps it, in the item it went to. (source, key)
-- is unique among active alerts: a re-sent alert updates its row. An
-- alert whose item was dismissed or whose incident resolved is retired
-- (active false), and the same key firing again starts a new row.
CREATE TABLE alerts (
    id              text PRIMARY KEY,
    intake_id       text NOT NULL REFERENCES intake_items (id) ON DELETE CASCADE,
    source          text NOT NULL,
    key             text NOT NULL,
    active          boolean NOT NULL DEFAULT true,
    status          text NOT NULL CHECK (status IN ('firing', 'resolved')),
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    severity        text NOT NULL DEFAULT '',
    suggested       text NOT NULL DEFAULT '',
    labels          text NOT NULL DEFAULT '{}',
    link            text NOT NULL DEFAULT '',
    group_key       text NOT NULL DEFAULT '',
    components      text NOT NULL DEFAULT '',
    problems        text NOT NULL DEFAULT '',
    starts_at       timestamp,
    resolved_at     timestamp,
    first_seen_at   timestamp NOT NULL,
    last_seen_at    timestamp NOT NULL,
    deliveries      integer NOT NULL DEFAULT 1,
    acknowledged_by text NOT NULL DEFAULT '',
    acknowledged_at timestamp
);
CREATE UNIQUE INDEX alerts_active_key_idx ON alerts (source, key) WHERE active;
CREATE INDEX alerts_intake_idx ON alerts (intake_id, first_seen_at);

-- Mapping rules: alerts whose labels match go to a component and get a
-- severity; auto_declare declares an internal incident for a critical one.
CREATE TABLE alert_rules (
    id           text PRIMARY KEY,
    position     integer NOT NULL,
    matchers     text NOT NULL,
    component_id text NOT NULL DEFAULT '',
    severity     text NOT NULL DEFAULT '',
    auto_declare boolean NOT NULL DEFAULT false,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamp NOT NULL,
    updated_at   timestamp NOT NULL
);

-- What happened to an open item before anyone decided on it (alerts
-- firing and resolving), in order; copied onto the incident's timeline
-- when the item is attached or declared.
CREATE TABLE intake_entries (
    id        text PRIMARY KEY,
    intake_id text NOT NULL REFERENCES intake_items (id) ON DELETE CASCADE,
    kind      text NOT NULL,
    body      text NOT NULL,
    actor     text NOT NULL DEFAULT '',
    at        timestamp NOT NULL,
    created_at timestamp NOT NULL
);
CREATE INDEX intake_entries_item_idx ON intake_entries (intake_id, at, created_at);

-- The token of each webhook, as a SHA-256 hash, and when a delivery last
-- came with it (at most once a minute written).
CREATE TABLE hook_tokens (
    hook       text PRIMARY KEY,
    hash       text NOT NULL,
    hint       text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created_at timestamp NOT NULL,
    last_used_at timestamp
);
