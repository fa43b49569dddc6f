ALTER TABLE incidents DROP COLUMN continuity_plan_at;
ALTER TABLE incidents DROP COLUMN postmortem_decided_at;
ALTER TABLE incidents DROP COLUMN postmortem_decided_by;
ALTER TABLE incidents DROP COLUMN postmortem_decision;
ALTER TABLE incidents DROP COLUMN am_informed_by;
ALTER TABLE incidents DROP COLUMN am_informed_at;
