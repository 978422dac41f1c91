//! A project's services counted by verdict.

use super::Verdict;

/// A project's services at a glance: how many match what is expected of them, and
/// which do not.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Counts `(name, verdict)` pairs.
    pub fn of<'a>(services: impl IntoIterator<Item = (&'a str, Verdict)>) -> Self {
        let mut health = Self::default();
        for (name, verdict) in services {
            match verdict {
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
        let health =
            ServiceHealth::of([("web", Verdict::Matching), ("api", Verdict::Mismatch), ("job", Verdict::Unchecked)]);
        assert_eq!(health.verdict(), Verdict::Mismatch);
        assert_eq!(health.summary(), "1 mismatching: api");
        let fine = ServiceHealth::of([("web", Verdict::Matching)]);
        assert_eq!(fine.summary(), "all 1 matching");
        assert_eq!(ServiceHealth::of([("web", Verdict::Unknown)]).verdict(), Verdict::Unknown);
        assert_eq!(ServiceHealth::default().verdict(), Verdict::Unchecked);
    }
}
