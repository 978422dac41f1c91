//! Major changes: differences between the saved configuration and a fresh checkout
//! that stop a deployment until someone reviews the configuration.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::compose::{Discovery, ServiceName};
use crate::env::EnvName;

/// The parts of a project's saved configuration that a checkout is compared with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedShape {
    /// Whether the configuration was made for a repository with a compose file.
    pub compose_file: bool,
    pub services: BTreeSet<ServiceName>,
    pub variables: BTreeSet<EnvName>,
}

/// One difference that needs a person's review before deploying.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum MajorChange {
    /// The repository now has a compose file (its name).
    ComposeFileAdded(String),
    ComposeFileRemoved,
    ServiceAdded(ServiceName),
    ServiceRemoved(ServiceName),
    /// A variable name the repository uses that is not configured.
    VariableAdded(EnvName),
}

impl fmt::Display for MajorChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ComposeFileAdded(file) => {
                write!(f, "a compose file (`{file}`) was added to the repository")
            }
            Self::ComposeFileRemoved => f.write_str("the compose file was removed from the repository"),
            Self::ServiceAdded(name) => write!(f, "service `{name}` was added to the compose file"),
            Self::ServiceRemoved(name) => {
                write!(f, "service `{name}` was removed from the compose file")
            }
            Self::VariableAdded(name) => {
                write!(f, "variable `{name}` is used by the repository but is not configured")
            }
        }
    }
}

/// The major changes between `saved` and `found`, compose file first, then services,
/// then variables, each group in name order.
pub fn major_changes(saved: &SavedShape, found: &Discovery) -> Vec<MajorChange> {
    let mut changes = Vec::new();
    match (saved.compose_file, &found.compose_file) {
        (false, Some(file)) => changes.push(MajorChange::ComposeFileAdded(file.clone())),
        (true, None) => changes.push(MajorChange::ComposeFileRemoved),
        _ => {}
    }
    let found_services: BTreeSet<&ServiceName> = found.services.iter().collect();
    changes.extend(
        saved
            .services
            .iter()
            .filter(|name| !found_services.contains(name))
            .map(|name| MajorChange::ServiceRemoved(name.clone())),
    );
    changes.extend(
        found_services
            .iter()
            .filter(|name| !saved.services.contains(**name))
            .map(|name| MajorChange::ServiceAdded((*name).clone())),
    );
    changes.extend(found.variables.difference(&saved.variables).map(|name| MajorChange::VariableAdded(name.clone())));
    changes
}

/// Configured variables the repository no longer mentions: kept with their values and
/// shown as unused, never a reason to stop a deployment.
pub fn unused_variables(saved: &SavedShape, found: &Discovery) -> BTreeSet<EnvName> {
    saved.variables.difference(&found.variables).cloned().collect()
}

#[cfg(test)]
mod tests;
