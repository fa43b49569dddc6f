-- A contact's phone number, with its last eight digits (all of them when
-- it has fewer) kept apart so that a caller's number finds the contact
-- however either was written ("+49 30 1234-567", "0049301234567"); and
-- the channel the contact prefers (email by default).
ALTER TABLE customer_contacts ADD COLUMN phone text NOT NULL DEFAULT '';
ALTER TABLE customer_contacts ADD COLUMN phone_key text NOT NULL DEFAULT '';
ALTER TABLE customer_contacts ADD COLUMN preferred_channel text NOT NULL DEFAULT 'email'
    CHECK (preferred_channel IN ('email', 'phone', 'chat', 'video', 'ticket'));
CREATE INDEX customer_contacts_phone_key_idx ON customer_contacts (phone_key) WHERE phone_key <> '';

-- A customer's on-call wiki page, shown beside its on-call notes.
ALTER TABLE customers ADD COLUMN oncall_url text NOT NULL DEFAULT '';

-- An intake item's customer chosen by hand (a phone call recorded in the
-- console), and the service desk address a dismissal forwarded it to
-- ('' when nothing was forwarded), which an undo tells.
ALTER TABLE intake_items ADD COLUMN customer_chosen boolean NOT NULL DEFAULT false;
ALTER TABLE intake_items ADD COLUMN forwarded_to text NOT NULL DEFAULT '';
-- Items dismissed before: where their forward went, from the forward itself.
UPDATE intake_items SET forwarded_to = (SELECT e.to_addr FROM emails AS e WHERE e.dedupe_key = 'forward:' || intake_items.id)
WHERE state = 'dismissed' AND EXISTS (SELECT 1 FROM emails AS e WHERE e.dedupe_key = 'forward:' || intake_items.id);
