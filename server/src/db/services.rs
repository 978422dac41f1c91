//! A project's compose services: expected state, log collection, and the last
//! assessment of what its containers do.

use nsm_core::service::{assess, Assessment, Deployed, Observed, ServiceState, Verdict};

use super::Db;

/// A service as stored: its settings and the last assessment of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    pub name: String,
    pub expected: ServiceState,
    pub collect_logs: bool,
    pub missing: bool,
    pub verdict: Verdict,
    pub assessment: Assessment,
}

#[derive(sqlx::FromRow)]
struct Stored {
    name: String,
    expected: ServiceState,
    collect_logs: bool,
    missing: bool,
    verdict: Verdict,
    assessment: Option<String>,
}

impl Stored {
    fn into_row(self) -> ServiceRow {
        let assessment = self.assessment.as_deref().and_then(|json| serde_json::from_str(json).ok());
        // Never assessed yet (or written by an older version): judged from nothing known.
        let assessment = assessment.unwrap_or_else(|| assess(self.expected, &Observed::Unknown, None));
        ServiceRow {
            name: self.name,
            expected: self.expected,
            collect_logs: self.collect_logs,
            missing: self.missing,
            verdict: self.verdict,
            assessment,
        }
    }
}

const COLUMNS: &str = "name, expected, collect_logs, missing, verdict, assessment";

pub async fn list_services(db: &Db, project: &str) -> sqlx::Result<Vec<ServiceRow>> {
    let query = format!("SELECT {COLUMNS} FROM project_services WHERE project_id = ? ORDER BY name");
    let rows: Vec<Stored> = sqlx::query_as(&query).bind(project).fetch_all(db).await?;
    Ok(rows.into_iter().map(Stored::into_row).collect())
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

/// One service of a project.
pub async fn get_service(db: &Db, project: &str, name: &str) -> sqlx::Result<Option<ServiceRow>> {
    let query = format!("SELECT {COLUMNS} FROM project_services WHERE project_id = ? AND name = ?");
    let row: Option<Stored> = sqlx::query_as(&query).bind(project).bind(name).fetch_optional(db).await?;
    Ok(row.map(Stored::into_row))
}

/// Every service of every project: (project, name, verdict).
pub async fn all_verdicts(db: &Db) -> sqlx::Result<Vec<(String, String, Verdict)>> {
    sqlx::query_as("SELECT project_id, name, verdict FROM project_services WHERE missing = 0 ORDER BY 1, 2")
        .fetch_all(db)
        .await
}

/// What a service is judged from: its expected state, whether its worker's report
/// covers it, and what the last deployment left.
pub async fn judgement_inputs(
    db: &Db,
    project: &str,
    name: &str,
) -> sqlx::Result<Option<(ServiceState, bool, Option<Deployed>)>> {
    let row: Option<(ServiceState, bool, Option<String>)> =
        sqlx::query_as("SELECT expected, reported, deployed FROM project_services WHERE project_id = ? AND name = ?")
            .bind(project)
            .bind(name)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(expected, reported, deployed)| {
        (expected, reported, deployed.as_deref().and_then(|json| serde_json::from_str(json).ok()))
    }))
}

/// Stores a service's assessment; returns whether its verdict or state changed (a
/// change worth a line in its history).
pub async fn set_assessment(db: &Db, project: &str, name: &str, assessment: &Assessment) -> sqlx::Result<bool> {
    let json = serde_json::to_string(assessment).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let before: Option<(Verdict, Option<String>)> =
        sqlx::query_as("SELECT verdict, assessment FROM project_services WHERE project_id = ? AND name = ?")
            .bind(project)
            .bind(name)
            .fetch_optional(db)
            .await?;
    let Some((verdict, previous)) = before else { return Ok(false) };
    let previous_actual =
        previous.as_deref().and_then(|json| serde_json::from_str::<Assessment>(json).ok()).and_then(|a| a.actual);
    sqlx::query("UPDATE project_services SET verdict = ?, assessment = ? WHERE project_id = ? AND name = ?")
        .bind(assessment.verdict)
        .bind(json)
        .bind(project)
        .bind(name)
        .execute(db)
        .await?;
    Ok(verdict != assessment.verdict || previous_actual != assessment.actual || previous.is_none())
}

/// Records what the last deployment that ran left for a service.
pub async fn set_deployed(db: &Db, project: &str, name: &str, deployed: &Deployed) -> sqlx::Result<()> {
    let json = serde_json::to_string(deployed).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("UPDATE project_services SET deployed = ? WHERE project_id = ? AND name = ?")
        .bind(json)
        .bind(project)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// The services of the projects on `worker`: (project, name).
pub async fn on_worker(db: &Db, worker: &str) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT project_id, name FROM project_services \
         WHERE project_id IN (SELECT id FROM projects WHERE worker_id = ?) ORDER BY 1, 2",
    )
    .bind(worker)
    .fetch_all(db)
    .await
}

/// Every service of every project: (project, name).
pub async fn all(db: &Db) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT project_id, name FROM project_services ORDER BY 1, 2").fetch_all(db).await
}
