//! Server-side errors, and their single mapping to what the user sees.

use app::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("password hashing: {0}")]
    PasswordHash(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Config(String),
}

/// Maps an internal failure to the user-facing error, logging the detail once.
pub fn internal(error: impl Into<ServerError>) -> AppError {
    let error = error.into();
    tracing::error!(%error, "internal error");
    AppError::Internal
}

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> Self {
        internal(error)
    }
}
