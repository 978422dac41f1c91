//! SQLite storage: one file in the data directory, WAL mode, migrations at start-up.

pub mod api_tokens;
pub mod audit;
pub mod ci;
pub mod containers;
pub mod deployment_config;
pub mod deployments;
pub mod domains;
pub mod edge;
pub mod github;
pub mod history;
pub mod logs;
pub mod projects;
pub mod services;
pub mod sessions;
pub mod settings;
pub mod sites;
pub mod users;
pub mod variables;
pub mod workers;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub type Db = SqlitePool;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Why the database cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database file {path}: {source}")]
    File { path: String, source: std::io::Error },
}

/// Opens (creating if needed) the database file and applies pending migrations.
pub async fn open(path: &Path) -> Result<Db, OpenError> {
    make_private(path).await.map_err(|source| OpenError::File { path: path.display().to_string(), source })?;
    let url = format!("sqlite://{}", path.display());
    let options = SqliteConnectOptions::from_str(&url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// The database file is its owner's only (mode 0600): created so before SQLite opens
/// it (an empty file is a new database), narrowed when an older start left it wider.
/// SQLite gives its `-wal` and `-shm` files the database file's mode.
async fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let mode = tokio::fs::metadata(path).await?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).await?;
            tracing::warn!(path = %path.display(), was = format!("{mode:o}"), "the database file was readable by others; it is now 0600");
        }
    }
    Ok(())
}

/// Timestamps are stored as RFC 3339 UTC strings with second precision, which sort
/// and compare correctly as text.
pub fn now() -> String {
    timestamp(chrono::Utc::now())
}

pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
