ALTER TABLE incidents ADD COLUMN postmortem_draft text NOT NULL DEFAULT '';
