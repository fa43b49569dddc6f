ALTER TABLE users ADD COLUMN disabled_at timestamptz;
ALTER TABLE users ADD COLUMN last_login_at timestamptz;

-- Existing tokens keep working as they did: with every right.
ALTER TABLE api_tokens ADD COLUMN role text NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'manager', 'engineer', 'viewer'));
ALTER TABLE api_tokens ADD COLUMN revoked_at timestamptz;
