ALTER TABLE incidents DROP COLUMN follow_ups;
ALTER TABLE incidents DROP COLUMN remaining;
ALTER TABLE incidents DROP COLUMN solution;
ALTER TABLE incidents DROP COLUMN cause;
ALTER TABLE incidents DROP COLUMN confirmed_at;
ALTER TABLE incidents DROP COLUMN confirmation_source;
ALTER TABLE incidents DROP COLUMN confirmed_by;
