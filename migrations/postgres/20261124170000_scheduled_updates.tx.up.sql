CREATE TABLE scheduled_updates (
    id          text PRIMARY KEY,
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    page_id     text NOT NULL,
    publish_at  timestamptz NOT NULL,
    input_json  text NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'published', 'cancelled', 'failed')),
    reason      text NOT NULL DEFAULT '',
    update_id   text,
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    done_at     timestamptz
);
CREATE INDEX scheduled_updates_due_idx ON scheduled_updates (status, publish_at);
CREATE INDEX scheduled_updates_incident_idx ON scheduled_updates (incident_id, publish_at);
