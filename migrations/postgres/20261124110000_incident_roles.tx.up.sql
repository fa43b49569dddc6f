CREATE TABLE incident_roles (
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('lead', 'help', 'commander', 'comms')),
    user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at timestamptz NOT NULL,
    PRIMARY KEY (incident_id, role, user_id)
);
CREATE INDEX incident_roles_user_idx ON incident_roles (user_id);
