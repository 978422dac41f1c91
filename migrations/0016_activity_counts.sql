-- Refused CI/CD calls are counted, not listed (issue 13 item 4): one activity row per
-- project, source and minute (`bucket`) holds how many calls were refused (`count`)
-- and their distinct reasons. Accepted and skipped calls keep a row each (bucket NULL).
ALTER TABLE project_activity ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE project_activity ADD COLUMN bucket TEXT;
CREATE UNIQUE INDEX project_activity_bucket ON project_activity(bucket);
-- The hourly retention purge deletes by age.
CREATE INDEX project_activity_at ON project_activity(at);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries(created_at);
