//! The verdict on one service: is it as expected, and if not, why — its state, its
//! health, and drift since the last deployment (a container missing, replaced, started
//! by hand, or running another image).

use serde::{Deserialize, Serialize};

use super::{ContainerHealth, ContainerObservation, Deployed, Observed, ServiceState};
use crate::deployment::DeploymentId;
use crate::time::{short_duration, UnixTime};

crate::text_enum!(
    /// Whether a service is as it is expected to be, at a glance.
    pub enum Verdict {
        /// Nothing is expected of it (`unknown` is "not checked").
        Unchecked = "unchecked",
        /// What it does is not known: its worker is offline, or never reported it.
        Unknown = "unknown",
        Matching = "matching",
        Mismatch = "mismatch",
    }
);

/// Compares an expected state with a container's state. A one-off job expected to
/// have exited matches only once it exited with code 0.
pub fn verdict(expected: ServiceState, actual: Option<ServiceState>, exit_code: Option<i64>) -> Verdict {
    match (expected, actual) {
        (ServiceState::Unknown, _) => Verdict::Unchecked,
        (_, None) => Verdict::Unknown,
        (ServiceState::Exited, Some(ServiceState::Exited)) if exit_code.is_some_and(|c| c != 0) => Verdict::Mismatch,
        (expected, Some(actual)) if expected == actual => Verdict::Matching,
        _ => Verdict::Mismatch,
    }
}

/// One thing found about a service, in the order it is worth reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Finding {
    /// Its container is not in the expected state.
    State { expected: ServiceState, actual: ServiceState, exit_code: Option<i64>, since: Option<String> },
    /// Its health check fails.
    Unhealthy { since: Option<String> },
    /// Docker restarted it (a note: not a mismatch by itself).
    Restarted { count: u32 },
    /// It has no container.
    Missing,
    /// Its container is not the one the last deployment started (recreated outside NSM).
    Replaced { container: String },
    /// A container with its labels that no current deployment started: by hand
    /// (`deployment` none) or left from an older deployment.
    Foreign { container: String, deployment: Option<DeploymentId> },
    /// Its container runs an image other than the deployed one.
    OtherImage { image: String },
}

impl Finding {
    /// Whether it makes the service a mismatch (when anything is expected of it).
    pub fn is_mismatch(&self) -> bool {
        !matches!(self, Self::Restarted { .. })
    }

    /// In words; `now` turns times into "12 s ago".
    pub fn describe(&self, now: Option<UnixTime>) -> String {
        let ago = |since: &Option<String>| {
            let at = since.as_deref().and_then(UnixTime::parse);
            match (at, now) {
                (Some(at), Some(now)) => format!(" {} ago", short_duration(now.0 - at.0)),
                _ => String::new(),
            }
        };
        match self {
            Self::State { expected, actual, exit_code, since } => {
                let code = exit_code.filter(|_| actual.is_stopped()).map(|c| format!(" ({c})")).unwrap_or_default();
                format!("expected {expected} — {actual}{code}{}", ago(since))
            }
            Self::Unhealthy { since } => format!("health check unhealthy{}", ago(since)),
            Self::Restarted { count: 1 } => "restarted once".to_owned(),
            Self::Restarted { count } => format!("restarted {count} times"),
            Self::Missing => "no container".to_owned(),
            Self::Replaced { container } => {
                format!("replaced: container {} is not the one the last deployment started", short_id(container))
            }
            Self::Foreign { container, deployment: None } => {
                format!("container {} was started by hand with the project's labels", short_id(container))
            }
            Self::Foreign { container, deployment: Some(old) } => {
                format!("container {} is left from deployment #{old}", short_id(container))
            }
            Self::OtherImage { image } => format!("runs image {}, not the deployed one", short_id(image)),
        }
    }
}

/// Docker ids read best as their first twelve hex digits.
fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

/// Everything the Services tab says of one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub verdict: Verdict,
    /// The state of the container that speaks for the service (`None`: unknown, or none).
    pub actual: Option<ServiceState>,
    pub exit_code: Option<i64>,
    pub restarts: u32,
    pub health: Option<ContainerHealth>,
    /// When it entered its state, RFC 3339.
    pub since: Option<String>,
    pub findings: Vec<Finding>,
}

/// Judges a service from what its worker reports and what the last deployment left.
pub fn assess(expected: ServiceState, observed: &Observed, deployed: Option<&Deployed>) -> Assessment {
    let checked = expected != ServiceState::Unknown;
    let Observed::Reported(containers) = observed else {
        let verdict = if checked { Verdict::Unknown } else { Verdict::Unchecked };
        return Assessment {
            verdict,
            actual: None,
            exit_code: None,
            restarts: 0,
            health: None,
            since: None,
            findings: Vec::new(),
        };
    };
    let baseline = deployed.map(|d| d.deployment);
    let primary = primary(containers, deployed);
    let mut findings = Vec::new();
    match primary {
        None if checked || deployed.is_some_and(|d| d.container.is_some()) => findings.push(Finding::Missing),
        None => {}
        Some(c) => {
            if verdict(expected, Some(c.state), c.exit_code) == Verdict::Mismatch {
                let (actual, exit_code, since) = (c.state, c.exit_code, c.since.clone());
                findings.push(Finding::State { expected, actual, exit_code, since });
            }
            if c.health == Some(ContainerHealth::Unhealthy) {
                findings.push(Finding::Unhealthy { since: c.since.clone() });
            }
            if c.restarts > 0 {
                findings.push(Finding::Restarted { count: c.restarts });
            }
            if let Some(d) = deployed.filter(|d| c.deployment == Some(d.deployment)) {
                if d.container.as_ref().is_some_and(|id| *id != c.container) {
                    findings.push(Finding::Replaced { container: c.container.clone() });
                }
                if let (Some(image), Some(deployed_image)) = (&c.image, &d.image) {
                    if image != deployed_image {
                        findings.push(Finding::OtherImage { image: image.clone() });
                    }
                }
            }
        }
    }
    // A container of a newer deployment is one being started: not foreign.
    let foreign = |c: &ContainerObservation| match (c.deployment, baseline) {
        (None, _) => true,
        (Some(d), Some(base)) => d < base,
        (Some(_), None) => false,
    };
    for c in containers.iter().filter(|c| foreign(c)) {
        findings.push(Finding::Foreign { container: c.container.clone(), deployment: c.deployment });
    }
    let verdict = if !checked {
        Verdict::Unchecked
    } else if findings.iter().any(Finding::is_mismatch) {
        Verdict::Mismatch
    } else {
        Verdict::Matching
    };
    Assessment {
        verdict,
        actual: primary.map(|c| c.state),
        exit_code: primary.and_then(|c| c.exit_code),
        restarts: primary.map_or(0, |c| c.restarts),
        health: primary.and_then(|c| c.health),
        since: primary.and_then(|c| c.since.clone()),
        findings,
    }
}

/// The container that speaks for the service: the one the last deployment started,
/// else the one of the newest deployment, else any.
fn primary<'a>(
    containers: &'a [ContainerObservation],
    deployed: Option<&Deployed>,
) -> Option<&'a ContainerObservation> {
    let started = deployed.and_then(|d| d.container.as_ref());
    started
        .and_then(|id| containers.iter().find(|c| &c.container == id))
        .or_else(|| containers.iter().filter(|c| c.deployment.is_some()).max_by_key(|c| c.deployment))
        .or(containers.first())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(id: &str, state: ServiceState, deployment: Option<i64>) -> ContainerObservation {
        ContainerObservation {
            container: id.to_owned(),
            state,
            exit_code: state.is_stopped().then_some(0),
            restarts: 0,
            health: None,
            image: Some("sha256:aaaa".to_owned()),
            deployment: deployment.map(DeploymentId),
            since: Some("2026-12-02T10:00:00Z".to_owned()),
        }
    }

    fn deployed(id: &str) -> Deployed {
        Deployed { deployment: DeploymentId(4), container: Some(id.to_owned()), image: Some("sha256:aaaa".to_owned()) }
    }

    fn reported(containers: Vec<ContainerObservation>) -> Observed {
        Observed::Reported(containers)
    }

    #[test]
    fn the_deployed_container_in_its_state_matches() {
        let observed = reported(vec![container("c1", ServiceState::Running, Some(4))]);
        let a = assess(ServiceState::Running, &observed, Some(&deployed("c1")));
        assert_eq!((a.verdict, a.actual), (Verdict::Matching, Some(ServiceState::Running)));
        assert!(a.findings.is_empty());
    }

    #[test]
    fn a_stopped_service_says_what_and_when() {
        let mut c = container("c1", ServiceState::Exited, Some(4));
        c.exit_code = Some(137);
        let a = assess(ServiceState::Running, &reported(vec![c]), Some(&deployed("c1")));
        assert_eq!(a.verdict, Verdict::Mismatch);
        let now = UnixTime::parse("2026-12-02T10:00:12Z");
        assert_eq!(a.findings[0].describe(now), "expected running — exited (137) 12 s ago");
    }

    #[test]
    fn a_job_matches_after_exit_zero_only() {
        let mut job = container("c1", ServiceState::Exited, Some(4));
        let a = assess(ServiceState::Exited, &reported(vec![job.clone()]), Some(&deployed("c1")));
        assert_eq!(a.verdict, Verdict::Matching);
        job.exit_code = Some(1);
        let a = assess(ServiceState::Exited, &reported(vec![job]), Some(&deployed("c1")));
        assert_eq!(a.verdict, Verdict::Mismatch);
        assert_eq!(a.findings[0].describe(None), "expected exited — exited (1)");
    }

    #[test]
    fn unhealthy_is_a_mismatch_and_restarts_are_a_note() {
        let mut c = container("c1", ServiceState::Running, Some(4));
        c.restarts = 3;
        let a = assess(ServiceState::Running, &reported(vec![c.clone()]), Some(&deployed("c1")));
        assert_eq!(a.verdict, Verdict::Matching);
        assert_eq!(a.findings[0].describe(None), "restarted 3 times");
        c.health = Some(ContainerHealth::Unhealthy);
        let a = assess(ServiceState::Running, &reported(vec![c]), Some(&deployed("c1")));
        assert_eq!(a.verdict, Verdict::Mismatch);
    }

    #[test]
    fn drift_since_the_deployment_is_found() {
        let base = deployed("c1");
        let missing = assess(ServiceState::Running, &reported(vec![]), Some(&base));
        assert_eq!(missing.findings, vec![Finding::Missing]);
        assert_eq!(missing.verdict, Verdict::Mismatch);

        let recreated = container("c2", ServiceState::Running, Some(4));
        let a = assess(ServiceState::Running, &reported(vec![recreated]), Some(&base));
        assert_eq!(a.findings, vec![Finding::Replaced { container: "c2".into() }]);

        let mut other = container("c1", ServiceState::Running, Some(4));
        other.image = Some("sha256:bbbbbbbbbbbbbbbbbbbb".into());
        let a = assess(ServiceState::Running, &reported(vec![other]), Some(&base));
        assert_eq!(a.findings[0].describe(None), "runs image bbbbbbbbbbbb, not the deployed one");

        let by_hand = container("c9", ServiceState::Running, None);
        let a = assess(
            ServiceState::Running,
            &reported(vec![container("c1", ServiceState::Running, Some(4)), by_hand]),
            Some(&base),
        );
        assert_eq!(a.verdict, Verdict::Mismatch);
        assert_eq!(a.findings, vec![Finding::Foreign { container: "c9".into(), deployment: None }]);
        assert!(a.findings[0].describe(None).contains("started by hand"));
    }

    #[test]
    fn a_deployment_in_progress_is_not_drift() {
        let newer = container("c5", ServiceState::Running, Some(5));
        let a = assess(ServiceState::Running, &reported(vec![newer]), Some(&deployed("c1")));
        assert_eq!((a.verdict, a.findings.len()), (Verdict::Matching, 0));
    }

    #[test]
    fn unknown_and_unchecked() {
        assert_eq!(assess(ServiceState::Running, &Observed::Unknown, None).verdict, Verdict::Unknown);
        assert_eq!(assess(ServiceState::Unknown, &Observed::Unknown, None).verdict, Verdict::Unchecked);
        let dead = reported(vec![container("c1", ServiceState::Dead, Some(4))]);
        assert_eq!(assess(ServiceState::Unknown, &dead, Some(&deployed("c1"))).verdict, Verdict::Unchecked);
        assert_eq!(verdict(ServiceState::Running, None, None), Verdict::Unknown);
    }
}
