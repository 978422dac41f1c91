//! What a repository checkout tells NSM about a project: its compose file, the services
//! in it and the variable names it uses. Pure: callers hand in file names and contents.

mod discovery;
mod dotenv_names;
mod interpolation;
mod limits;
mod override_file;
mod services;

pub use discovery::{discover, Discovery, DiscoveryError};
pub use dotenv_names::dotenv_names;
pub use interpolation::interpolated_names;
pub use limits::{
    load_bounded, ComposeLimit, MAX_COMPOSE_BYTES, MAX_COMPOSE_DEPTH, MAX_COMPOSE_NODES, MAX_EXPANDED_BYTES,
    MAX_INTERPOLATION_DEPTH,
};
pub use override_file::{render_override, LABEL_DEPLOYMENT, LABEL_PROJECT, LABEL_SERVICE, OVERRIDE_FILE_NAME};
pub use services::{parse_compose, parse_services, ComposeFile};

use crate::validation::FieldError;

/// The compose file names Docker Compose looks for, in its order of preference.
pub const COMPOSE_FILE_NAMES: [&str; 4] = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

/// The compose file Docker Compose would use among `names` (a repository root listing).
pub fn pick_compose_file<S: AsRef<str>>(names: &[S]) -> Option<&'static str> {
    COMPOSE_FILE_NAMES.into_iter().find(|wanted| names.iter().any(|name| name.as_ref() == *wanted))
}

crate::validated_string!(
    /// A key under `services:`: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, as Docker Compose accepts.
    ServiceName,
    check_service_name
);

fn check_service_name(value: &str) -> Result<(), FieldError> {
    let mut chars = value.chars();
    match chars.next() {
        None => return Err(FieldError::new("Service name is required")),
        Some(c) if !c.is_ascii_alphanumeric() => {
            return Err(FieldError::new("Service name must start with a letter or a digit"))
        }
        Some(_) => {}
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return Err(FieldError::new("Service name may contain only letters, digits, `_`, `.` and `-`"));
    }
    Ok(())
}

/// Why a compose file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComposeError {
    #[error("the compose file is not valid YAML: {0}")]
    InvalidYaml(String),
    #[error("the compose file is empty")]
    Empty,
    #[error("the compose file must be a mapping at its top level")]
    NotAMapping,
    #[error("the compose file has no `services:` section")]
    MissingServices,
    #[error("`services:` in the compose file must be a mapping of service names")]
    ServicesNotAMapping,
    #[error("`{name}` is not a valid service name: {reason}")]
    InvalidServiceName { name: String, reason: FieldError },
    /// A bound that keeps reading the file cheap (see [`limits`]).
    #[error("the compose file is refused: {0}")]
    TooLarge(ComposeLimit),
}

#[cfg(test)]
mod limit_tests;
#[cfg(test)]
mod tests;
