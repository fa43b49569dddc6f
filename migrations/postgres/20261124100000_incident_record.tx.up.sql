ALTER TABLE incidents ADD COLUMN summary text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN source text NOT NULL DEFAULT '' CHECK (source IN ('', 'monitoring', 'ticket', 'email', 'phone', 'other'));
ALTER TABLE incidents ADD COLUMN source_reference text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN caller text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN reproduce text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN contact text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN affected_customers text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN declared_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN next_update_at timestamptz;
ALTER TABLE incidents ADD COLUMN version integer NOT NULL DEFAULT 1;

CREATE TABLE timeline_entries (
    id          text PRIMARY KEY,
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    body        text NOT NULL,
    actor       text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX timeline_entries_incident_idx ON timeline_entries (incident_id, at);
