use nsm_core::worker_policy::WorkerPolicy;
use sqlx::Row;

use super::{now, Db};

#[derive(Debug, Clone)]
pub struct WorkerRow {
    pub id: String,
    pub name: String,
    pub version: Option<String>,
    pub last_seen: Option<String>,
    pub public_address: Option<String>,
    /// The node whose edge fronts it (`None`: public).
    pub fronted_by: Option<String>,
    /// What it said of its edge in its last hello.
    pub edge: Option<nsm_core::protocol::EdgeFacts>,
}

/// Registers a worker if it is not known yet (the embedded `local` one at start-up).
pub async fn ensure(db: &Db, id: &str, name: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO workers (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING")
        .bind(id)
        .bind(name)
        .bind(now())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn exists(db: &Db, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM workers WHERE id = ?").bind(id).fetch_one(db).await? > 0)
}

pub async fn seen(db: &Db, id: &str, version: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE workers SET last_seen = ?, version = ? WHERE id = ?")
        .bind(now())
        .bind(version)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn list_workers(db: &Db) -> sqlx::Result<Vec<WorkerRow>> {
    let rows =
        sqlx::query("SELECT id, name, version, last_seen, public_address, edge, fronted_by FROM workers ORDER BY id")
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let edge: Option<String> = r.get(5);
            WorkerRow {
                id: r.get(0),
                name: r.get(1),
                version: r.get(2),
                last_seen: r.get(3),
                public_address: r.get(4),
                fronted_by: r.get(6),
                // Written by this server from a decoded hello; unreadable means none.
                edge: edge.and_then(|json| serde_json::from_str(&json).ok()),
            }
        })
        .collect())
}

pub async fn token_hash(db: &Db, id: &str) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar::<_, Option<String>>("SELECT token_hash FROM workers WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?
        .flatten())
}

pub async fn set_token_hash(db: &Db, id: &str, token_hash: &str) -> sqlx::Result<bool> {
    let result =
        sqlx::query("UPDATE workers SET token_hash = ? WHERE id = ?").bind(token_hash).bind(id).execute(db).await?;
    Ok(result.rows_affected() == 1)
}

/// Adds a worker; false when the id is taken.
pub async fn add_worker(db: &Db, id: &str, name: &str, token_hash: &str) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO workers (id, name, token_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
    )
    .bind(id)
    .bind(name)
    .bind(token_hash)
    .bind(now())
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn projects_using(db: &Db, id: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM projects WHERE worker_id = ? ORDER BY id").bind(id).fetch_all(db).await
}

pub async fn remove_worker(db: &Db, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM workers WHERE id = ?").bind(id).execute(db).await?.rows_affected() == 1)
}

/// Why a worker's policy could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum PolicyStoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Written by this server; unreadable means the row was edited by hand.
    #[error("worker {worker}'s stored policy is unreadable: {source}")]
    Unreadable {
        worker: String,
        #[source]
        source: serde_json::Error,
    },
}

/// The worker's policy; the default (allowing nothing) when none was set. `None`: no
/// such worker.
pub async fn policy(db: &Db, id: &str) -> Result<Option<WorkerPolicy>, PolicyStoreError> {
    let stored: Option<Option<String>> =
        sqlx::query_scalar("SELECT policy FROM workers WHERE id = ?").bind(id).fetch_optional(db).await?;
    let Some(stored) = stored else { return Ok(None) };
    match stored {
        None => Ok(Some(WorkerPolicy::default())),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|source| PolicyStoreError::Unreadable { worker: id.to_owned(), source }),
    }
}

/// Stores the worker's policy; false when there is no such worker.
pub async fn set_policy(db: &Db, id: &str, policy: &WorkerPolicy) -> Result<bool, PolicyStoreError> {
    let json = serde_json::to_string(policy)
        .map_err(|source| PolicyStoreError::Unreadable { worker: id.to_owned(), source })?;
    let result = sqlx::query("UPDATE workers SET policy = ? WHERE id = ?").bind(json).bind(id).execute(db).await?;
    Ok(result.rows_affected() == 1)
}
