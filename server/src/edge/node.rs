//! Asking a node's edge to do something (an [`EdgeCommand`]) and waiting for its answer.

use std::time::Duration;

use nsm_core::protocol::{EdgeAnswer, EdgeCommand, JobFailure, ServerMessage, WorkerMessage};
use nsm_core::WorkerId;

use super::Edge;
use crate::roles::HubError;

/// Installing a certificate includes a reload and a TLS check; nothing takes longer.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a node did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    Link(#[from] HubError),
    #[error("worker {worker}: {failure}")]
    Failed { worker: WorkerId, failure: JobFailure },
    #[error("worker {0} answered something else")]
    Unexpected(WorkerId),
}

impl Edge {
    /// Runs `command` on `worker`'s edge.
    pub(super) async fn command(&self, worker: &WorkerId, command: EdgeCommand) -> Result<EdgeAnswer, NodeError> {
        let build = Box::new(move |request| ServerMessage::Edge { request, command });
        match self.nodes.request(worker.as_str(), COMMAND_TIMEOUT, build).await? {
            WorkerMessage::EdgeDone { result: Ok(answer), .. } => Ok(answer),
            WorkerMessage::EdgeDone { result: Err(failure), .. } => {
                Err(NodeError::Failed { worker: worker.clone(), failure })
            }
            _ => Err(NodeError::Unexpected(worker.clone())),
        }
    }
}
