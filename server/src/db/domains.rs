//! A project's domains and resources, read as the shared crate's `Topology`.

use nsm_core::domain::{DomainEntry, Hostname, ResourceConfig, ResourceEntry, Topology};
use sqlx::Row;

use super::Db;

#[derive(Debug, thiserror::Error)]
pub enum TopologyReadError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored domain or resource {0} is invalid: {1}")]
    Corrupt(i64, String),
}

pub async fn topology(db: &Db, project: &str) -> Result<Topology, TopologyReadError> {
    let domains = sqlx::query("SELECT id, hostname, hsts FROM domains WHERE project_id = ? ORDER BY id")
        .bind(project)
        .fetch_all(db)
        .await?
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let hostname: String = r.get(1);
            let hsts = r.get::<i64, _>(2) != 0;
            Hostname::parse(&hostname)
                .map(|hostname| DomainEntry { id, hostname, hsts })
                .map_err(|e| TopologyReadError::Corrupt(id, e.0))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let resources = sqlx::query(
        "SELECT r.id, r.domain_id, r.config FROM resources r JOIN domains d ON d.id = r.domain_id
         WHERE d.project_id = ? ORDER BY r.domain_id, r.position, r.id",
    )
    .bind(project)
    .fetch_all(db)
    .await?
    .iter()
    .map(|r| {
        let id: i64 = r.get(0);
        let config: String = r.get(2);
        serde_json::from_str::<ResourceConfig>(&config)
            .map(|config| ResourceEntry { id, domain_id: r.get(1), config })
            .map_err(|e| TopologyReadError::Corrupt(id, e.to_string()))
    })
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Topology { domains, resources })
}

/// Every lease on a worker: (resource id, port).
pub async fn leases_on(db: &Db, worker: &str) -> sqlx::Result<Vec<(i64, u16)>> {
    let rows =
        sqlx::query("SELECT resource_id, port FROM port_leases WHERE worker_id = ?").bind(worker).fetch_all(db).await?;
    Ok(rows.iter().filter_map(|r| u16::try_from(r.get::<i64, _>(1)).ok().map(|p| (r.get(0), p))).collect())
}

/// Records the port a worker chose for a resource; a stale lease on the same port
/// (whose resource the worker no longer has reason to keep) gives way.
pub async fn lease(db: &Db, worker: &str, resource: i64, port: u16) -> sqlx::Result<()> {
    sqlx::query("INSERT OR REPLACE INTO port_leases (resource_id, worker_id, port) VALUES (?, ?, ?)")
        .bind(resource)
        .bind(worker)
        .bind(i64::from(port))
        .execute(db)
        .await?;
    Ok(())
}
