ALTER TABLE maintenance_updates DROP COLUMN notify;
