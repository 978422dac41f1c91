//! The states Docker reports, and the health of a container with a health check.

crate::text_enum!(
    /// The eight states a service can be expected to be in. `Unknown` means "not checked".
    pub enum ServiceState {
        Unknown = "unknown",
        Running = "running",
        Exited = "exited",
        Created = "created",
        Paused = "paused",
        Restarting = "restarting",
        Removing = "removing",
        Dead = "dead",
    }
);

// Written out: `text_enum!` derives a fixed set, and Default is not in it.
#[allow(clippy::derivable_impls)]
impl Default for ServiceState {
    fn default() -> Self {
        Self::Unknown
    }
}

impl ServiceState {
    /// Reads Docker's container state word (`running`, `exited`, …).
    pub fn from_docker(state: &str) -> Self {
        Self::parse(state).unwrap_or(Self::Unknown)
    }

    /// Stopped for good (until something starts it again).
    pub fn is_stopped(self) -> bool {
        matches!(self, Self::Exited | Self::Dead)
    }
}

crate::text_enum!(
    /// What a container's health check says (containers without one have none).
    pub enum ContainerHealth {
        Starting = "starting",
        Healthy = "healthy",
        Unhealthy = "unhealthy",
    }
);

impl ContainerHealth {
    /// Reads Docker's `State.Health.Status` (`none` and unknown words: no check).
    pub fn from_docker(status: &str) -> Option<Self> {
        Self::parse(status)
    }
}
