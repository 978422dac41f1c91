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

/// A project's services at a glance: how many match what is expected of them, and
/// which do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceHealth {
    pub matching: u32,
    /// The services that are not as expected, by name.
    pub mismatching: Vec<String>,
    /// Expected something, state unknown (worker offline, not reported yet).
    pub unknown: u32,
    /// Nothing expected of them.
    pub unchecked: u32,
}

impl ServiceHealth {
    /// Counts `(name, expected, actual)` triples.
    pub fn of<'a>(services: impl IntoIterator<Item = (&'a str, ServiceState, Option<ServiceState>)>) -> Self {
        let mut health = Self::default();
        for (name, expected, actual) in services {
            match verdict(expected, actual) {
                Verdict::Matching => health.matching += 1,
                Verdict::Mismatch => health.mismatching.push(name.to_owned()),
                Verdict::Unknown => health.unknown += 1,
                Verdict::Unchecked => health.unchecked += 1,
            }
        }
        health
    }

    /// The project's verdict: a mismatch anywhere wins, then unknown states.
    pub fn verdict(&self) -> Verdict {
        if !self.mismatching.is_empty() {
            Verdict::Mismatch
        } else if self.unknown > 0 {
            Verdict::Unknown
        } else if self.matching > 0 {
            Verdict::Matching
        } else {
            Verdict::Unchecked
        }
    }

    /// In words, for the project list and the dashboard.
    pub fn summary(&self) -> String {
        match self.verdict() {
            Verdict::Mismatch => format!("{} mismatching: {}", self.mismatching.len(), self.mismatching.join(", ")),
            Verdict::Unknown => format!("{} unknown (worker offline or not reported yet)", self.unknown),
            Verdict::Matching => format!("all {} matching", self.matching),
            Verdict::Unchecked => "nothing checked".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_mismatches_when_any_service_does() {
        let running = Some(ServiceState::Running);
        let health = ServiceHealth::of([
            ("web", ServiceState::Running, running),
            ("api", ServiceState::Running, Some(ServiceState::Exited)),
            ("job", ServiceState::Unknown, None),
        ]);
        assert_eq!(health.verdict(), Verdict::Mismatch);
        assert_eq!(health.summary(), "1 mismatching: api");
        let fine = ServiceHealth::of([("web", ServiceState::Running, running)]);
        assert_eq!(fine.summary(), "all 1 matching");
        assert_eq!(ServiceHealth::of([("web", ServiceState::Running, None)]).verdict(), Verdict::Unknown);
        assert_eq!(ServiceHealth::default().verdict(), Verdict::Unchecked);
    }

    #[test]
    fn a_service_matches_only_what_it_is_expected_to_be() {
        assert_eq!(verdict(ServiceState::Running, Some(ServiceState::Running)), Verdict::Matching);
        assert_eq!(verdict(ServiceState::Running, Some(ServiceState::Exited)), Verdict::Mismatch);
        assert_eq!(verdict(ServiceState::Exited, Some(ServiceState::Exited)), Verdict::Matching);
        assert_eq!(verdict(ServiceState::Running, None), Verdict::Unknown);
        assert_eq!(verdict(ServiceState::Unknown, Some(ServiceState::Dead)), Verdict::Unchecked);
    }
}
