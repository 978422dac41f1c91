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

/// Whether a service is as it is expected to be, at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing is expected of it (`unknown` is "not checked").
    Unchecked,
    /// What it does is not known: its worker is offline, or never reported it.
    Unknown,
    Matching,
    Mismatch,
}

/// Compares what a service is expected to be with what Docker last said it is.
pub fn verdict(expected: ServiceState, actual: Option<ServiceState>) -> Verdict {
    match (expected, actual) {
        (ServiceState::Unknown, _) => Verdict::Unchecked,
        (_, None) => Verdict::Unknown,
        (expected, Some(actual)) if expected == actual => Verdict::Matching,
        _ => Verdict::Mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_matches_only_what_it_is_expected_to_be() {
        assert_eq!(verdict(ServiceState::Running, Some(ServiceState::Running)), Verdict::Matching);
        assert_eq!(verdict(ServiceState::Running, Some(ServiceState::Exited)), Verdict::Mismatch);
        assert_eq!(verdict(ServiceState::Exited, Some(ServiceState::Exited)), Verdict::Matching);
        assert_eq!(verdict(ServiceState::Running, None), Verdict::Unknown);
        assert_eq!(verdict(ServiceState::Unknown, Some(ServiceState::Dead)), Verdict::Unchecked);
    }
}
