-- Every update keeps the audience it was posted for: an update posted while
-- the incident was customers-only stays customers-only when the incident is
-- made public later.
ALTER TABLE incident_updates ADD COLUMN visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'customers', 'internal'));
UPDATE incident_updates SET visibility = (SELECT i.visibility FROM incidents AS i WHERE i.id = incident_updates.incident_id);

-- The title the public sees, when it differs from the team's title.
ALTER TABLE incidents ADD COLUMN public_title text NOT NULL DEFAULT '';
-- When something the public sees of the incident last changed.
ALTER TABLE incidents ADD COLUMN public_updated_at timestamp;
UPDATE incidents SET public_updated_at = updated_at WHERE visibility = 'public';

-- Two post-mortems: the internal one (from the record and the timeline,
-- never published) and the public one (draft and published text).
ALTER TABLE incidents ADD COLUMN postmortem_internal text NOT NULL DEFAULT '';
UPDATE incidents SET postmortem_internal = postmortem_draft, postmortem_draft = postmortem;

-- How the services were confirmed back, and from which timeline entry.
ALTER TABLE incidents ADD COLUMN confirmation_method text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN confirmation_ref text NOT NULL DEFAULT '';

-- The channel a customer's timeline entry came by (email, phone, portal),
-- so a phone call is labelled as a call.
ALTER TABLE timeline_entries ADD COLUMN channel text NOT NULL DEFAULT '';
UPDATE timeline_entries SET channel = 'email' WHERE kind = 'customer' AND body LIKE 'Email from %';
UPDATE timeline_entries SET channel = 'phone' WHERE kind = 'customer' AND body LIKE 'Phone call from %';
UPDATE timeline_entries SET channel = 'portal' WHERE kind = 'customer' AND body LIKE 'Portal ticket from %';
