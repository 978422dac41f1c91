//! The control plane edge's errors. [`EdgeError`] is what the edge's callers get;
//! every message is written for the user (a deployment's reason, a line of its log,
//! an answer in the Domains tab).

use nsm_core::WorkerId;

use super::node::NodeError;
use super::tls::CertificateError;
use crate::db::domains::TopologyReadError;
use crate::db::projects::ProjectStoreError;

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("worker {0} has not connected yet, so its edge is unknown")]
    UnknownNode(WorkerId),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error(transparent)]
    Obtain(#[from] CertificateError),
    /// The project's file cannot be rendered from what is saved.
    #[error(transparent)]
    Render(#[from] nsm_core::edge::NginxError),
    #[error(transparent)]
    Topology(#[from] TopologyReadError),
    #[error(transparent)]
    Project(#[from] ProjectStoreError),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}
