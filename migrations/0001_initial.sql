-- Accounts and server-side sessions.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a leaked database does not leak live sessions.
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions(expires_at);

CREATE TABLE workers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    token_hash TEXT,
    version    TEXT,
    last_seen  TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE projects (
    id           TEXT PRIMARY KEY,
    repo_owner   TEXT,
    repo_name    TEXT,
    repo_url     TEXT,
    branch       TEXT NOT NULL,
    worker_id    TEXT NOT NULL REFERENCES workers(id) ON UPDATE CASCADE,
    timeout_secs INTEGER NOT NULL,
    allow_ci_cd  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK ((repo_url IS NULL) = (repo_owner IS NOT NULL AND repo_name IS NOT NULL))
);

-- Who changed or deployed what.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    user_id  INTEGER REFERENCES users(id) ON DELETE SET NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT
);
