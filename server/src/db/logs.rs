//! Stored container log lines, per project and service, kept under a byte cap.

use nsm_core::logs::{ContainerLogLine, LogEntry, LogQuery, LogStream};
use nsm_core::DeploymentId;

use super::Db;

/// Trimming goes this far below the cap, so it runs once per tenth of the cap written
/// rather than on every batch.
const TRIM_TO_PERCENT: u64 = 90;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    service: String,
    deployment_id: Option<i64>,
    container: String,
    at_ms: i64,
    stream: LogStream,
    text: String,
}

impl Row {
    fn into_entry(self) -> LogEntry {
        LogEntry {
            id: self.id,
            service: self.service,
            deployment: self.deployment_id.map(DeploymentId),
            container: self.container,
            at_ms: self.at_ms,
            stream: self.stream,
            text: self.text,
        }
    }
}

/// Stores one batch in one transaction, tagged with the project's latest deployment,
/// then drops the service's oldest lines while it holds more than `cap` bytes.
pub async fn append(
    db: &Db,
    project: &str,
    service: &str,
    container: &str,
    lines: &[ContainerLogLine],
    cap: u64,
) -> sqlx::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let deployment: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM deployments WHERE project_id = ?")
        .bind(project)
        .fetch_one(&mut *tx)
        .await?;
    let mut added: i64 = 0;
    for line in lines {
        let bytes = i64::try_from(line.bytes()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO container_logs (project_id, service, deployment_id, container, at_ms, stream, text, bytes)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(project)
        .bind(service)
        .bind(deployment)
        .bind(container)
        .bind(line.at_ms)
        .bind(line.stream)
        .bind(&line.text)
        .bind(bytes)
        .execute(&mut *tx)
        .await?;
        added = added.saturating_add(bytes);
    }
    let total: i64 = sqlx::query_scalar(
        "INSERT INTO container_log_totals (project_id, service, bytes) VALUES (?, ?, ?)
         ON CONFLICT (project_id, service) DO UPDATE SET bytes = bytes + excluded.bytes
         RETURNING bytes",
    )
    .bind(project)
    .bind(service)
    .bind(added)
    .fetch_one(&mut *tx)
    .await?;
    let cap = i64::try_from(cap).unwrap_or(i64::MAX);
    if total > cap {
        let keep = i64::try_from(u64::try_from(cap).unwrap_or(0) / 100 * TRIM_TO_PERCENT).unwrap_or(cap);
        let excess = total - keep;
        // The newest line whose running sum (oldest first) reaches the excess: it and
        // everything older goes.
        let cut: Option<(i64, i64)> = sqlx::query_as(
            "SELECT id, run FROM (
                 SELECT id, SUM(bytes) OVER (ORDER BY id) AS run
                 FROM container_logs WHERE project_id = ? AND service = ?
             ) WHERE run >= ? ORDER BY id LIMIT 1",
        )
        .bind(project)
        .bind(service)
        .bind(excess)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, removed)) = cut {
            sqlx::query("DELETE FROM container_logs WHERE project_id = ? AND service = ? AND id <= ?")
                .bind(project)
                .bind(service)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE container_log_totals SET bytes = bytes - ? WHERE project_id = ? AND service = ?")
                .bind(removed)
                .bind(project)
                .bind(service)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

/// The bytes stored for a service (its running total).
pub async fn stored_bytes(db: &Db, project: &str, service: &str) -> sqlx::Result<u64> {
    let total: Option<i64> =
        sqlx::query_scalar("SELECT bytes FROM container_log_totals WHERE project_id = ? AND service = ?")
            .bind(project)
            .bind(service)
            .fetch_optional(db)
            .await?;
    Ok(total.and_then(|t| u64::try_from(t).ok()).unwrap_or(0))
}

/// The project's lines matching `query`, oldest first: the newest `limit` of them
/// (or, with `after`, the first `limit` after that id).
pub async fn search(db: &Db, project: &str, query: &LogQuery) -> sqlx::Result<Vec<LogEntry>> {
    let mut sql = sqlx::QueryBuilder::new(
        "SELECT id, service, deployment_id, container, at_ms, stream, text FROM container_logs WHERE project_id = ",
    );
    sql.push_bind(project.to_owned());
    let services = query.services();
    if !services.is_empty() {
        sql.push(" AND service IN (");
        let mut list = sql.separated(", ");
        for service in services {
            list.push_bind(service);
        }
        sql.push(")");
    }
    if let Some(deployment) = query.deployment {
        sql.push(" AND deployment_id = ").push_bind(deployment);
    }
    if let Some(since) = query.since {
        sql.push(" AND at_ms >= ").push_bind(since);
    }
    if let Some(until) = query.until {
        sql.push(" AND at_ms <= ").push_bind(until);
    }
    if let Some(q) = query.search() {
        sql.push(" AND instr(lower(text), lower(").push_bind(q.to_owned()).push(")) > 0");
    }
    let limit = i64::from(query.limit());
    let rows: Vec<Row> = if let Some(after) = query.after {
        sql.push(" AND id > ").push_bind(after).push(" ORDER BY id LIMIT ").push_bind(limit);
        sql.build_query_as().fetch_all(db).await?
    } else {
        sql.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
        let mut rows: Vec<Row> = sql.build_query_as().fetch_all(db).await?;
        rows.reverse();
        rows
    };
    Ok(rows.into_iter().map(Row::into_entry).collect())
}

/// The newest line id of the project (0: none), where a follower starts.
pub async fn newest_id(db: &Db, project: &str) -> sqlx::Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM container_logs WHERE project_id = ?")
        .bind(project)
        .fetch_one(db)
        .await?;
    Ok(id.unwrap_or(0))
}

/// The project's services with *Collect logs* on.
pub async fn followed(db: &Db, project: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT name FROM project_services WHERE project_id = ? AND collect_logs = 1 ORDER BY name")
        .bind(project)
        .fetch_all(db)
        .await
}

/// The projects on `worker`'s node.
pub async fn projects_on(db: &Db, worker: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM projects WHERE worker_id = ? ORDER BY id").bind(worker).fetch_all(db).await
}
