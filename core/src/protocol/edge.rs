//! The edge's part of the protocol (design §6): the node tells the control plane what
//! its edge is; the control plane renders each project's nginx file and sends it with
//! the deployment; the node checks, installs, verifies and serves it, and answers the
//! control plane's edge requests (unpublishing, the steps of an ACME order).
//!
//! Private keys never cross the link: the node generates a domain's key and sends its
//! CSR; the control plane sends back the issued chain.

use serde::{Deserialize, Serialize};

use crate::domain::Hostname;
pub use crate::edge::{EdgeFacts, FrontRoute, Probe, ProbeKind, SiteFile};
use crate::project::ProjectId;

/// What the node's edge does with a project in a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "edge", rename_all = "snake_case")]
pub enum EdgePlan {
    /// The node's edge is off: nothing is published.
    Off,
    /// The project has no domains: stop serving it if it was served.
    Unpublish,
    /// Install this file and verify every probe through the node's own edge.
    Publish(SiteFile),
}

/// Edge work the control plane asks of a node, outside a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum EdgeCommand {
    /// Installs (or, for `Unpublish`, removes) a project's file now.
    Apply {
        project: ProjectId,
        plan: EdgePlan,
    },
    /// Removes the certificate and key of hostnames no project owns any more.
    Forget {
        hostnames: Vec<Hostname>,
    },
    /// Generates a new private key for `hostname`, kept aside on the node, and
    /// answers its CSR.
    NewKey {
        hostname: Hostname,
    },
    /// Serves an HTTP-01 answer at `/.well-known/acme-challenge/<token>`.
    ServeChallenge {
        token: String,
        key_authorization: String,
    },
    DropChallenge {
        token: String,
    },
    /// Installs the issued chain with the key kept aside by `NewKey`, and checks
    /// over TLS that nginx serves it.
    InstallCertificate {
        hostname: Hostname,
        chain: String,
    },
    /// Routes exactly these fronted nodes' names through this node's edge (the
    /// whole set: a name not listed is no longer fronted).
    Front {
        routes: Vec<FrontRoute>,
    },
}

/// What a node answers to an [`EdgeCommand`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum EdgeAnswer {
    Done,
    /// What an `Apply` left served.
    Applied(EdgeReport),
    /// The CSR (DER) for the key kept aside.
    Csr {
        der: Vec<u8>,
    },
    /// The certificate now served.
    Installed(CertificateFact),
}

/// What a node's certificate file for a hostname says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateFact {
    pub hostname: Hostname,
    pub issuer: String,
    /// RFC 3339 UTC.
    pub not_after: String,
    pub self_signed: bool,
}

/// What a deployment's publish step did on the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeReport {
    /// Whether the project is served now.
    pub published: bool,
    /// The certificates its hostnames are served with.
    pub certificates: Vec<CertificateFact>,
}
