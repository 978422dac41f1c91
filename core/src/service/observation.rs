//! What a worker reports of a service's containers, and what the last deployment
//! started: the two sides drift is measured between.

use serde::{Deserialize, Serialize};

use super::{ContainerHealth, ServiceState};
use crate::deployment::DeploymentId;

/// One container carrying a managed project's and service's labels, as Docker
/// describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerObservation {
    /// Docker's container id.
    pub container: String,
    pub state: ServiceState,
    /// Set once the container has exited.
    pub exit_code: Option<i64>,
    /// How often Docker restarted it (its restart policy).
    #[serde(default)]
    pub restarts: u32,
    /// `None`: it has no health check.
    pub health: Option<ContainerHealth>,
    /// The image id it runs.
    pub image: Option<String>,
    /// The NSM deployment whose label it carries; `None`: no deployment started it
    /// (someone did, by hand, with the project's labels).
    pub deployment: Option<DeploymentId>,
    /// When it entered its state (Docker's start or finish time), RFC 3339 UTC.
    pub since: Option<String>,
}

/// What the last deployment that ran left for a service: drift is measured against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployed {
    pub deployment: DeploymentId,
    /// The container it left (`None`: the service had none).
    pub container: Option<String>,
    pub image: Option<String>,
}

/// What is known of a service's containers right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "containers", rename_all = "snake_case")]
pub enum Observed {
    /// Its worker is offline, or has not reported since it connected.
    Unknown,
    /// Every container with the service's labels (none: it has no container).
    Reported(Vec<ContainerObservation>),
}
