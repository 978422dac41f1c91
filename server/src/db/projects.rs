use nsm_core::{Branch, DeployTimeout, GitUrl, ProjectConfig, ProjectId, RepoName, RepoOwner, Repository, WorkerId};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{now, Db};

/// A stored project; rows that no longer validate are reported, never shown half-read.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub config: ProjectConfig,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectStoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("a project with id {0} already exists")]
    Duplicate(String),
    #[error("stored project {id} is invalid: {reason}")]
    Corrupt { id: String, reason: String },
}

const COLUMNS: &str =
    "id, repo_owner, repo_name, repo_url, branch, worker_id, timeout_secs, allow_ci_cd, created_at, updated_at";

fn from_row(row: &SqliteRow) -> Result<ProjectRow, ProjectStoreError> {
    let id: String = row.get(0);
    let corrupt = |reason: String| ProjectStoreError::Corrupt { id: id.clone(), reason };
    let owner: Option<String> = row.get(1);
    let name: Option<String> = row.get(2);
    let url: Option<String> = row.get(3);
    let repository = match (owner, name, url) {
        (_, _, Some(url)) => Repository::Url { url: GitUrl::parse(&url).map_err(|e| corrupt(e.0))? },
        (Some(owner), Some(name), None) => Repository::Hosted {
            owner: RepoOwner::parse(&owner).map_err(|e| corrupt(e.0))?,
            name: RepoName::parse(&name).map_err(|e| corrupt(e.0))?,
        },
        _ => return Err(corrupt("no repository".into())),
    };
    let timeout: i64 = row.get(6);
    let config = ProjectConfig {
        id: ProjectId::parse(&id).map_err(|e| corrupt(e.0))?,
        repository,
        branch: Branch::parse(row.get(4)).map_err(|e| corrupt(e.0))?,
        worker: WorkerId::parse(row.get(5)).map_err(|e| corrupt(e.0))?,
        timeout: u32::try_from(timeout)
            .map_err(|e| corrupt(e.to_string()))
            .and_then(|t| DeployTimeout::new(t).map_err(|e| corrupt(e.0)))?,
        allow_ci_cd: row.get::<i64, _>(7) != 0,
    };
    Ok(ProjectRow { config, created_at: row.get(8), updated_at: row.get(9) })
}

fn repository_columns(repository: &Repository) -> (Option<&str>, Option<&str>, Option<&str>) {
    match repository {
        Repository::Hosted { owner, name } => (Some(owner.as_str()), Some(name.as_str()), None),
        Repository::Url { url } => (None, None, Some(url.as_str())),
    }
}

fn duplicate_or(error: sqlx::Error, id: &ProjectId) -> ProjectStoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => ProjectStoreError::Duplicate(id.to_string()),
        _ => ProjectStoreError::Database(error),
    }
}

pub async fn list_projects(db: &Db) -> Result<Vec<ProjectRow>, ProjectStoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM projects ORDER BY id")).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

pub async fn get_project(db: &Db, id: &ProjectId) -> Result<Option<ProjectRow>, ProjectStoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM projects WHERE id = ?"))
        .bind(id.as_str())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn create_project(db: &Db, config: &ProjectConfig) -> Result<(), ProjectStoreError> {
    let (owner, name, url) = repository_columns(&config.repository);
    let at = now();
    sqlx::query(&format!("INSERT INTO projects ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
        .bind(config.id.as_str())
        .bind(owner)
        .bind(name)
        .bind(url)
        .bind(config.branch.as_str())
        .bind(config.worker.as_str())
        .bind(i64::from(config.timeout.secs()))
        .bind(config.allow_ci_cd)
        .bind(&at)
        .bind(&at)
        .execute(db)
        .await
        .map_err(|e| duplicate_or(e, &config.id))?;
    Ok(())
}

/// Updates the project stored as `id` (which may be renamed to `config.id`).
/// Returns false when there is no such project.
pub async fn update_project(db: &Db, id: &ProjectId, config: &ProjectConfig) -> Result<bool, ProjectStoreError> {
    let (owner, name, url) = repository_columns(&config.repository);
    let result = sqlx::query(
        "UPDATE projects SET id = ?, repo_owner = ?, repo_name = ?, repo_url = ?, branch = ?, worker_id = ?,
         timeout_secs = ?, allow_ci_cd = ?, updated_at = ? WHERE id = ?",
    )
    .bind(config.id.as_str())
    .bind(owner)
    .bind(name)
    .bind(url)
    .bind(config.branch.as_str())
    .bind(config.worker.as_str())
    .bind(i64::from(config.timeout.secs()))
    .bind(config.allow_ci_cd)
    .bind(now())
    .bind(id.as_str())
    .execute(db)
    .await
    .map_err(|e| duplicate_or(e, &config.id))?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete_project(db: &Db, id: &ProjectId) -> Result<bool, ProjectStoreError> {
    let result = sqlx::query("DELETE FROM projects WHERE id = ?").bind(id.as_str()).execute(db).await?;
    Ok(result.rows_affected() == 1)
}

/// What the last sync saved: the compose file's name and commit.
#[derive(Debug, Clone, Default)]
pub struct SyncState {
    pub compose_file: Option<String>,
    pub synced_commit: Option<String>,
    pub synced_at: Option<String>,
    pub repo_token_enc: Option<Vec<u8>>,
}

pub async fn sync_state(db: &Db, id: &str) -> sqlx::Result<SyncState> {
    let row = sqlx::query("SELECT compose_file, synced_commit, synced_at, repo_token_enc FROM projects WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row
        .map(|r| SyncState {
            compose_file: r.get(0),
            synced_commit: r.get(1),
            synced_at: r.get(2),
            repo_token_enc: r.get(3),
        })
        .unwrap_or_default())
}

pub async fn record_sync(db: &Db, id: &str, compose_file: Option<&str>, commit: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE projects SET compose_file = ?, synced_commit = ?, synced_at = ? WHERE id = ?")
        .bind(compose_file)
        .bind(commit)
        .bind(now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_repo_token(db: &Db, id: &str, sealed: Option<&[u8]>) -> sqlx::Result<()> {
    sqlx::query("UPDATE projects SET repo_token_enc = ? WHERE id = ?").bind(sealed).bind(id).execute(db).await?;
    Ok(())
}

/// The worker a project is assigned to; None for an unknown project.
pub async fn worker_of(db: &Db, id: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT worker_id FROM projects WHERE id = ?").bind(id).fetch_optional(db).await
}
