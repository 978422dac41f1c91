//! CI/CD credentials, GitHub delivery de-duplication, and the project's activity feed.

use nsm_core::activity::{ActivityOutcome, ActivitySource};
use nsm_core::DeploymentId;
use sqlx::Row;

use super::{now, Db};

pub async fn deploy_key_hash(db: &Db, project: &str) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>("SELECT deploy_key_hash FROM projects WHERE id = ?")
        .bind(project)
        .fetch_optional(db)
        .await?
        .flatten())
}

pub async fn set_deploy_key_hash(db: &Db, project: &str, hash: &str) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE projects SET deploy_key_hash = ? WHERE id = ?")
        .bind(hash)
        .bind(project)
        .execute(db)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn webhook_secret(db: &Db, project: &str) -> sqlx::Result<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar::<_, Option<Vec<u8>>>("SELECT webhook_secret_enc FROM projects WHERE id = ?")
        .bind(project)
        .fetch_optional(db)
        .await?
        .flatten())
}

pub async fn set_webhook_secret(db: &Db, project: &str, sealed: &[u8]) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE projects SET webhook_secret_enc = ? WHERE id = ?")
        .bind(sealed)
        .bind(project)
        .execute(db)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The stored answer to a delivery, if it was seen before.
pub async fn delivery(db: &Db, project: &str, delivery: &str) -> sqlx::Result<Option<(u16, String)>> {
    let row = sqlx::query("SELECT status, body FROM webhook_deliveries WHERE project_id = ? AND delivery_id = ?")
        .bind(project)
        .bind(delivery)
        .fetch_optional(db)
        .await?;
    Ok(row.and_then(|r| u16::try_from(r.get::<i64, _>(0)).ok().map(|s| (s, r.get(1)))))
}

/// Remembers an answer; false when another request stored one first.
pub async fn remember_delivery(db: &Db, project: &str, delivery: &str, status: u16, body: &str) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO webhook_deliveries (project_id, delivery_id, status, body, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING",
    )
    .bind(project)
    .bind(delivery)
    .bind(i64::from(status))
    .bind(body)
    .bind(now())
    .execute(db)
    .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub at: String,
    pub source: ActivitySource,
    pub outcome: ActivityOutcome,
    pub detail: String,
    pub deployment_id: Option<DeploymentId>,
}

/// One CI/CD call and what became of it, to be recorded.
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub project: String,
    pub source: ActivitySource,
    pub outcome: ActivityOutcome,
    pub detail: String,
    pub deployment: Option<DeploymentId>,
}

/// Writes a batch of activity entries (each with its own timestamp) in one transaction.
pub async fn record_activities(db: &Db, entries: &[(String, NewActivity)]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    for (at, entry) in entries {
        sqlx::query(
            "INSERT INTO project_activity (project_id, at, source, outcome, detail, deployment_id) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&entry.project)
        .bind(at)
        .bind(entry.source)
        .bind(entry.outcome)
        .bind(&entry.detail)
        .bind(entry.deployment)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Refused calls of one project and source in one minute (`minute`: `YYYY-MM-DDTHH:MM`),
/// counted on one row: the first call's time, `count` more calls, `reason` added unless
/// the row has it already.
pub async fn add_refusals(
    db: &Db,
    at: &str,
    project: &str,
    source: ActivitySource,
    minute: &str,
    count: i64,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO project_activity (project_id, at, source, outcome, detail, count, bucket)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(bucket) DO UPDATE SET
             count = count + excluded.count,
             detail = CASE WHEN instr('; ' || detail || '; ', '; ' || excluded.detail || '; ') > 0 THEN detail
                           ELSE detail || '; ' || excluded.detail END",
    )
    .bind(project)
    .bind(at)
    .bind(source)
    .bind(ActivityOutcome::Refused)
    .bind(reason)
    .bind(count)
    .bind(format!("{project}:{source}:{minute}"))
    .execute(db)
    .await?;
    Ok(())
}

/// Removes activity and remembered GitHub deliveries older than `cutoff`; how many.
pub async fn delete_activity_before(db: &Db, cutoff: &str) -> sqlx::Result<u64> {
    let activity = sqlx::query("DELETE FROM project_activity WHERE at < ?").bind(cutoff).execute(db).await?;
    let deliveries =
        sqlx::query("DELETE FROM webhook_deliveries WHERE created_at < ?").bind(cutoff).execute(db).await?;
    Ok(activity.rows_affected() + deliveries.rows_affected())
}

/// The newest `limit` entries; a row counting several refused calls says how many.
pub async fn activity(db: &Db, project: &str, limit: i64) -> sqlx::Result<Vec<ActivityRow>> {
    sqlx::query_as(
        "SELECT at, source, outcome,
                CASE WHEN count > 1 THEN count || ' refused calls: ' || detail ELSE detail END AS detail,
                deployment_id
         FROM project_activity WHERE project_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(project)
    .bind(limit)
    .fetch_all(db)
    .await
}
