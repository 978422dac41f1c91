//! Why a deployment did not succeed, as the pipeline's stages return it. It becomes
//! the report's [`DeployOutcome`] (and so the reason users read) in one place:
//! [`DeployError::into_outcome`], when the report is written.

use std::process::ExitStatus;

use nsm_core::changes::MajorChange;
use nsm_core::protocol::{DeployOutcome, ServiceResult};

use crate::machine::compose::RunError;
use crate::machine::docker::EngineError;
use crate::machine::git::GitError;
use crate::machine::limits::Stop;
use crate::machine::ports::NoFreePort;
use crate::machine::MachineError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum DeployError {
    /// Cancelled or out of time while doing `during`.
    #[error("stopped while {during}")]
    Stopped { stop: Stop, during: &'static str },
    /// Major changes: production was not touched.
    #[error("{} change(s) need a review of the configuration", .0.len())]
    Rejected(Vec<MajorChange>),
    #[error("Docker Compose is not installed on this worker (neither `docker compose` nor `docker-compose` answers)")]
    NoComposeCli,
    #[error("cannot create {}: {source}", path.display())]
    ProjectDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Clone(#[from] GitError),
    /// Reading the checkout, resolving paths.
    #[error(transparent)]
    Machine(#[from] MachineError),
    #[error("the repository has no compose file at its root")]
    NoComposeFile,
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("resource `{resource}`: {source}")]
    NoFreePort {
        resource: String,
        #[source]
        source: NoFreePort,
    },
    #[error("cannot write .env: {0}")]
    Dotenv(#[source] nsm_core::env::EnvError),
    /// `.env` or the override could not be written into the staged checkout.
    #[error("writing NSM's files into the checkout failed: {0}")]
    Generated(#[source] MachineError),
    /// Compose could not resolve the configuration the policy is checked on.
    #[error(transparent)]
    Config(#[from] super::policy::ConfigError),
    /// The compose file asks for something this worker's policy refuses.
    #[error(transparent)]
    Policy(#[from] nsm_core::worker_policy::PolicyError),
    #[error("installing the checkout failed: {0}")]
    Install(#[source] MachineError),
    #[error("starting the services failed: compose `up` ended with {0}")]
    ComposeUp(ExitStatus),
    /// Compose failed while the Docker daemon stopped or restarted under it.
    #[error(
        "starting the services failed: the Docker daemon stopped or restarted while compose `up` ran (it ended with {0}); \
         deploy again once Docker is up"
    )]
    DockerWentAway(ExitStatus),
    #[error(transparent)]
    ComposeRun(RunError),
    #[error("removing the previous deployment's containers failed: {0}")]
    Sweep(#[source] EngineError),
    #[error("the project's containers could not be inspected")]
    Uninspectable,
    #[error("{}", unsettled_reason(.0))]
    Unsettled(Vec<ServiceResult>),
    /// The control plane could not render the project's nginx file.
    #[error("nginx configuration: {0}")]
    EdgePlan(#[source] nsm_core::protocol::JobFailure),
    #[error(transparent)]
    Publish(#[from] crate::edge::PublishError),
    #[error(transparent)]
    NotServed(#[from] crate::edge::VerifyError),
}

impl DeployError {
    /// The report's outcome: the one place a deployment's failure becomes text.
    pub fn into_outcome(self, timeout_secs: u32) -> DeployOutcome {
        match self {
            Self::Stopped { stop: Stop::Cancelled, during } => {
                DeployOutcome::Cancelled { reason: format!("cancelled while {during}") }
            }
            Self::Stopped { stop: Stop::TimedOut, during } => DeployOutcome::TimedOut {
                reason: format!("the deployment exceeded its timeout of {timeout_secs} s while {during}"),
            },
            Self::Rejected(changes) => DeployOutcome::Rejected { changes },
            other => DeployOutcome::Failed { reason: other.to_string() },
        }
    }

    /// A failed compose run: stopped, or failed to run.
    pub fn compose_run(during: &'static str, error: RunError) -> Self {
        match error.stop() {
            Some(stop) => Self::Stopped { stop, during },
            None => Self::ComposeRun(error),
        }
    }
}

fn unsettled_reason(pending: &[ServiceResult]) -> String {
    let described: Vec<String> = pending.iter().map(describe).collect();
    match described.len() {
        0 => "the services did not settle".to_owned(),
        1 => format!("service {} did not reach its expected state", described.join("")),
        _ => format!("services did not reach their expected states: {}", described.join("; ")),
    }
}

/// A service's state against its expectation, e.g. "`api` is exited (exit code 2),
/// expected running".
pub(crate) fn describe(result: &ServiceResult) -> String {
    let exit = result.exit_code.map(|code| format!(" (exit code {code})")).unwrap_or_default();
    format!("`{}` is {}{exit}, expected {}", result.service, result.actual, result.expected)
}

#[cfg(test)]
mod tests {
    use nsm_core::service::ServiceState;

    use super::*;

    #[test]
    fn stops_rejections_and_failures_become_their_outcomes() {
        let stopped = |stop| DeployError::Stopped { stop, during: "cloning the repository" };
        assert_eq!(
            stopped(Stop::Cancelled).into_outcome(60),
            DeployOutcome::Cancelled { reason: "cancelled while cloning the repository".to_owned() }
        );
        assert_eq!(
            stopped(Stop::TimedOut).into_outcome(60),
            DeployOutcome::TimedOut {
                reason: "the deployment exceeded its timeout of 60 s while cloning the repository".to_owned()
            }
        );
        assert_eq!(DeployError::Rejected(vec![]).into_outcome(60), DeployOutcome::Rejected { changes: vec![] });
        let install = DeployError::Install(MachineError::ResourceName("a/b".to_owned()));
        assert_eq!(
            install.into_outcome(60),
            DeployOutcome::Failed {
                reason: "installing the checkout failed: `a/b` cannot name a resource directory (use letters, \
                         digits, `-`, `_`, `.`)"
                    .to_owned()
            }
        );
    }

    #[test]
    fn unsettled_services_are_described() {
        let result = |service: &str, exit_code| ServiceResult {
            service: service.to_owned(),
            expected: ServiceState::Running,
            actual: ServiceState::Exited,
            exit_code,
            ok: false,
            container: None,
            image: None,
        };
        assert_eq!(
            DeployError::Unsettled(vec![result("api", Some(2))]).to_string(),
            "service `api` is exited (exit code 2), expected running did not reach its expected state"
        );
        assert!(DeployError::Unsettled(vec![result("a", None), result("b", None)])
            .to_string()
            .starts_with("services did not reach their expected states: `a` is exited, expected running; "));
    }
}
