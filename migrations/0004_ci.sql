-- CI/CD: a bearer deploy key (hashed: it is shown once) and a GitHub webhook secret
-- (sealed: HMAC verification needs the secret itself).
ALTER TABLE projects ADD COLUMN deploy_key_hash TEXT;
ALTER TABLE projects ADD COLUMN webhook_secret_enc BLOB;

-- GitHub retries deliveries; a repeated delivery id gets the first answer again.
CREATE TABLE webhook_deliveries (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    delivery_id TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (project_id, delivery_id)
);

-- Every webhook call, accepted or refused, and why.
CREATE TABLE project_activity (
    id          INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL,
    at          TEXT NOT NULL,
    source      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    deployment_id INTEGER
);
CREATE INDEX project_activity_project ON project_activity(project_id, id DESC);
