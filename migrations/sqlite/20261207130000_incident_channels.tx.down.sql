DROP INDEX incidents_channel;
ALTER TABLE incidents DROP COLUMN channel;
