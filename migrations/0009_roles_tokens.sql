-- Roles instead of one admin flag; disabled users; sessions that expire when idle;
-- API tokens per user.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer'
    CHECK (role IN ('admin', 'deployer', 'viewer'));
UPDATE users SET role = CASE WHEN is_admin = 1 THEN 'admin' ELSE 'viewer' END;
ALTER TABLE users DROP COLUMN is_admin;
ALTER TABLE users ADD COLUMN disabled_at TEXT;
-- Set by an administrator's reset: the next sign-in must choose a new password.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
ALTER TABLE sessions ADD COLUMN client TEXT;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    -- SHA-256 of the secret part; the token itself is shown once.
    secret_hash  TEXT NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('read', 'deploy', 'write')),
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
