//! Deployments and their append-only logs.

use nsm_core::protocol::{LogLine, LogStream};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{now, Db};

/// `queued → preparing → starting → settling → succeeded | failed | timed_out | cancelled`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    Queued,
    Preparing,
    Starting,
    Settling,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

impl DeploymentState {
    pub const TERMINAL: [DeploymentState; 4] = [Self::Succeeded, Self::Failed, Self::TimedOut, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Preparing => "preparing",
            Self::Starting => "starting",
            Self::Settling => "settling",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Preparing,
            Self::Starting,
            Self::Settling,
            Self::Succeeded,
            Self::Failed,
            Self::TimedOut,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    pub fn is_terminal(self) -> bool {
        Self::TERMINAL.contains(&self)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeploymentRow {
    pub id: i64,
    pub project_id: String,
    pub worker_id: String,
    pub state: String,
    pub trigger: String,
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

fn from_row(r: &SqliteRow) -> DeploymentRow {
    DeploymentRow {
        id: r.get(0),
        project_id: r.get(1),
        worker_id: r.get(2),
        state: r.get(3),
        trigger: r.get(4),
        triggered_by: r.get(5),
        commit_sha: r.get(6),
        reason: r.get(7),
        env_masked: r.get(8),
        compose_override: r.get(9),
        services: r.get(10),
        created_at: r.get(11),
        started_at: r.get(12),
        finished_at: r.get(13),
    }
}

pub async fn insert(db: &Db, project: &str, worker: &str, trigger: &str, by: Option<&str>) -> sqlx::Result<i64> {
    let result = sqlx::query(
        "INSERT INTO deployments (project_id, worker_id, state, trigger, triggered_by, created_at) VALUES (?, ?, 'queued', ?, ?, ?)",
    )
    .bind(project)
    .bind(worker)
    .bind(trigger)
    .bind(by)
    .bind(now())
    .execute(db)
    .await?;
    Ok(result.last_insert_rowid())
}

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<DeploymentRow>> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM deployments WHERE id = ?")).bind(id).fetch_optional(db).await?;
    Ok(row.as_ref().map(from_row))
}

pub async fn list_for_project(db: &Db, project: &str, limit: i64) -> sqlx::Result<Vec<DeploymentRow>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM deployments WHERE project_id = ? ORDER BY id DESC LIMIT ?"))
        .bind(project)
        .bind(limit)
        .fetch_all(db)
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Moves a non-terminal deployment to a non-terminal state; false if it already ended.
pub async fn advance(db: &Db, id: i64, state: DeploymentState) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE deployments SET state = ?, started_at = COALESCE(started_at, ?)
         WHERE id = ? AND state NOT IN ('succeeded', 'failed', 'timed_out', 'cancelled')",
    )
    .bind(state.as_str())
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
pub async fn finish(db: &Db, id: i64, state: DeploymentState, ending: Ending<'_>) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE deployments SET state = ?, reason = ?, commit_sha = COALESCE(?, commit_sha),
           env_masked = COALESCE(?, env_masked), compose_override = COALESCE(?, compose_override),
           services = COALESCE(?, services), finished_at = ?
         WHERE id = ? AND state NOT IN ('succeeded', 'failed', 'timed_out', 'cancelled')",
    )
    .bind(state.as_str())
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
    let result = sqlx::query(
        "UPDATE deployments SET state = 'failed', reason = 'interrupted: the server restarted while it ran', finished_at = ?
         WHERE state NOT IN ('succeeded', 'failed', 'timed_out', 'cancelled')",
    )
    .bind(now())
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}

pub async fn unfinished_on_worker(db: &Db, worker: &str) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM deployments WHERE worker_id = ? AND state NOT IN ('queued', 'succeeded', 'failed', 'timed_out', 'cancelled')",
    )
    .bind(worker)
    .fetch_all(db)
    .await
}

pub async fn append_log(db: &Db, id: i64, seq: i64, line: &LogLine) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO deployment_logs (deployment_id, seq, at, stream, text) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(seq)
        .bind(&line.at)
        .bind(stream_name(line.stream))
        .bind(&line.text)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn next_log_seq(db: &Db, id: i64) -> sqlx::Result<i64> {
    let max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM deployment_logs WHERE deployment_id = ?")
        .bind(id)
        .fetch_one(db)
        .await?;
    Ok(max.map_or(0, |m| m + 1))
}

/// Log lines with `seq >= from`, in order.
pub async fn log_since(db: &Db, id: i64, from: i64) -> sqlx::Result<Vec<(i64, LogLine)>> {
    let rows = sqlx::query(
        "SELECT seq, at, stream, text FROM deployment_logs WHERE deployment_id = ? AND seq >= ? ORDER BY seq",
    )
    .bind(id)
    .bind(from)
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let stream: String = r.get(2);
            (r.get(0), LogLine { at: r.get(1), stream: parse_stream(&stream), text: r.get(3) })
        })
        .collect())
}

pub fn stream_name(stream: LogStream) -> &'static str {
    match stream {
        LogStream::System => "system",
        LogStream::Stdout => "stdout",
        LogStream::Stderr => "stderr",
    }
}

fn parse_stream(value: &str) -> LogStream {
    match value {
        "stdout" => LogStream::Stdout,
        "stderr" => LogStream::Stderr,
        _ => LogStream::System,
    }
}
