//! What each deployment ran with (migration 0013): its variables exactly as
//! `project_variables` stores them (plain values sealed, references as JSON), and a
//! JSON record of the rest (topology, expected states, saved shape) with its nginx file.

use nsm_core::{DeploymentId, DeploymentState};
use sqlx::FromRow;

use super::{now, Db};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ConfigRow {
    pub deployment_id: DeploymentId,
    pub redeploy_of: Option<DeploymentId>,
    pub pinned_commit: Option<String>,
    pub config: Option<String>,
    pub nginx: Option<String>,
}

/// A recorded variable, as `project_variables` holds it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RecordedVariable {
    pub name: String,
    pub kind: String,
    pub value_enc: Option<Vec<u8>>,
    pub reference: Option<String>,
}

pub async fn get(db: &Db, id: DeploymentId) -> sqlx::Result<Option<ConfigRow>> {
    sqlx::query_as(
        "SELECT deployment_id, redeploy_of, pinned_commit, config, nginx FROM deployment_configs WHERE deployment_id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Marks `id` as a redeploy of `of` at `commit`: its variables are copied from `of`'s
/// now, and `config` (the expected states and shape it runs with) is recorded.
pub async fn start_redeploy(
    db: &Db,
    id: DeploymentId,
    of: DeploymentId,
    commit: &str,
    config: &str,
) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO deployment_configs (deployment_id, redeploy_of, pinned_commit, config, recorded_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(of)
    .bind(commit)
    .bind(config)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO deployment_variables (deployment_id, name, position, kind, value_enc, reference)
         SELECT ?, name, position, kind, value_enc, reference FROM deployment_variables WHERE deployment_id = ?",
    )
    .bind(id)
    .bind(of)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Records the project's variables as they are now as `id`'s (once: a deployment
/// that already has its variables keeps them).
pub async fn record_project_variables(db: &Db, id: DeploymentId, project: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO deployment_variables (deployment_id, name, position, kind, value_enc, reference)
         SELECT ?, name, position, kind, value_enc, reference FROM project_variables
         WHERE project_id = ? AND NOT EXISTS (SELECT 1 FROM deployment_variables WHERE deployment_id = ?)",
    )
    .bind(id)
    .bind(project)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn variables(db: &Db, id: DeploymentId) -> sqlx::Result<Vec<RecordedVariable>> {
    sqlx::query_as(
        "SELECT name, kind, value_enc, reference FROM deployment_variables WHERE deployment_id = ?
         ORDER BY position, name",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// Records (or replaces) the JSON record of what `id` runs with.
pub async fn record_config(db: &Db, id: DeploymentId, config: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO deployment_configs (deployment_id, config, recorded_at) VALUES (?, ?, ?)
         ON CONFLICT (deployment_id) DO UPDATE SET config = excluded.config, recorded_at = excluded.recorded_at",
    )
    .bind(id)
    .bind(config)
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn record_nginx(db: &Db, id: DeploymentId, nginx: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("UPDATE deployment_configs SET nginx = ? WHERE deployment_id = ?")
        .bind(nginx)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The project's latest succeeded deployment with a recorded configuration.
pub async fn last_succeeded(db: &Db, project: &str) -> sqlx::Result<Option<DeploymentId>> {
    sqlx::query_scalar(
        "SELECT d.id FROM deployments d JOIN deployment_configs c ON c.deployment_id = d.id
         WHERE d.project_id = ? AND d.state = ? AND c.config IS NOT NULL ORDER BY d.id DESC LIMIT 1",
    )
    .bind(project)
    .bind(DeploymentState::Succeeded)
    .fetch_optional(db)
    .await
}

/// Which deployments of `project` (among `ids`) are redeploys, and of what.
pub async fn redeploys_of(db: &Db, project: &str) -> sqlx::Result<Vec<(DeploymentId, DeploymentId)>> {
    sqlx::query_as(
        "SELECT c.deployment_id, c.redeploy_of FROM deployment_configs c JOIN deployments d ON d.id = c.deployment_id
         WHERE d.project_id = ? AND c.redeploy_of IS NOT NULL",
    )
    .bind(project)
    .fetch_all(db)
    .await
}

/// The branch head a deployment of `project` last checked out (a redeploy's commit is
/// pinned, not the head), with when it ended: (commit, finished_at).
pub async fn last_head(db: &Db, project: &str) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT d.commit_sha, COALESCE(d.finished_at, d.created_at) FROM deployments d
         LEFT JOIN deployment_configs c ON c.deployment_id = d.id
         WHERE d.project_id = ? AND d.commit_sha IS NOT NULL AND c.redeploy_of IS NULL
         ORDER BY d.id DESC LIMIT 1",
    )
    .bind(project)
    .fetch_optional(db)
    .await
}
