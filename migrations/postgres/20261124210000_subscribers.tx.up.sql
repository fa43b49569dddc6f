-- Subscribers of a page: one per page and normalised address, with the
-- components they follow (all, chosen groups, or chosen components).
CREATE TABLE subscribers (
    id                   text PRIMARY KEY,
    page_id              text NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    email                text NOT NULL,
    state                text NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
    scope                text NOT NULL CHECK (scope IN ('all', 'groups', 'components')),
    added_by             text NOT NULL CHECK (added_by IN ('form', 'import', 'admin')),
    failures             integer NOT NULL DEFAULT 0,
    confirmed_at         timestamptz,
    confirmation_sent_at timestamptz,
    unsubscribed_at      timestamptz,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    UNIQUE (page_id, email)
);
-- Recipients pages through a page's confirmed subscribers by id.
CREATE INDEX subscribers_page_state_idx ON subscribers (page_id, state, id);

-- A group scope follows the group: components added to it later count.
CREATE TABLE subscriber_groups (
    subscriber_id text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    group_id      text NOT NULL REFERENCES component_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, group_id)
);
CREATE INDEX subscriber_groups_group_idx ON subscriber_groups (group_id);

CREATE TABLE subscriber_components (
    subscriber_id text NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    component_id  text NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, component_id)
);
CREATE INDEX subscriber_components_component_idx ON subscriber_components (component_id);

-- Per-client limit of the public subscribe form, shared by all replicas:
-- hits in the window that started at window_start.
CREATE TABLE subscribe_limits (
    key          text PRIMARY KEY,
    hits         integer NOT NULL,
    window_start timestamptz NOT NULL
);
CREATE INDEX subscribe_limits_window_idx ON subscribe_limits (window_start);

-- The console shows each subscriber's send history.
CREATE INDEX emails_subscriber_idx ON emails (subscriber_id, created_at);
