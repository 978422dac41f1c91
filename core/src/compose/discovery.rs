//! Putting a checkout's root files together into what NSM compares with its
//! configuration.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{dotenv_names, parse_compose, pick_compose_file, ComposeError, ServiceName};
use crate::env::EnvName;

/// What a repository's root files declare.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// The compose file Compose would use, if there is one.
    pub compose_file: Option<String>,
    /// Its services, in file order.
    pub services: Vec<ServiceName>,
    /// Names defined in root `.env*` files or interpolated by the compose file.
    pub variables: BTreeSet<EnvName>,
}

/// The compose file could not be read; names the file for the person fixing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {error}")]
pub struct DiscoveryError {
    pub file: String,
    #[source]
    pub error: ComposeError,
}

/// Discovers services and variables from `files`: every file at the repository root,
/// as (name, content).
pub fn discover(files: &[(String, String)]) -> Result<Discovery, DiscoveryError> {
    let mut discovery = Discovery::default();
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    if let Some(compose_name) = pick_compose_file(&names) {
        let content = files.iter().find(|(name, _)| name == compose_name).map_or("", |(_, content)| content.as_str());
        let compose =
            parse_compose(content).map_err(|error| DiscoveryError { file: compose_name.to_owned(), error })?;
        discovery.compose_file = Some(compose_name.to_owned());
        discovery.services = compose.services;
        discovery.variables = compose.variables;
    }
    for (name, content) in files {
        if name.starts_with(".env") {
            discovery.variables.extend(dotenv_names(content));
        }
    }
    Ok(discovery)
}
