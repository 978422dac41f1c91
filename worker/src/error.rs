//! Errors that stop the worker as a whole (job failures are reported, not returned).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The server refused the worker (wrong id or token, unsupported protocol): retrying
    /// would not help, so [`crate::run`] returns it.
    #[error("the server refused this worker: {reason}")]
    Refused { reason: String },
    #[error("invalid server URL `{url}`: {reason}")]
    InvalidServerUrl { url: String, reason: String },
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
