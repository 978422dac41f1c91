//! The control plane's error policy.
//!
//! * **Storage** (`db`) returns `sqlx::Error`, or a small per-table enum where a
//!   constraint means something to the user (`ProjectStoreError::Duplicate`,
//!   `EdgeStoreError::HostnameTaken`). It never decides what the user sees.
//! * **Services** (`deploy`, `edge`, `hub`, `activity`, `secrets`) have one
//!   `thiserror` enum each (`DeployError`, `EdgeError`, `HubError`, `SecretError`).
//!   A deployment's failure reason is written for the user (it is shown word for word),
//!   so the types that carry one (`SpecError`, `roles::PublishFailure`) say it plainly.
//! * **Application services** (`control_plane`) map those once into
//!   [`app::error::AppError`], the only error that reaches the browser: a missing row
//!   is `NotFound`, a refused constraint a field error, and anything unexpected goes
//!   through [`internal`] — logged here, once, in the request's span, and answered as
//!   a 500 ("the details are in its log"). A store failure is never disguised as
//!   "not found" or "unauthorized".
//! * **HTTP** (`http::api`) does the same for JSON routes with
//!   `http::api::status::internal_error`.
//! * **Start-up and the command line** return [`ServerError`], printed by `main`.
//!
//! `Result<_, String>` is not used; `let _ =` only where losing the value is the
//! intent, with a comment saying why.

use app::error::AppError;

use crate::deploy::DeployError;
use crate::edge::EdgeError;
use crate::secrets::SecretError;

/// Why the server could not start, or a command-line operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Open(#[from] crate::db::OpenError),
    #[error("password hashing: {0}")]
    PasswordHash(argon2::password_hash::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("secrets: {0}")]
    Secrets(#[from] SecretError),
    #[error("deployments: {0}")]
    Deploy(#[from] DeployError),
    #[error("edge: {0}")]
    Edge(#[from] EdgeError),
    /// The embedded worker's machine or edge cannot be used (no nginx, a port taken…).
    #[error("the embedded worker: {0}")]
    LocalWorker(#[from] nsm_worker::WorkerError),
    #[error("{0}")]
    Site(#[from] crate::settings::SiteConfigError),
    #[error("settings: {0}")]
    Settings(#[from] crate::runtime_settings::RuntimeSettingsError),
    #[error("{0}")]
    Invalid(String),
    #[error("user {0} already exists")]
    UserExists(String),
    #[error("the server task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A form field refused, in the field's own words.
pub fn field(name: &str, message: impl Into<String>) -> AppError {
    let mut errors = nsm_core::FieldErrors::new();
    errors.add(name, nsm_core::FieldError::new(message.into()));
    errors.into()
}

/// Maps an unexpected failure (a store, the file system, a worker's protocol error…)
/// to the user-facing 500, logging the detail once, in the span of the request.
pub fn internal(error: impl std::fmt::Display) -> AppError {
    tracing::error!(%error, "internal error");
    AppError::Internal
}

impl From<ServerError> for AppError {
    fn from(error: ServerError) -> Self {
        internal(error)
    }
}
