ALTER TABLE incidents ADD COLUMN am_informed_at timestamptz;
ALTER TABLE incidents ADD COLUMN am_informed_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN postmortem_decision text NOT NULL DEFAULT '' CHECK (postmortem_decision IN ('', 'yes', 'no'));
ALTER TABLE incidents ADD COLUMN postmortem_decided_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN postmortem_decided_at timestamptz;
ALTER TABLE incidents ADD COLUMN continuity_plan_at timestamptz;
