//! A project's compose services: expected state, log collection, last actual state.

use nsm_core::service::ServiceState;

use super::{now, Db};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceRow {
    pub name: String,
    pub expected: ServiceState,
    pub collect_logs: bool,
    pub actual: Option<ServiceState>,
    pub actual_at: Option<String>,
    pub missing: bool,
}

pub async fn list_services(db: &Db, project: &str) -> sqlx::Result<Vec<ServiceRow>> {
    sqlx::query_as(
        "SELECT name, expected, collect_logs, actual, actual_at, missing FROM project_services WHERE project_id = ? ORDER BY name",
    )
    .bind(project)
    .fetch_all(db)
    .await
}

/// Makes the stored set match a sync: new names are added (expected Unknown), names
/// still present are un-marked, vanished ones are marked missing (settings kept).
pub async fn reconcile(db: &Db, project: &str, found: &[String]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE project_services SET missing = 1 WHERE project_id = ?").bind(project).execute(&mut *tx).await?;
    for name in found {
        sqlx::query(
            "INSERT INTO project_services (project_id, name) VALUES (?, ?)
             ON CONFLICT(project_id, name) DO UPDATE SET missing = 0",
        )
        .bind(project)
        .bind(name)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

pub async fn update_service(
    db: &Db,
    project: &str,
    name: &str,
    expected: ServiceState,
    collect_logs: bool,
) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE project_services SET expected = ?, collect_logs = ? WHERE project_id = ? AND name = ?")
            .bind(expected)
            .bind(collect_logs)
            .bind(project)
            .bind(name)
            .execute(db)
            .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn set_actual(db: &Db, project: &str, name: &str, actual: ServiceState) -> sqlx::Result<()> {
    sqlx::query("UPDATE project_services SET actual = ?, actual_at = ? WHERE project_id = ? AND name = ?")
        .bind(actual)
        .bind(now())
        .bind(project)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// One service of a project.
pub async fn get_service(db: &Db, project: &str, name: &str) -> sqlx::Result<Option<ServiceRow>> {
    sqlx::query_as(
        "SELECT name, expected, collect_logs, actual, actual_at, missing FROM project_services \
         WHERE project_id = ? AND name = ?",
    )
    .bind(project)
    .bind(name)
    .fetch_optional(db)
    .await
}

/// A worker went offline: what its projects' services do is unknown until it is
/// back. Returns the services changed, with their project.
pub async fn forget_actual_on(db: &Db, worker: &str) -> sqlx::Result<Vec<(String, ServiceRow)>> {
    let at = now();
    let changed: Vec<(String, String)> = sqlx::query_as(
        "UPDATE project_services SET actual = NULL, actual_at = ? \
         WHERE actual IS NOT NULL AND project_id IN (SELECT id FROM projects WHERE worker_id = ?) \
         RETURNING project_id, name",
    )
    .bind(&at)
    .bind(worker)
    .fetch_all(db)
    .await?;
    let mut rows = Vec::with_capacity(changed.len());
    for (project, name) in changed {
        if let Some(row) = get_service(db, &project, &name).await? {
            rows.push((project, row));
        }
    }
    Ok(rows)
}

/// Every service of every project: (project, name, expected, actual).
pub async fn all_states(db: &Db) -> sqlx::Result<Vec<(String, String, ServiceState, Option<ServiceState>)>> {
    sqlx::query_as("SELECT project_id, name, expected, actual FROM project_services WHERE missing = 0 ORDER BY 1, 2")
        .fetch_all(db)
        .await
}
