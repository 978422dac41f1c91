//! The worker protocol: one serde-tagged enum per direction, sent as JSON text frames
//! over a WebSocket the worker dials (`/api/v1/workers/connect`).
//!
//! A session: the worker sends [`WorkerMessage::Hello`]; the server answers
//! [`ServerMessage::Welcome`] or [`ServerMessage::Refused`] (and closes). Both sides
//! then send `Heartbeat` every [`HEARTBEAT_SECS`] and drop the link after
//! [`DEAD_AFTER_SECS`] of silence. Jobs are identified by the server's ids; a job in
//! flight when the link drops is failed by the server with that reason.

mod deploy;
mod edge;
mod logs;
mod stats;

pub use deploy::*;
pub use edge::*;
pub use logs::*;

use serde::{Deserialize, Serialize};

use crate::compose::Discovery;
use crate::deployment::DeploymentId;
use crate::env::ComposeDialect;
use crate::project::ProjectId;
use crate::service::ContainerObservation;
use crate::worker::WorkerId;

/// Bumped on any incompatible change; the server refuses other versions. 5: deployments
/// carry the worker's policy, which an older worker would ignore. 6: a deployment may
/// name the commit to check out (a redeploy), which an older worker would ignore.
pub const PROTOCOL_VERSION: u32 = 6;

/// The longest hello the server reads from a connection not yet authenticated.
pub const MAX_HELLO_BYTES: usize = 4 * 1024;
/// The longest message the server accepts from a worker at all (the WebSocket's own
/// limit): a worker batches so that no message of its comes near it.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
pub const HEARTBEAT_SECS: u64 = 10;
pub const DEAD_AFTER_SECS: u64 = 35;
/// Where workers connect.
pub const CONNECT_PATH: &str = "/api/v1/workers/connect";

/// Worker → server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerMessage {
    Hello {
        protocol: u32,
        worker_id: WorkerId,
        token: String,
        /// The worker binary's version.
        version: String,
        /// Which compose CLI the worker drives (None: none found).
        compose: Option<ComposeDialect>,
        /// What the node's edge is (the control plane renders its files for it).
        edge: EdgeFacts,
    },
    Heartbeat,
    /// Result of [`ServerMessage::Sync`].
    Synced {
        request: u64,
        result: Result<SyncReport, JobFailure>,
    },
    /// A deployment moved to another phase.
    DeployPhase {
        deployment: DeploymentId,
        phase: DeployPhase,
    },
    /// The ports the deployment leased on this node, (resource, port): the control
    /// plane answers with [`ServerMessage::EdgeFile`], rendered for them.
    PortsLeased {
        deployment: DeploymentId,
        ports: Vec<(String, u16)>,
    },
    /// One log line of a deployment, in order.
    DeployLog {
        deployment: DeploymentId,
        line: LogLine,
    },
    /// The deployment ended; always sent exactly once per [`ServerMessage::Deploy`].
    DeployFinished {
        deployment: DeploymentId,
        report: Box<DeployReport>,
    },
    /// Result of [`ServerMessage::Teardown`].
    TornDown {
        request: u64,
        result: Result<(), JobFailure>,
    },
    /// Result of [`ServerMessage::Edge`].
    EdgeDone {
        request: u64,
        result: Result<EdgeAnswer, JobFailure>,
    },
    /// A container of a managed project changed (from Docker's event stream): its
    /// state, exit code, restarts, health or image.
    ContainerChanged {
        project: ProjectId,
        service: String,
        observation: ContainerObservation,
    },
    /// A container of a managed project was removed.
    ContainerRemoved {
        project: ProjectId,
        service: String,
        container: String,
    },
    /// Every container of every managed project on the node, sent after each
    /// (re)connect: the server replaces what it knew of the node's projects with it, so
    /// a change made while the link was down shows at once.
    ContainersSnapshot {
        containers: Vec<ServiceContainer>,
    },
    /// One round of resource samples of the watched projects' running containers
    /// (see [`ServerMessage::WatchStats`]).
    ContainerStats {
        samples: Vec<crate::stats::ContainerSample>,
    },
    /// Lines a followed service's container printed, oldest first (batched).
    ContainerLogs {
        project: ProjectId,
        service: String,
        container: String,
        lines: Vec<ContainerLogLine>,
    },
}

/// One container of a managed project, in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceContainer {
    pub project: ProjectId,
    pub service: String,
    pub observation: ContainerObservation,
}

/// Server → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        protocol: u32,
    },
    Refused {
        reason: String,
    },
    Heartbeat,
    /// Clone the branch and report what the repository holds.
    Sync {
        request: u64,
        source: RepoSource,
    },
    Deploy {
        spec: Box<DeploySpec>,
    },
    /// The answer to [`WorkerMessage::PortsLeased`]: what the node's edge does with the
    /// project in this deployment (`Err`: why no file could be rendered; the
    /// deployment fails in prepare).
    EdgeFile {
        deployment: DeploymentId,
        plan: Result<EdgePlan, JobFailure>,
    },
    /// Edge work outside a deployment.
    Edge {
        request: u64,
        command: EdgeCommand,
    },
    /// Stop a running deployment; it finishes as `cancelled`.
    Cancel {
        deployment: DeploymentId,
    },
    /// Stop and remove the project's containers and networks.
    Teardown {
        request: u64,
        project: ProjectId,
    },
    /// Every project of the node some browser watches now: the worker samples their
    /// containers' resource use until the next `WatchStats`; empty = stop sampling.
    /// Sent again after each (re)connect.
    WatchStats {
        projects: Vec<ProjectId>,
    },
    /// The whole set of the project's services whose container logs to follow; the
    /// worker stops following any other of its services at once (empty: none).
    FollowLogs {
        project: ProjectId,
        services: Vec<String>,
    },
}

impl WorkerMessage {
    /// The message's `type` tag, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello { .. } => "hello",
            Self::Heartbeat => "heartbeat",
            Self::Synced { .. } => "synced",
            Self::PortsLeased { .. } => "ports_leased",
            Self::DeployPhase { .. } => "deploy_phase",
            Self::DeployLog { .. } => "deploy_log",
            Self::DeployFinished { .. } => "deploy_finished",
            Self::TornDown { .. } => "torn_down",
            Self::EdgeDone { .. } => "edge_done",
            Self::ContainerChanged { .. } => "container_changed",
            Self::ContainerRemoved { .. } => "container_removed",
            Self::ContainersSnapshot { .. } => "containers_snapshot",
            Self::ContainerStats { .. } => "container_stats",
            Self::ContainerLogs { .. } => "container_logs",
        }
    }
}

impl ServerMessage {
    /// The message's `type` tag, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Welcome { .. } => "welcome",
            Self::Refused { .. } => "refused",
            Self::Heartbeat => "heartbeat",
            Self::Sync { .. } => "sync",
            Self::Deploy { .. } => "deploy",
            Self::EdgeFile { .. } => "edge_file",
            Self::Edge { .. } => "edge",
            Self::Cancel { .. } => "cancel",
            Self::Teardown { .. } => "teardown",
            Self::WatchStats { .. } => "watch_stats",
            Self::FollowLogs { .. } => "follow_logs",
        }
    }
}

/// Why a worker could not do a job, in words for the user (on the wire, a string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
#[error("{0}")]
pub struct JobFailure(pub String);

impl JobFailure {
    /// The failure's text, said once at the protocol boundary.
    pub fn of(error: &impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// Where to clone from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSource {
    pub url: String,
    pub branch: String,
    /// HTTPS token for a private repository (sent only over the worker link).
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub commit: String,
    pub discovery: Discovery,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_the_wire_tags() {
        let worker = [
            WorkerMessage::Heartbeat,
            WorkerMessage::TornDown { request: 7, result: Ok(()) },
            WorkerMessage::PortsLeased { deployment: DeploymentId(3), ports: vec![] },
        ];
        for message in worker {
            let json = serde_json::to_value(&message).unwrap_or_default();
            assert_eq!(json["type"], message.kind());
        }
        let server = [ServerMessage::Heartbeat, ServerMessage::Cancel { deployment: DeploymentId(3) }];
        for message in server {
            let json = serde_json::to_value(&message).unwrap_or_default();
            assert_eq!(json["type"], message.kind());
        }
    }
}
