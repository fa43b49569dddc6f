ALTER TABLE maintenance_updates ADD COLUMN notify boolean NOT NULL DEFAULT true;
