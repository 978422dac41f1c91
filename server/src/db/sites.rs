//! Which node serves which project, and what each node's edge is (from its hello).

use nsm_core::domain::Hostname;
use nsm_core::protocol::EdgeFacts;
use nsm_core::{ProjectId, WorkerId};

use super::{now, Db};

/// Records the edge a node described in its hello.
pub async fn set_edge_facts(db: &Db, worker: &WorkerId, facts: &EdgeFacts) -> sqlx::Result<()> {
    let json = serde_json::to_string(facts).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("UPDATE workers SET edge = ? WHERE id = ?").bind(json).bind(worker.as_str()).execute(db).await?;
    Ok(())
}

/// The edge a node last described; `None` before its first hello.
pub async fn edge_facts(db: &Db, worker: &WorkerId) -> sqlx::Result<Option<EdgeFacts>> {
    let json: Option<Option<String>> =
        sqlx::query_scalar("SELECT edge FROM workers WHERE id = ?").bind(worker.as_str()).fetch_optional(db).await?;
    match json.flatten() {
        Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| sqlx::Error::Decode(Box::new(e))),
        None => Ok(None),
    }
}

/// The address users point DNS at for a node's projects (`None`: not set).
pub async fn public_address(db: &Db, worker: &WorkerId) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>("SELECT public_address FROM workers WHERE id = ?")
        .bind(worker.as_str())
        .fetch_optional(db)
        .await?
        .flatten())
}

pub async fn set_public_address(db: &Db, worker: &WorkerId, address: Option<&str>) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE workers SET public_address = ? WHERE id = ?")
        .bind(address)
        .bind(worker.as_str())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The node that fronts `worker` (`None`: it is public).
pub async fn fronted_by(db: &Db, worker: &WorkerId) -> sqlx::Result<Option<WorkerId>> {
    let id: Option<Option<String>> = sqlx::query_scalar("SELECT fronted_by FROM workers WHERE id = ?")
        .bind(worker.as_str())
        .fetch_optional(db)
        .await?;
    Ok(id.flatten().and_then(|id| WorkerId::parse(&id).ok()))
}

pub async fn set_fronted_by(db: &Db, worker: &WorkerId, front: Option<&WorkerId>) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE workers SET fronted_by = ? WHERE id = ?")
        .bind(front.map(WorkerId::as_str))
        .bind(worker.as_str())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every node that fronts at least one other.
pub async fn fronts(db: &Db) -> sqlx::Result<Vec<WorkerId>> {
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT fronted_by FROM workers WHERE fronted_by IS NOT NULL ORDER BY 1")
            .fetch_all(db)
            .await?;
    Ok(ids.iter().filter_map(|id| WorkerId::parse(id).ok()).collect())
}

/// The nodes `front` fronts: id, address, edge facts.
pub async fn fronted(db: &Db, front: &WorkerId) -> sqlx::Result<Vec<(WorkerId, Option<String>, Option<EdgeFacts>)>> {
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT id, public_address, edge FROM workers WHERE fronted_by = ? ORDER BY id")
            .bind(front.as_str())
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, address, edge)| {
            let id = WorkerId::parse(&id).ok()?;
            // Written by this server from a decoded hello; unreadable means none.
            Some((id, address, edge.and_then(|json| serde_json::from_str(&json).ok())))
        })
        .collect())
}

/// The hostnames of every project `worker` serves now.
pub async fn served_hostnames(db: &Db, worker: &WorkerId) -> sqlx::Result<Vec<Hostname>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT d.hostname FROM domains d JOIN published_sites p ON p.project_id = d.project_id \
         WHERE p.worker_id = ? ORDER BY d.hostname",
    )
    .bind(worker.as_str())
    .fetch_all(db)
    .await?;
    Ok(names.iter().filter_map(|n| Hostname::parse(n).ok()).collect())
}

pub async fn set_published(db: &Db, project: &ProjectId, worker: &WorkerId) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO published_sites (project_id, worker_id, published_at) VALUES (?, ?, ?) \
         ON CONFLICT(project_id) DO UPDATE SET worker_id = excluded.worker_id, published_at = excluded.published_at",
    )
    .bind(project.as_str())
    .bind(worker.as_str())
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_unpublished(db: &Db, project: &ProjectId) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM published_sites WHERE project_id = ?").bind(project.as_str()).execute(db).await?;
    Ok(())
}

/// The node serving `project`, if one does.
pub async fn published_on(db: &Db, project: &ProjectId) -> sqlx::Result<Option<WorkerId>> {
    let worker: Option<String> = sqlx::query_scalar("SELECT worker_id FROM published_sites WHERE project_id = ?")
        .bind(project.as_str())
        .fetch_optional(db)
        .await?;
    Ok(worker.and_then(|w| WorkerId::parse(&w).ok()))
}

/// Every published project and its node.
pub async fn published(db: &Db) -> sqlx::Result<Vec<(ProjectId, WorkerId)>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT project_id, worker_id FROM published_sites ORDER BY project_id").fetch_all(db).await?;
    Ok(rows.into_iter().filter_map(|(p, w)| Some((ProjectId::parse(&p).ok()?, WorkerId::parse(&w).ok()?))).collect())
}
