CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE users (
    id            text PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    name          text NOT NULL DEFAULT '',
    role          text NOT NULL CHECK (role IN ('admin', 'manager', 'engineer', 'viewer')),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE api_tokens (
    id           text PRIMARY KEY,
    name         text NOT NULL,
    token_hash   text NOT NULL UNIQUE,
    user_id      text REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);

CREATE TABLE pages (
    id            text PRIMARY KEY,
    slug          text NOT NULL UNIQUE,
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    time_zone     text NOT NULL DEFAULT 'Etc/UTC',
    support_email text NOT NULL DEFAULT '',
    support_url   text NOT NULL DEFAULT '',
    version       bigint NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE page_hosts (
    host    text PRIMARY KEY,
    page_id text NOT NULL REFERENCES pages (id) ON DELETE CASCADE
);
CREATE INDEX page_hosts_page_id_idx ON page_hosts (page_id);

CREATE TABLE component_groups (
    id          text PRIMARY KEY,
    page_id     text NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX component_groups_page_id_idx ON component_groups (page_id);

CREATE TABLE components (
    id          text PRIMARY KEY,
    page_id     text NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    group_id    text REFERENCES component_groups (id) ON DELETE SET NULL,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    status      text NOT NULL CHECK (status IN ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')),
    position    integer NOT NULL DEFAULT 0,
    hidden      boolean NOT NULL DEFAULT false,
    start_date  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX components_page_id_idx ON components (page_id);

CREATE TABLE component_status_changes (
    id           text PRIMARY KEY,
    component_id text NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    status       text NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX component_status_changes_component_idx ON component_status_changes (component_id, changed_at);

CREATE TABLE incidents (
    id            text PRIMARY KEY,
    page_id       text NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    title         text NOT NULL,
    severity      text NOT NULL CHECK (severity IN ('trivial', 'minor', 'major', 'business_continuity')),
    state         text NOT NULL CHECK (state IN ('investigating', 'mitigating', 'observing', 'resolved')),
    visibility    text NOT NULL CHECK (visibility IN ('public', 'customers', 'internal')),
    started_at    timestamptz NOT NULL,
    monitoring_at timestamptz,
    resolved_at   timestamptz,
    postmortem    text NOT NULL DEFAULT '',
    postmortem_at timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX incidents_page_started_idx ON incidents (page_id, started_at);

CREATE TABLE incident_components (
    incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    component_id text NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    status       text NOT NULL,
    PRIMARY KEY (incident_id, component_id)
);

CREATE TABLE incident_updates (
    id          text PRIMARY KEY,
    incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    state       text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('analysis', 'progress', 'eta', 'resolution', 'general')),
    eta_at      timestamptz,
    resolution  text NOT NULL DEFAULT '' CHECK (resolution IN ('', 'temporary', 'permanent')),
    body        text NOT NULL,
    author      text NOT NULL DEFAULT '',
    notify      boolean NOT NULL DEFAULT true,
    components  text NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL,
    display_at  timestamptz NOT NULL
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, display_at);

CREATE TABLE maintenances (
    id              text PRIMARY KEY,
    page_id         text NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    state           text NOT NULL CHECK (state IN ('scheduled', 'in_progress', 'completed')),
    scheduled_for   timestamptz NOT NULL,
    scheduled_until timestamptz NOT NULL,
    started_at      timestamptz,
    completed_at    timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX maintenances_page_idx ON maintenances (page_id, scheduled_for);

CREATE TABLE maintenance_components (
    maintenance_id text NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
    component_id   text NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    PRIMARY KEY (maintenance_id, component_id)
);

CREATE TABLE maintenance_updates (
    id             text PRIMARY KEY,
    maintenance_id text NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
    state          text NOT NULL,
    body           text NOT NULL,
    author         text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL
);
CREATE INDEX maintenance_updates_maintenance_idx ON maintenance_updates (maintenance_id, created_at);
