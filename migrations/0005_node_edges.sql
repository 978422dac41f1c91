-- The edge moved onto the nodes (every worker publishes its own projects).
-- What each node said of its edge in its last hello (JSON of the protocol's
-- EdgeFacts), so its projects render even while it is offline; and the address a
-- user points DNS at (an admin's setting on the Workers page).
ALTER TABLE workers ADD COLUMN edge TEXT;
ALTER TABLE workers ADD COLUMN public_address TEXT;

-- Which projects a node serves now, and since when: set by a deployment that
-- published, cleared by unpublishing (no domains, teardown, deletion).
CREATE TABLE published_sites (
    project_id   TEXT PRIMARY KEY,
    worker_id    TEXT NOT NULL,
    published_at TEXT NOT NULL
);
