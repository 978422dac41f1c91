//! Server functions: the browser's API. Each one runs on the server, checks the
//! session, validates with the shared crate and calls the control plane.
//! Who may call which is one table, [`access`], enforced by the server's guard.

pub mod access;
pub mod audit;
pub mod auth;
pub mod ci;
pub mod config_file;
pub mod deployments;
pub mod domains;
pub mod environment;
pub mod github;
pub mod plan;
pub mod projects;
pub mod settings;
pub mod team;
pub mod variables;
pub mod workers;

/// Where every server function is mounted; the server's session guard keys on it.
pub const PREFIX: &str = "/api/fn";

/// A project id from a request: one that cannot exist is simply not found.
#[cfg(feature = "ssr")]
pub(crate) fn project_id(id: &str) -> Result<nsm_core::ProjectId, crate::error::AppError> {
    nsm_core::ProjectId::parse(id).map_err(|_| crate::error::AppError::NotFound(format!("Project {id:?}")))
}
