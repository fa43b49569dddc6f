ALTER TABLE incidents DROP COLUMN auto_holding;
