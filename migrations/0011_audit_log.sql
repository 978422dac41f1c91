-- The audit log you can read (issue 12): a kind and an action from the shared crate's
-- vocabulary (nsm_core::audit), the project an entry belongs to, before → after (secrets
-- masked by the writer), a deployment's trigger, and aggregation (`bucket` names the
-- token-hour or project-minute an entry stands for, `count` how many events it holds).
ALTER TABLE audit_log ADD COLUMN kind TEXT NOT NULL DEFAULT 'other';
ALTER TABLE audit_log ADD COLUMN project_id TEXT;
ALTER TABLE audit_log ADD COLUMN before_text TEXT;
ALTER TABLE audit_log ADD COLUMN after_text TEXT;
ALTER TABLE audit_log ADD COLUMN deploy_trigger TEXT;
ALTER TABLE audit_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN bucket TEXT;

-- Older entries keep reading: their project comes from the target they named
-- (`shop`, `shop/NAME`, `shop/path`)…
UPDATE audit_log
SET project_id = CASE WHEN instr(target, '/') > 0 THEN substr(target, 1, instr(target, '/') - 1) ELSE target END
WHERE action LIKE 'project.%' OR action LIKE 'variable.%' OR action LIKE 'domain.%' OR action LIKE 'resource.%'
   OR action LIKE 'service.%' OR action LIKE 'certificate.%';
UPDATE audit_log SET deploy_trigger = 'ui' WHERE action = 'project.deploy';

-- …and their dotted action becomes a kind and an action.
WITH words(old, kind, action) AS (VALUES
    ('user.setup', 'user', 'created'),
    ('user.create', 'user', 'created'),
    ('user.sign_in', 'sign_in', 'succeeded'),
    ('user.sign_in_failed', 'sign_in_failed', 'failed'),
    ('user.sign_in_refused', 'sign_in_failed', 'refused'),
    ('user.role', 'role', 'changed'),
    ('user.disable', 'user', 'disabled'),
    ('user.enable', 'user', 'enabled'),
    ('user.password_reset', 'user', 'password_reset'),
    ('user.password_change', 'user', 'password_changed'),
    ('user.sign_out_everywhere', 'user', 'signed_out'),
    ('token.create', 'token', 'created'),
    ('token.revoke', 'token', 'revoked'),
    ('variable.save', 'variable', 'changed'),
    ('variable.delete', 'variable', 'deleted'),
    ('variable.reveal', 'variable', 'revealed'),
    ('worker.add', 'worker', 'created'),
    ('worker.remove', 'worker', 'deleted'),
    ('worker.rotate_token', 'worker', 'rotated'),
    ('worker.set_address', 'worker', 'changed'),
    ('worker.set_front', 'worker', 'changed'),
    ('worker.set_policy', 'policy', 'changed'),
    ('project.create', 'project', 'created'),
    ('project.update', 'project', 'changed'),
    ('project.delete', 'project', 'deleted'),
    ('project.ci_cd', 'project', 'changed'),
    ('project.rotate_deploy_key', 'project', 'rotated'),
    ('project.rotate_webhook_secret', 'project', 'rotated'),
    ('project.sync', 'project', 'synced'),
    ('project.deploy', 'deployment', 'requested'),
    ('project.teardown', 'deployment', 'torn_down'),
    ('deployment.cancel', 'deployment', 'cancelled'),
    ('service.update', 'service', 'changed'),
    ('setting.update', 'settings', 'changed'),
    ('domain.add', 'domain', 'created'),
    ('domain.remove', 'domain', 'deleted'),
    ('resource.add', 'resource', 'created'),
    ('resource.update', 'resource', 'changed'),
    ('resource.remove', 'resource', 'deleted'),
    ('certificate.request', 'certificate', 'requested')
)
UPDATE audit_log SET kind = words.kind, action = words.action FROM words WHERE audit_log.action = words.old;

-- Anything else stays readable as kind `other`, its old action kept in the detail.
UPDATE audit_log
SET detail = action || CASE WHEN detail IS NULL THEN '' ELSE ': ' || detail END, action = 'other'
WHERE kind = 'other';

-- Newest first, filtered by what the page offers; purged by time.
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_kind ON audit_log(kind, id);
CREATE INDEX audit_log_project ON audit_log(project_id, id);
CREATE INDEX audit_log_user ON audit_log(user_id, id);
-- NULL for single events (SQLite keeps NULLs distinct in a unique index).
CREATE UNIQUE INDEX audit_log_bucket ON audit_log(bucket);
