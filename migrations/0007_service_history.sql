-- Live state (issue 11): what each worker reports of its projects' containers, the
-- verdict per service with its reasons, the baseline drift is measured against, and
-- the history the Dashboard's heatmap and the Services tab's timelines are drawn from.

-- Every container with a managed project's labels, as its worker last described it
-- (a JSON `ContainerObservation`). Replaced wholesale by the snapshot a worker sends
-- on each (re)connect; emptied for a worker that goes offline.
CREATE TABLE service_containers (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    service     TEXT NOT NULL,
    container   TEXT NOT NULL,
    observation TEXT NOT NULL,
    PRIMARY KEY (project_id, service, container)
);

-- The worker's report covers the service (0: offline, or not reported since connecting).
ALTER TABLE project_services ADD COLUMN reported INTEGER NOT NULL DEFAULT 0;
-- What the last deployment that ran left (a JSON `Deployed`).
ALTER TABLE project_services ADD COLUMN deployed TEXT;
-- The verdict and the whole assessment (JSON `Assessment`), kept current on every
-- change so lists read them without recomputing.
ALTER TABLE project_services ADD COLUMN verdict TEXT NOT NULL DEFAULT 'unchecked';
ALTER TABLE project_services ADD COLUMN assessment TEXT;
-- The assessment replaces them.
ALTER TABLE project_services DROP COLUMN actual;
ALTER TABLE project_services DROP COLUMN actual_at;

-- Every change of a service's verdict or state (Unix milliseconds).
CREATE TABLE service_history (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE ON UPDATE CASCADE,
    service    TEXT NOT NULL,
    at         INTEGER NOT NULL,
    verdict    TEXT NOT NULL,
    actual     TEXT
);
CREATE INDEX service_history_at ON service_history(project_id, service, at);
CREATE INDEX service_history_time ON service_history(at);

-- Every time a worker's link came up or went down (Unix milliseconds).
CREATE TABLE worker_history (
    id        INTEGER PRIMARY KEY,
    worker_id TEXT NOT NULL REFERENCES workers(id) ON DELETE CASCADE ON UPDATE CASCADE,
    at        INTEGER NOT NULL,
    online    INTEGER NOT NULL
);
CREATE INDEX worker_history_at ON worker_history(at);

-- One row per minute the control plane ran (Unix minute): its uptime.
CREATE TABLE plane_heartbeats (
    minute INTEGER PRIMARY KEY
);
