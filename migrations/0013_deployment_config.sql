-- What each deployment ran with (issue 14): the plan compares the next deployment
-- with the last successful one's, and a redeploy runs one again. Recorded when the
-- deployment is dispatched (a redeploy: copied from the deployment it redeploys when
-- it is queued).
CREATE TABLE deployment_configs (
    deployment_id INTEGER PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
    -- The deployment whose configuration and commit this one deploys again.
    redeploy_of   INTEGER REFERENCES deployments(id) ON DELETE SET NULL,
    -- The commit it must check out (a redeploy); NULL: the branch's head.
    pinned_commit TEXT,
    -- JSON: the topology (domains and resources), services' expected states and the
    -- saved shape (nsm-server's deploy::snapshot::Recorded). No secret in it.
    config        TEXT,
    -- The project's nginx file as rendered for this deployment (NULL: none yet, or
    -- nothing published).
    nginx         TEXT,
    recorded_at   TEXT
);

-- The variables, exactly as project_variables stores them: plain values sealed with
-- the secrets key, references as JSON.
CREATE TABLE deployment_variables (
    deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    position      INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    value_enc     BLOB,
    reference     TEXT,
    PRIMARY KEY (deployment_id, name)
);
