//! A compose service's expected state, and the states Docker reports.

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
}
