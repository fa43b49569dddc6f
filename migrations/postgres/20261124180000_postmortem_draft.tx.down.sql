ALTER TABLE incidents DROP COLUMN postmortem_draft;
