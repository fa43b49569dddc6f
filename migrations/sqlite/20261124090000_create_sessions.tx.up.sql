CREATE TABLE sessions (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf         text NOT NULL,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    created_at   timestamp NOT NULL,
    last_seen_at timestamp NOT NULL,
    expires_at   timestamp NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE login_failures (
    key          text PRIMARY KEY,
    failures     integer NOT NULL,
    first_at     timestamp NOT NULL,
    locked_until timestamp
);
