ALTER TABLE incidents ADD COLUMN confirmed_by text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN confirmation_source text NOT NULL DEFAULT '' CHECK (confirmation_source IN ('', 'customer', 'internal'));
ALTER TABLE incidents ADD COLUMN confirmed_at timestamptz;
ALTER TABLE incidents ADD COLUMN cause text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN solution text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN remaining text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN follow_ups text NOT NULL DEFAULT '';
