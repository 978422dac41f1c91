//! The containers each worker reports of its projects' services.

use nsm_core::protocol::ServiceContainer;
use nsm_core::service::{ContainerObservation, Observed};

use super::Db;

fn encode(observation: &ContainerObservation) -> sqlx::Result<String> {
    serde_json::to_string(observation).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Records one container as its worker describes it; the worker's report now covers
/// the service.
pub async fn store(db: &Db, project: &str, service: &str, observation: &ContainerObservation) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO service_containers (project_id, service, container, observation) VALUES (?, ?, ?, ?)
         ON CONFLICT(project_id, service, container) DO UPDATE SET observation = excluded.observation",
    )
    .bind(project)
    .bind(service)
    .bind(&observation.container)
    .bind(encode(observation)?)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE project_services SET reported = 1 WHERE project_id = ? AND name = ?")
        .bind(project)
        .bind(service)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

pub async fn remove(db: &Db, project: &str, service: &str, container: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM service_containers WHERE project_id = ? AND service = ? AND container = ?")
        .bind(project)
        .bind(service)
        .bind(container)
        .execute(db)
        .await?;
    Ok(())
}

/// What is known of a service's containers: unknown unless its worker's report covers it.
pub async fn observed(db: &Db, project: &str, service: &str, reported: bool) -> sqlx::Result<Observed> {
    if !reported {
        return Ok(Observed::Unknown);
    }
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT observation FROM service_containers WHERE project_id = ? AND service = ? ORDER BY container",
    )
    .bind(project)
    .bind(service)
    .fetch_all(db)
    .await?;
    let mut containers = Vec::with_capacity(rows.len());
    for (json,) in rows {
        containers.push(serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?);
    }
    Ok(Observed::Reported(containers))
}

/// A worker's snapshot replaces what was known of its projects' containers; entries
/// for projects that are not the worker's are left out. Every service of its projects
/// is now covered by its report.
pub async fn replace_on_worker(db: &Db, worker: &str, containers: &[ServiceContainer]) -> sqlx::Result<usize> {
    let mut tx = db.begin().await?;
    let mine: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM projects WHERE worker_id = ?").bind(worker).fetch_all(&mut *tx).await?;
    sqlx::query("DELETE FROM service_containers WHERE project_id IN (SELECT id FROM projects WHERE worker_id = ?)")
        .bind(worker)
        .execute(&mut *tx)
        .await?;
    let mut stored = 0;
    for entry in containers.iter().filter(|c| mine.iter().any(|(id,)| id == c.project.as_str())) {
        sqlx::query("INSERT OR REPLACE INTO service_containers (project_id, service, container, observation) VALUES (?, ?, ?, ?)")
            .bind(entry.project.as_str())
            .bind(&entry.service)
            .bind(&entry.observation.container)
            .bind(encode(&entry.observation)?)
            .execute(&mut *tx)
            .await?;
        stored += 1;
    }
    sqlx::query(
        "UPDATE project_services SET reported = 1 WHERE project_id IN (SELECT id FROM projects WHERE worker_id = ?)",
    )
    .bind(worker)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(stored)
}

/// A worker went offline: nothing is known of its projects' containers until it is back.
pub async fn forget_on_worker(db: &Db, worker: &str) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    let mine = "SELECT id FROM projects WHERE worker_id = ?";
    sqlx::query(&format!("DELETE FROM service_containers WHERE project_id IN ({mine})"))
        .bind(worker)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!("UPDATE project_services SET reported = 0 WHERE project_id IN ({mine})"))
        .bind(worker)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// At start-up no worker is connected yet: whatever was recorded is stale.
pub async fn forget_all(db: &Db) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM service_containers").execute(db).await?;
    sqlx::query("UPDATE project_services SET reported = 0").execute(db).await?;
    Ok(())
}
