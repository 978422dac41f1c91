//! A compose service's expected state, and the states Docker reports.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The eight states a service can be expected to be in. `Unknown` means "not checked".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    #[default]
    Unknown,
    Running,
    Exited,
    Created,
    Paused,
    Restarting,
    Removing,
    Dead,
}

impl ServiceState {
    pub const ALL: [ServiceState; 8] = [
        Self::Unknown,
        Self::Running,
        Self::Exited,
        Self::Created,
        Self::Paused,
        Self::Restarting,
        Self::Removing,
        Self::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Running => "running",
            Self::Exited => "exited",
            Self::Created => "created",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Dead => "dead",
        }
    }

    /// Reads Docker's container state word (`running`, `exited`, …).
    pub fn from_docker(state: &str) -> Self {
        Self::ALL.into_iter().find(|s| s.as_str() == state).unwrap_or(Self::Unknown)
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

impl fmt::Display for ServiceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
