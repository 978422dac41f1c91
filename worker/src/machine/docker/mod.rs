//! Docker Engine access behind [`ContainerEngine`], so the pipeline's logic does not
//! depend on how the engine is reached. [`BollardEngine`] is the real implementation.

mod bollard_engine;
mod scope;
mod usage;

use std::collections::HashMap;

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use nsm_core::logs::ContainerLogLine;
use nsm_core::protocol::LogStream;
use nsm_core::service::{ContainerHealth, ContainerObservation, ServiceState};
use nsm_core::DeploymentId;

pub use bollard_engine::BollardEngine;
pub(crate) use scope::{compose_project_name, remove_project_resources, remove_replaced_images};
pub use usage::ContainerUsage;

/// Compose's label naming a container's (or network's) compose project.
pub const COMPOSE_PROJECT_LABEL: &str = "com.docker.compose.project";
/// Compose's label naming a container's service.
pub const COMPOSE_SERVICE_LABEL: &str = "com.docker.compose.service";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("Docker Engine is not reachable: {0}")]
    Unreachable(String),
    #[error("Docker Engine answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("Docker Engine: {0}")]
    Other(String),
}

impl EngineError {
    /// The object does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Api { status: 404, .. })
    }

    /// The engine refused because the object is in use.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Api { status: 409, .. })
    }
}

/// Selects objects by a label: `key` alone, or `key=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFilter {
    pub key: String,
    pub value: Option<String>,
}

impl LabelFilter {
    pub fn is(key: &str, value: &str) -> Self {
        Self { key: key.to_owned(), value: Some(value.to_owned()) }
    }

    pub fn has(key: &str) -> Self {
        Self { key: key.to_owned(), value: None }
    }

    /// The engine API's `label` filter syntax.
    pub fn to_filter(&self) -> String {
        match &self.value {
            Some(value) => format!("{}={value}", self.key),
            None => self.key.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    /// Without Docker's leading `/`.
    pub name: String,
    pub labels: HashMap<String, String>,
    pub state: ServiceState,
    pub image_id: Option<String>,
    /// Host ports this container publishes.
    pub public_ports: Vec<u16>,
    /// The host paths (or volume directories) mounted into it.
    pub mounts: Vec<String>,
}

impl ContainerInfo {
    /// The compose service the container belongs to, if any.
    pub fn service(&self) -> Option<&str> {
        self.labels.get(COMPOSE_SERVICE_LABEL).map(String::as_str)
    }
}

/// What inspecting a container tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    pub state: ServiceState,
    pub exit_code: Option<i64>,
    /// It has a restart policy (an exited container may come back).
    pub restart_policy: bool,
    /// How often Docker restarted it.
    pub restart_count: u32,
    pub health: Option<ContainerHealth>,
    /// The image id it runs.
    pub image: Option<String>,
    pub labels: HashMap<String, String>,
    /// When it entered its state: started, or finished once stopped (RFC 3339).
    pub since: Option<String>,
}

impl ContainerStatus {
    /// The protocol's view of container `id`, which `deployment` accounts for (see
    /// [`crate::machine::ledger`]).
    pub fn observation(&self, id: &str, deployment: Option<DeploymentId>) -> ContainerObservation {
        ContainerObservation {
            container: id.to_owned(),
            state: self.state,
            exit_code: self.exit_code.filter(|_| self.state.is_stopped()),
            restarts: self.restart_count,
            health: self.health,
            image: self.image.clone(),
            deployment,
            since: self.since.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    pub id: String,
    pub name: String,
}

/// One container event, with the container's labels (Docker sends them along).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    pub id: String,
    pub action: String,
    pub labels: HashMap<String, String>,
}

/// The Docker Engine operations the worker needs. Every listing is label-scoped:
/// nothing here enumerates or removes objects host-wide.
#[async_trait]
pub trait ContainerEngine: Send + Sync + 'static {
    /// Containers (running or not) carrying the label.
    async fn list_containers(&self, filter: &LabelFilter) -> Result<Vec<ContainerInfo>, EngineError>;
    /// `None` when the container does not exist.
    async fn container_status(&self, id: &str) -> Result<Option<ContainerStatus>, EngineError>;
    /// Force-removes a container (stopping it first). Missing containers are not an error.
    async fn remove_container(&self, id: &str) -> Result<(), EngineError>;
    /// Restarts a container in place (same container, a new start).
    async fn restart_container(&self, id: &str) -> Result<(), EngineError>;
    async fn list_networks(&self, filter: &LabelFilter) -> Result<Vec<NetworkInfo>, EngineError>;
    /// Missing networks are not an error.
    async fn remove_network(&self, id: &str) -> Result<(), EngineError>;
    /// The image's tags; `None` when it does not exist.
    async fn image_tags(&self, id: &str) -> Result<Option<Vec<String>>, EngineError>;
    /// Removes an image by id, without force: in-use images are refused (a conflict).
    async fn remove_image(&self, id: &str) -> Result<(), EngineError>;
    /// Removes dangling images carrying the label; returns how many went.
    async fn prune_dangling_images(&self, filter: &LabelFilter) -> Result<usize, EngineError>;
    /// The last `lines` lines of a container's output.
    async fn log_tail(&self, id: &str, lines: usize) -> Result<Vec<(LogStream, String)>, EngineError>;
    /// One reading of a running container's CPU and memory use; `None` when the
    /// container does not exist.
    async fn container_usage(&self, id: &str) -> Result<Option<ContainerUsage>, EngineError>;
    /// Container events for containers carrying the label, from now on. The stream ends
    /// when the engine connection does.
    fn container_events(&self, filter: &LabelFilter) -> BoxStream<'static, Result<ContainerEvent, EngineError>>;
    /// A container's output lines with Docker's timestamps, from `since_secs` (None:
    /// from its start), following new ones. The stream ends when the container stops.
    fn follow_logs(
        &self,
        id: &str,
        since_secs: Option<i64>,
    ) -> BoxStream<'static, Result<ContainerLogLine, EngineError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_filters_use_the_engine_syntax() {
        assert_eq!(LabelFilter::is("a.b", "c").to_filter(), "a.b=c");
        assert_eq!(LabelFilter::has("a.b").to_filter(), "a.b");
    }

    #[test]
    fn status_codes_classify_errors() {
        assert!(EngineError::Api { status: 404, message: String::new() }.is_not_found());
        assert!(EngineError::Api { status: 409, message: String::new() }.is_conflict());
        assert!(!EngineError::Other(String::new()).is_not_found());
    }
}
