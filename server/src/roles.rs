//! Narrow capabilities that the control plane's services lend each other (design §1).
//!
//! A service that needs another one names the role here, never the other's struct:
//! the deployer publishes through a [`Publisher`] (the edge) and reaches workers
//! through [`WorkerLinks`] (the hub), and the edge narrates into a deployment's log
//! through a [`DeploymentLog`] (the deployer). They depend on this module and not on
//! each other, so the service layer has no import cycle.
//! The wiring is done once, where the control plane is assembled.

use std::time::Duration;

use async_trait::async_trait;
use nsm_core::protocol::{EdgePlan, EdgeReport, LogStream, ServerMessage, WorkerMessage};
use nsm_core::{DeploymentId, ProjectId, WorkerId};

/// Appends a line to a deployment's log (stored, and streamed to whoever follows it).
#[async_trait]
pub trait DeploymentLog: Send + Sync {
    async fn log(&self, deployment: DeploymentId, stream: LogStream, text: String);
}

/// Why a deployment cannot be published; it becomes the deployment's reason, word
/// for word, so it is written for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct PublishFailure {
    pub reason: String,
}

impl PublishFailure {
    pub fn new(reason: impl Into<String>) -> Self {
        Self { reason: reason.into() }
    }
}

/// The control plane's part of the edge in a deployment (design §4, §6): the node
/// checks, installs and verifies; the control plane renders and certifies.
#[async_trait]
pub trait Publisher: Send + Sync {
    /// The project's nginx file for its node, rendered with the leases saved now (the
    /// node has just leased its ports). `Err` fails the deployment in prepare.
    async fn plan_deployment(&self, project: &ProjectId, worker: &WorkerId) -> Result<EdgePlan, PublishFailure>;

    /// The node published the deployment: record what it serves, then obtain the
    /// certificates it still lacks (narrated; a certificate that cannot be had yet is
    /// retried later and never fails a deployment).
    async fn deployment_published(
        &self,
        log: &dyn DeploymentLog,
        deployment: DeploymentId,
        project: &ProjectId,
        worker: &WorkerId,
        report: &EdgeReport,
    );
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("worker {0} is offline")]
    Offline(String),
    #[error("worker {0} did not answer in time")]
    NoAnswer(String),
    #[error("worker {0} disconnected before answering")]
    Dropped(String),
}

/// Why a worker's answer reached no request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerRefused {
    #[error("no request waits for this answer")]
    NoneWaiting,
    #[error("the request was sent to worker {0}")]
    NotAddressee(String),
}

/// The connected workers, as the deployer needs them.
#[async_trait]
pub trait WorkerLinks: Send + Sync {
    fn is_online(&self, worker: &str) -> bool;
    fn send(&self, worker: &str, message: ServerMessage) -> Result<(), HubError>;
    /// Sends the request `build` makes around a fresh request id; waits for its answer.
    async fn request(
        &self,
        worker: &str,
        timeout: Duration,
        build: Box<dyn FnOnce(u64) -> ServerMessage + Send>,
    ) -> Result<WorkerMessage, HubError>;
    /// The worker a request still waiting for its answer was sent to.
    fn addressee(&self, request: u64) -> Option<String>;
    /// Routes `worker`'s answer to its waiting request, only if the request was sent
    /// to that worker (the request keeps waiting otherwise).
    fn answer(&self, worker: &str, request: u64, message: WorkerMessage) -> Result<(), AnswerRefused>;
}
