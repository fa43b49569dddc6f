-- The support mailbox: where reading stopped, and how the connection is.
-- last_uid is the highest UID processed under uid_validity; 0 is a valid
-- UIDVALIDITY, so "none stored" is the absence of the row.
CREATE TABLE mailboxes (
    name            text PRIMARY KEY,
    uid_validity    bigint NOT NULL,
    last_uid        bigint NOT NULL DEFAULT 0,
    connected       boolean NOT NULL DEFAULT false,
    idle            boolean NOT NULL DEFAULT false,
    processed       bigint NOT NULL DEFAULT 0,
    last_message_at timestamptz,
    last_error      text NOT NULL DEFAULT '',
    last_error_at   timestamptz,
    updated_at      timestamptz NOT NULL
);

-- Every message read from the mailbox, stored before Herald acts on it.
-- dedupe_key is "mid:" and the Message-ID, or "sha256:" and the content hash
-- when there is none, so a message read twice is stored once.
CREATE TABLE inbound_messages (
    id           text PRIMARY KEY,
    dedupe_key   text NOT NULL UNIQUE,
    mailbox      text NOT NULL DEFAULT '',
    uid_validity bigint NOT NULL DEFAULT 0,
    uid          bigint NOT NULL DEFAULT 0,
    message_id   text NOT NULL DEFAULT '',
    content_hash text NOT NULL,
    size         bigint NOT NULL,
    too_large    boolean NOT NULL DEFAULT false,
    from_addr    text NOT NULL DEFAULT '',
    from_name    text NOT NULL DEFAULT '',
    subject      text NOT NULL DEFAULT '',
    sent_at      timestamptz,
    received_at  timestamptz NOT NULL,
    status       text NOT NULL CHECK (status IN ('new', 'intake', 'timeline', 'report', 'failed')),
    automatic    text NOT NULL DEFAULT '',
    problems     text NOT NULL DEFAULT '',
    incident_id  text NOT NULL DEFAULT '',
    intake_id    text NOT NULL DEFAULT ''
);
CREATE INDEX inbound_messages_received_idx ON inbound_messages (received_at);
CREATE INDEX inbound_messages_incident_idx ON inbound_messages (incident_id, received_at);

-- The raw bytes of a message in chunks of at most 1 MiB, so that neither
-- storing nor reading one holds it whole in memory.
CREATE TABLE inbound_message_chunks (
    message_id text NOT NULL REFERENCES inbound_messages (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    data       bytea NOT NULL,
    PRIMARY KEY (message_id, seq)
);

-- The triage inbox: what came in and is not (yet) part of an incident.
-- Emails, phone calls and portal tickets now; monitoring alerts later.
CREATE TABLE intake_items (
    id                text PRIMARY KEY,
    source            text NOT NULL CHECK (source IN ('email', 'phone', 'portal', 'alert')),
    state             text NOT NULL CHECK (state IN ('open', 'attached', 'declared', 'dismissed')),
    title             text NOT NULL,
    body              text NOT NULL DEFAULT '',
    sender_name       text NOT NULL DEFAULT '',
    sender_email      text NOT NULL DEFAULT '',
    sender_phone      text NOT NULL DEFAULT '',
    customer_id       text NOT NULL DEFAULT '',
    customer_match    text NOT NULL DEFAULT 'unknown' CHECK (customer_match IN ('contact', 'domain', 'unknown')),
    unverified_thread boolean NOT NULL DEFAULT false,
    reference         text NOT NULL DEFAULT '',
    inbound_id        text NOT NULL DEFAULT '',
    page_id           text NOT NULL DEFAULT '',
    incident_id       text NOT NULL DEFAULT '',
    recorded_by       text NOT NULL DEFAULT '',
    decided_by        text NOT NULL DEFAULT '',
    decided_at        timestamptz,
    note              text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX intake_items_state_idx ON intake_items (state, created_at);
CREATE UNIQUE INDEX intake_items_reference_idx ON intake_items (source, reference) WHERE reference <> '';

-- A timeline entry may point at what it records, e.g. a customer's email.
ALTER TABLE timeline_entries ADD COLUMN ref text NOT NULL DEFAULT '';

-- Replies and delivery reports name the Message-ID of the email they answer.
CREATE INDEX emails_message_id_idx ON emails (message_id);

-- An email may carry a stored inbound message as its attachment (a
-- dismissed intake item forwarded to the service desk).
ALTER TABLE emails ADD COLUMN attachment_ref text NOT NULL DEFAULT '';
