//! Deployments and their append-only logs.

use nsm_core::protocol::{LogLine, LogStream};
use nsm_core::{DeploymentId, DeploymentState, Trigger};
use sqlx::FromRow;

use super::{now, Db};

#[derive(Debug, Clone, FromRow)]
pub struct DeploymentRow {
    pub id: DeploymentId,
    pub project_id: String,
    pub worker_id: String,
    pub state: DeploymentState,
    pub trigger: Trigger,
    pub triggered_by: Option<String>,
    pub commit_sha: Option<String>,
    pub reason: Option<String>,
    pub env_masked: Option<String>,
    pub compose_override: Option<String>,
    pub services: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

const COLUMNS: &str = "id, project_id, worker_id, state, trigger, triggered_by, commit_sha, reason, env_masked, \
                       compose_override, services, created_at, started_at, finished_at";

pub async fn insert(
    db: &Db,
    project: &str,
    worker: &str,
    trigger: Trigger,
    by: Option<&str>,
) -> sqlx::Result<DeploymentId> {
    let result = sqlx::query(
        "INSERT INTO deployments (project_id, worker_id, state, trigger, triggered_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(project)
    .bind(worker)
    .bind(DeploymentState::Queued)
    .bind(trigger)
    .bind(by)
    .bind(now())
    .execute(db)
    .await?;
    Ok(DeploymentId(result.last_insert_rowid()))
}

pub async fn get(db: &Db, id: DeploymentId) -> sqlx::Result<Option<DeploymentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM deployments WHERE id = ?")).bind(id).fetch_optional(db).await
}

/// Whose a deployment is and where it stands: what a worker's report about it is checked against.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Assignment {
    pub project_id: String,
    pub worker_id: String,
    pub state: DeploymentState,
}

pub async fn assignment(db: &Db, id: DeploymentId) -> sqlx::Result<Option<Assignment>> {
    sqlx::query_as("SELECT project_id, worker_id, state FROM deployments WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn list_for_project(db: &Db, project: &str, limit: i64) -> sqlx::Result<Vec<DeploymentRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM deployments WHERE project_id = ? ORDER BY id DESC LIMIT ?"))
        .bind(project)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Moves a non-terminal deployment to a non-terminal state; false if it already ended.
/// Each project's latest deployment state.
pub async fn latest_states(db: &Db) -> sqlx::Result<Vec<(String, DeploymentState)>> {
    sqlx::query_as(
        "SELECT project_id, state FROM deployments \
         WHERE id IN (SELECT MAX(id) FROM deployments GROUP BY project_id)",
    )
    .fetch_all(db)
    .await
}

pub async fn advance(db: &Db, id: DeploymentId, state: DeploymentState) -> sqlx::Result<bool> {
    let result = sqlx::query(&format!(
        "UPDATE deployments SET state = ?, started_at = COALESCE(started_at, ?)
         WHERE id = ? AND state NOT IN {}",
        DeploymentState::terminal_sql_list()
    ))
    .bind(state)
    .bind(now())
    .bind(id)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// What a terminal state records.
#[derive(Debug, Default)]
pub struct Ending<'a> {
    pub reason: Option<&'a str>,
    pub commit: Option<&'a str>,
    pub env_masked: Option<&'a str>,
    pub compose_override: Option<&'a str>,
    pub services: Option<&'a str>,
}

/// Ends a deployment once; false if it had already ended (first ending wins).
pub async fn finish(db: &Db, id: DeploymentId, state: DeploymentState, ending: Ending<'_>) -> sqlx::Result<bool> {
    let result = sqlx::query(&format!(
        "UPDATE deployments SET state = ?, reason = ?, commit_sha = COALESCE(?, commit_sha),
           env_masked = COALESCE(?, env_masked), compose_override = COALESCE(?, compose_override),
           services = COALESCE(?, services), finished_at = ?
         WHERE id = ? AND state NOT IN {}",
        DeploymentState::terminal_sql_list()
    ))
    .bind(state)
    .bind(ending.reason)
    .bind(ending.commit)
    .bind(ending.env_masked)
    .bind(ending.compose_override)
    .bind(ending.services)
    .bind(now())
    .bind(id)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// After a restart nothing is running any more: end what was in flight.
pub async fn interrupt_unfinished(db: &Db) -> sqlx::Result<u64> {
    let result = sqlx::query(&format!(
        "UPDATE deployments SET state = ?, reason = 'interrupted: the server restarted while it ran', finished_at = ?
         WHERE state NOT IN {}",
        DeploymentState::terminal_sql_list()
    ))
    .bind(DeploymentState::Failed)
    .bind(now())
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

/// Deployments a worker was given (so not queued) that have not ended.
pub async fn unfinished_on_worker(db: &Db, worker: &str) -> sqlx::Result<Vec<DeploymentId>> {
    sqlx::query_scalar(&format!(
        "SELECT id FROM deployments WHERE worker_id = ? AND state <> ? AND state NOT IN {}",
        DeploymentState::terminal_sql_list()
    ))
    .bind(worker)
    .bind(DeploymentState::Queued)
    .fetch_all(db)
    .await
}

pub async fn append_log(db: &Db, id: DeploymentId, seq: i64, line: &LogLine) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO deployment_logs (deployment_id, seq, at, stream, text) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(seq)
        .bind(&line.at)
        .bind(line.stream)
        .bind(&line.text)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn next_log_seq(db: &Db, id: DeploymentId) -> sqlx::Result<i64> {
    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM deployment_logs WHERE deployment_id = ?")
        .bind(id)
        .fetch_one(db)
        .await?;
    Ok(max.map_or(0, |m| m + 1))
}

/// Log lines with `seq >= from`, in order.
pub async fn log_since(db: &Db, id: DeploymentId, from: i64) -> sqlx::Result<Vec<(i64, LogLine)>> {
    let rows: Vec<(i64, String, LogStream, String)> = sqlx::query_as(
        "SELECT seq, at, stream, text FROM deployment_logs WHERE deployment_id = ? AND seq >= ? ORDER BY seq",
    )
    .bind(id)
    .bind(from)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(seq, at, stream, text)| (seq, LogLine { at, stream, text })).collect())
}
