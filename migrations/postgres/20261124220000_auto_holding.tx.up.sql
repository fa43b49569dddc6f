ALTER TABLE incidents ADD COLUMN auto_holding boolean NOT NULL DEFAULT false;
