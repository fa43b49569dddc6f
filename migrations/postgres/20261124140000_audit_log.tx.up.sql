CREATE TABLE audit_log (
    id           text PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'token', 'system')),
    actor_id     text NOT NULL DEFAULT '',
    actor_name   text NOT NULL DEFAULT '',
    action       text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text NOT NULL DEFAULT '',
    page_id      text NOT NULL DEFAULT '',
    before_json  text NOT NULL DEFAULT '',
    after_json   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, at DESC);
