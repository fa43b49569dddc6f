-- Entries from before the up migration still have their sentence in body.
-- Entries written since have none: they get the text they carry (a note,
-- an alert, a customer's message) or else their message key, so the
-- previous release shows something.
UPDATE timeline_entries SET body = COALESCE(NULLIF(params::jsonb ->> 'text', ''), message) WHERE body = '';
ALTER TABLE timeline_entries DROP COLUMN params;
ALTER TABLE timeline_entries DROP COLUMN message;
