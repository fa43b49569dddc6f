-- The chat channel of a major or business-continuity incident, given once
-- when it becomes one: "#incident-2026-12-07", then "#incident-2026-12-07-2"
-- for the next one started that day. Empty for the others (#operations)
-- and for incidents from before (their name is worked out as before).
ALTER TABLE incidents ADD COLUMN channel text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX incidents_channel ON incidents (channel) WHERE channel <> '';
