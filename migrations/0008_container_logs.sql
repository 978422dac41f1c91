-- Container logs (issue 11): the lines followed services print, tagged with the
-- project's latest deployment when they arrived, kept under a per-service byte cap.

CREATE TABLE container_logs (
    id            INTEGER PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    service       TEXT NOT NULL,
    deployment_id INTEGER REFERENCES deployments(id) ON DELETE SET NULL,
    container     TEXT NOT NULL,
    at_ms         INTEGER NOT NULL,
    stream        TEXT NOT NULL,
    text          TEXT NOT NULL,
    bytes         INTEGER NOT NULL
);
CREATE INDEX container_logs_by_service ON container_logs (project_id, service, id);

-- The running total of `bytes` per service, so the cap is checked without summing.
CREATE TABLE container_log_totals (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    service    TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    PRIMARY KEY (project_id, service)
);
