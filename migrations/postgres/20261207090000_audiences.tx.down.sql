ALTER TABLE timeline_entries DROP COLUMN channel;
UPDATE incidents SET postmortem_draft = postmortem_internal WHERE postmortem_internal <> '';
ALTER TABLE incidents DROP COLUMN confirmation_ref;
ALTER TABLE incidents DROP COLUMN confirmation_method;
ALTER TABLE incidents DROP COLUMN postmortem_internal;
ALTER TABLE incidents DROP COLUMN public_updated_at;
ALTER TABLE incidents DROP COLUMN public_title;
ALTER TABLE incident_updates DROP COLUMN visibility;
