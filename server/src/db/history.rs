//! What happened over time: services' verdicts, workers' links, the control plane's
//! own uptime (a heartbeat a minute). Times are Unix milliseconds; heartbeats are
//! stored as the Unix minute they fell in.

use nsm_core::service::{ServiceState, StateChange, Verdict};

use super::Db;

const MINUTE: i64 = 60_000;

pub async fn record_service(
    db: &Db,
    project: &str,
    service: &str,
    at: i64,
    verdict: Verdict,
    actual: Option<ServiceState>,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO service_history (project_id, service, at, verdict, actual) VALUES (?, ?, ?, ?, ?)")
        .bind(project)
        .bind(service)
        .bind(at)
        .bind(verdict)
        .bind(actual)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn record_worker(db: &Db, worker: &str, at: i64, online: bool) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO worker_history (worker_id, at, online) VALUES (?, ?, ?)")
        .bind(worker)
        .bind(at)
        .bind(online)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the minute holding `at` as one the control plane ran in.
pub async fn heartbeat(db: &Db, at: i64) -> sqlx::Result<()> {
    sqlx::query("INSERT OR IGNORE INTO plane_heartbeats (minute) VALUES (?)")
        .bind(at.div_euclid(MINUTE))
        .execute(db)
        .await?;
    Ok(())
}

/// The last minute with a heartbeat, in ms (`None`: the first start).
pub async fn last_heartbeat(db: &Db) -> sqlx::Result<Option<i64>> {
    let minute: Option<i64> = sqlx::query_scalar("SELECT MAX(minute) FROM plane_heartbeats").fetch_one(db).await?;
    Ok(minute.map(|m| m * MINUTE))
}

pub async fn first_heartbeat(db: &Db) -> sqlx::Result<Option<i64>> {
    let minute: Option<i64> = sqlx::query_scalar("SELECT MIN(minute) FROM plane_heartbeats").fetch_one(db).await?;
    Ok(minute.map(|m| m * MINUTE))
}

/// Minutes with a heartbeat per day (days since the epoch) from `since` on.
pub async fn heartbeats_per_day(db: &Db, since: i64) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query_as("SELECT minute / 1440, COUNT(*) FROM plane_heartbeats WHERE minute >= ? GROUP BY 1 ORDER BY 1")
        .bind(since.div_euclid(MINUTE))
        .fetch_all(db)
        .await
}

/// A service's changes from the last one before `since` on, oldest first.
pub async fn service_changes(
    db: &Db,
    project: &str,
    service: &str,
    since: i64,
) -> sqlx::Result<Vec<StateChange<Verdict>>> {
    let rows: Vec<(i64, Verdict)> = sqlx::query_as(
        "SELECT at, verdict FROM service_history WHERE project_id = ?1 AND service = ?2 AND at >= COALESCE(
             (SELECT MAX(at) FROM service_history WHERE project_id = ?1 AND service = ?2 AND at <= ?3), ?3)
         ORDER BY at, id",
    )
    .bind(project)
    .bind(service)
    .bind(since)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(at, state)| StateChange { at, state }).collect())
}

/// Every service's changes from `since` on (plus the one before it), grouped by
/// (project, service) and oldest first within each.
pub async fn all_service_changes(db: &Db, since: i64) -> sqlx::Result<Vec<(String, String, StateChange<Verdict>)>> {
    let rows: Vec<(String, String, i64, Verdict)> = sqlx::query_as(
        "SELECT h.project_id, h.service, h.at, h.verdict FROM service_history h
         WHERE h.at >= COALESCE((SELECT MAX(p.at) FROM service_history p
                                 WHERE p.project_id = h.project_id AND p.service = h.service AND p.at <= ?1), ?1)
         ORDER BY 1, 2, 3, h.id",
    )
    .bind(since)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(p, s, at, state)| (p, s, StateChange { at, state })).collect())
}

/// Every worker's link changes from `since` on (plus the one before it), by worker.
pub async fn all_worker_changes(db: &Db, since: i64) -> sqlx::Result<Vec<(String, StateChange<bool>)>> {
    let rows: Vec<(String, i64, bool)> = sqlx::query_as(
        "SELECT h.worker_id, h.at, h.online FROM worker_history h
         WHERE h.at >= COALESCE((SELECT MAX(p.at) FROM worker_history p
                                 WHERE p.worker_id = h.worker_id AND p.at <= ?1), ?1)
         ORDER BY 1, 2, h.id",
    )
    .bind(since)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(w, at, state)| (w, StateChange { at, state })).collect())
}

/// Workers whose last recorded change says online (the server stopped without
/// seeing them go).
pub async fn workers_left_online(db: &Db) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT worker_id FROM worker_history h WHERE online = 1
         AND id = (SELECT MAX(id) FROM worker_history p WHERE p.worker_id = h.worker_id)",
    )
    .fetch_all(db)
    .await
}

/// Drops history older than `before` (keeping the last change before it, which says
/// what state the kept window opens in).
pub async fn prune(db: &Db, before: i64) -> sqlx::Result<u64> {
    let services = sqlx::query(
        "DELETE FROM service_history WHERE at < ?1 AND id NOT IN
           (SELECT MAX(id) FROM service_history WHERE at < ?1 GROUP BY project_id, service)",
    )
    .bind(before)
    .execute(db)
    .await?;
    let workers = sqlx::query(
        "DELETE FROM worker_history WHERE at < ?1 AND id NOT IN
           (SELECT MAX(id) FROM worker_history WHERE at < ?1 GROUP BY worker_id)",
    )
    .bind(before)
    .execute(db)
    .await?;
    let beats = sqlx::query("DELETE FROM plane_heartbeats WHERE minute < ?")
        .bind(before.div_euclid(MINUTE))
        .execute(db)
        .await?;
    Ok(services.rows_affected() + workers.rows_affected() + beats.rows_affected())
}
