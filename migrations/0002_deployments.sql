-- What the last sync with the repository found (the saved shape deployments are
-- compared with), and settings of the control plane.
ALTER TABLE projects ADD COLUMN compose_file TEXT;
ALTER TABLE projects ADD COLUMN synced_commit TEXT;
ALTER TABLE projects ADD COLUMN synced_at TEXT;
-- Encrypted HTTPS token for a private repository.
ALTER TABLE projects ADD COLUMN repo_token_enc BLOB;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE project_services (
    project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    name         TEXT NOT NULL,
    expected     TEXT NOT NULL DEFAULT 'unknown',
    collect_logs INTEGER NOT NULL DEFAULT 0,
    -- Last state reported by the worker's Docker event stream.
    actual       TEXT,
    actual_at    TEXT,
    -- Set when a sync no longer finds the service.
    missing      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE domains (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    hostname   TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE resources (
    id        INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    path      TEXT NOT NULL,
    -- The validated resource configuration, as JSON (nsm_core's ResourceConfig).
    config    TEXT NOT NULL,
    UNIQUE (domain_id, path)
);

CREATE TABLE project_variables (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    -- 'plain' values are encrypted (value_enc); references are JSON (reference).
    kind       TEXT NOT NULL,
    value_enc  BLOB,
    reference  TEXT,
    -- Set when a sync no longer finds the name in the repository.
    unused     INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);

-- A port leased to an API resource on its project's worker, kept across deploys.
CREATE TABLE port_leases (
    resource_id INTEGER PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
    worker_id   TEXT NOT NULL REFERENCES workers(id) ON UPDATE CASCADE,
    port        INTEGER NOT NULL,
    UNIQUE (worker_id, port)
);

CREATE TABLE deployments (
    id           INTEGER PRIMARY KEY,
    project_id   TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    worker_id    TEXT NOT NULL,
    state        TEXT NOT NULL,
    trigger      TEXT NOT NULL,
    triggered_by TEXT,
    commit_sha   TEXT,
    reason       TEXT,
    env_masked   TEXT,
    compose_override TEXT,
    services     TEXT,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX deployments_project ON deployments(project_id, id DESC);
CREATE INDEX deployments_state ON deployments(state);

CREATE TABLE deployment_logs (
    deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    at            TEXT NOT NULL,
    stream        TEXT NOT NULL,
    text          TEXT NOT NULL,
    PRIMARY KEY (deployment_id, seq)
);
