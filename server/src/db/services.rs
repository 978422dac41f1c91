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
