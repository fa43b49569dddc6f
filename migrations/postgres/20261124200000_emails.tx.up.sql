-- One row per email to one recipient: what is sent, to whom, and how its
-- delivery went. The dedupe key makes queueing the same email twice a no-op.
CREATE TABLE emails (
    id              text PRIMARY KEY,
    dedupe_key      text NOT NULL UNIQUE,
    kind            text NOT NULL,
    page_id         text NOT NULL DEFAULT '',
    incident_id     text NOT NULL DEFAULT '',
    subscriber_id   text NOT NULL DEFAULT '',
    to_addr         text NOT NULL,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL DEFAULT '',
    message_id      text NOT NULL,
    in_reply_to     text NOT NULL DEFAULT '',
    reply_to        text NOT NULL DEFAULT '',
    unsubscribe_url text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'retrying', 'failed', 'outbox')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    sent_at         timestamptz
);
CREATE INDEX emails_incident_idx ON emails (incident_id, created_at);
CREATE INDEX emails_status_idx ON emails (status, updated_at);
CREATE INDEX emails_to_idx ON emails (to_addr, created_at);
