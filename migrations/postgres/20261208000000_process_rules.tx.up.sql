-- The rules of the incident process Herald knows about (DESIGN.md §1).
-- Security: an information-security incident or a vulnerability, and when
-- (and by whom) it was reported to the information-security officer.
ALTER TABLE incidents ADD COLUMN security text NOT NULL DEFAULT '' CHECK (security IN ('', 'incident', 'vulnerability'));
ALTER TABLE incidents ADD COLUMN security_reported_at timestamptz;
ALTER TABLE incidents ADD COLUMN security_reported_by text NOT NULL DEFAULT '';
-- Declared outside the page's office hours: the on-call guide applies.
ALTER TABLE incidents ADD COLUMN out_of_hours boolean NOT NULL DEFAULT false;
-- The video room for this incident when it is not the page's.
ALTER TABLE incidents ADD COLUMN video_room text NOT NULL DEFAULT '';
-- Contact channels agreed with the affected customers (comma-separated)
-- and the next time they are to be contacted.
ALTER TABLE incidents ADD COLUMN contact_channels text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN next_contact_at timestamptz;
-- Why a business-continuity incident did not need the plan.
ALTER TABLE incidents ADD COLUMN continuity_not_needed text NOT NULL DEFAULT '';
-- Who recorded an Account Management decision when it was not the person
-- from Account Management who took it (am_informed_by and
-- postmortem_decided_by name that person).
ALTER TABLE incidents ADD COLUMN am_informed_recorded_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN postmortem_recorded_by text NOT NULL DEFAULT '';

-- Office hours of the team running a page (empty days: none kept), the
-- on-call guide, the standing video room and the vulnerability process.
ALTER TABLE pages ADD COLUMN office_days text NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN office_opens text NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN office_closes text NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN office_holidays text NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN oncall_guide_url text NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN video_room_url text NOT NULL DEFAULT '';
ALTER TABLE pages ADD COLUMN vulnerability_url text NOT NULL DEFAULT '';

-- Members of Account Management take the post-mortem decision.
ALTER TABLE users ADD COLUMN account_management boolean NOT NULL DEFAULT false;
