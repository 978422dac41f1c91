//! A deployment job as the worker receives it and reports it back.

use serde::{Deserialize, Serialize};

use crate::changes::{MajorChange, SavedShape};
use crate::deployment::DeploymentId;
use crate::env::EnvName;
use crate::project::ProjectId;
use crate::service::ServiceState;

/// Everything a worker needs to deploy one project, resolved by the server except
/// the values only the worker's machine knows (ports, paths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploySpec {
    pub deployment: DeploymentId,
    pub project: ProjectId,
    pub source: super::RepoSource,
    /// Check out this commit of the branch instead of its tip (a redeploy of an
    /// earlier deployment); the worker fails the deployment if it cannot have it.
    #[serde(default)]
    pub commit: Option<String>,
    /// The saved configuration, for major-change detection.
    pub saved: SavedShape,
    /// Every variable, in order; `.env` is rendered from these.
    pub variables: Vec<JobVariable>,
    /// Ports leased to other resources on this worker: never hand these out.
    pub reserved_ports: Vec<u16>,
    /// Static resources whose directories are recreated empty on every deploy.
    pub directories: Vec<String>,
    /// Services with a known expected state are settled against it.
    pub services: Vec<ServiceExpectation>,
    pub timeout_secs: u32,
    /// How long settling may take (within the timeout) before it is a failure.
    pub settle_secs: u32,
    /// What the worker's admin allows the compose file to do to the node; enforced by
    /// the worker in prepare. Absent: nothing is allowed.
    #[serde(default)]
    pub policy: crate::worker_policy::WorkerPolicy,
    /// Recreate every service ("restart everything"), even those whose image and
    /// configuration did not change (`compose up --force-recreate`). Absent: only what
    /// changed is recreated.
    #[serde(default)]
    pub force_recreate: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobVariable {
    pub name: EnvName,
    pub value: JobValue,
}

/// A variable's value as the worker sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum JobValue {
    /// Resolved by the server; `secret` values are masked in reports.
    Text {
        text: String,
        secret: bool,
    },
    /// `<data dir>/projects/<project>/volume`
    Volume,
    /// `<data dir>/projects/<project>/www/<resource>`
    Directory {
        resource: String,
    },
    /// A free TCP port for this resource, keeping `preferred` while it stays free
    /// (or is held by this project's own containers).
    Port {
        resource: String,
        preferred: Option<u16>,
    },
    WorkerNodeId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceExpectation {
    pub service: String,
    pub expected: ServiceState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployPhase {
    Preparing,
    Starting,
    Settling,
}

crate::text_enum!(
    /// Which stream a deployment's log line came from.
    pub enum LogStream {
        /// NSM's own narration of the pipeline.
        System = "system",
        Stdout = "stdout",
        Stderr = "stderr",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// RFC 3339 UTC.
    pub at: String,
    pub stream: LogStream,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DeployOutcome {
    Succeeded,
    Failed {
        reason: String,
    },
    TimedOut {
        reason: String,
    },
    Cancelled {
        reason: String,
    },
    /// Stopped at major-change detection; production was not touched.
    Rejected {
        changes: Vec<MajorChange>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployReport {
    pub outcome: DeployOutcome,
    /// The commit checked out, once cloning succeeded.
    pub commit: Option<String>,
    /// The `.env` as written, secret values replaced by `********`.
    pub env_masked: Option<String>,
    /// The compose override NSM added (labels), as written.
    pub compose_override: Option<String>,
    /// Ports chosen for Port references: (resource, port).
    pub ports: Vec<(String, u16)>,
    pub services: Vec<ServiceResult>,
    /// What the publish step did (`None`: it did not run).
    pub edge: Option<super::EdgeReport>,
    /// Every container of the project the deployment started, kept or removed (empty:
    /// it did not get to replace anything, or the worker is older).
    #[serde(default)]
    pub containers: Vec<ContainerAccount>,
}

/// What a deployment did with one container of its project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerAccount {
    /// The compose service (`None`: the container had none, e.g. started by hand).
    pub service: Option<String>,
    pub container: String,
    pub action: ContainerAction,
    /// The deployment that accounted for it before (kept or removed ones; `None`: none
    /// did, or it is new).
    #[serde(default)]
    pub previous: Option<DeploymentId>,
}

crate::text_enum!(
    /// What a deployment did with a container.
    pub enum ContainerAction {
        /// Created by this deployment (new, or recreated because it changed).
        Started = "started",
        /// Left running as it was: its image and configuration did not change.
        Kept = "kept",
        /// Removed: no longer part of the project (a service gone from the compose
        /// file, a one-off, one started by hand), or left by an interrupted deployment.
        Removed = "removed",
    }
);

impl DeployReport {
    /// A report for a job that ended before anything ran.
    pub fn early(outcome: DeployOutcome) -> Self {
        Self {
            outcome,
            commit: None,
            env_masked: None,
            compose_override: None,
            ports: Vec::new(),
            services: Vec::new(),
            edge: None,
            containers: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceResult {
    pub service: String,
    pub expected: ServiceState,
    pub actual: ServiceState,
    /// Exit code, when the container exited.
    pub exit_code: Option<i64>,
    pub ok: bool,
    /// The container that speaks for the service, and its image: the baseline the
    /// service's drift is measured against until the next deployment.
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
}
