//! Why a project's nginx file cannot be rendered.

use crate::domain::{Hostname, TopologyError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NginxError {
    #[error("the project's domains and resources are inconsistent: {0}")]
    Topology(#[from] TopologyError),
    #[error("no certificate was given for {0}")]
    MissingCertificate(Hostname),
    #[error("the HTTP and HTTPS ports must be two different ports other than 0")]
    ListenPorts,
    #[error("{what} {value:?} cannot be written safely into nginx configuration")]
    Unsafe { what: String, value: String },
    #[error("the Custom configuration of {resource} could leave its location block: {reason}")]
    CustomBody { resource: String, reason: String },
}
