//! The edge's part of the protocol (design §6): the node tells the control plane what
//! its edge is; the control plane renders each project's nginx file and sends it with
//! the deployment; the node checks, installs, verifies and serves it, and answers the
//! control plane's edge requests (unpublishing, the steps of an ACME order).
//!
//! Private keys never cross the link: the node generates a domain's key and sends its
//! CSR; the control plane sends back the issued chain.

use serde::{Deserialize, Serialize};

use crate::domain::Hostname;
use crate::edge::{EdgeMode, ListenPorts};
use crate::project::ProjectId;

/// What a node's edge is, as the worker says in its hello: enough for the control
/// plane to render a file this node's nginx loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeFacts {
    pub mode: EdgeMode,
    pub listen: ListenPorts,
    /// Absolute; ACME answers are served from `<acme_webroot>/.well-known/acme-challenge/`.
    pub acme_webroot: String,
    /// Absolute; a Static Page serves `<projects_dir>/<project>/www/<resource key>`.
    pub projects_dir: String,
    /// `None`: the node's nginx loads certificates at handshake (managed); `Some(dir)`:
    /// each server names `<dir>/<hostname file stem>.pem` (a host's nginx).
    pub certificates_dir: Option<String>,
}

impl EdgeFacts {
    /// A node that publishes nothing.
    pub fn off() -> Self {
        Self {
            mode: EdgeMode::Off,
            listen: ListenPorts::default(),
            acme_webroot: String::new(),
            projects_dir: String::new(),
            certificates_dir: None,
        }
    }
}

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

/// One project's nginx file, rendered by the control plane, and how to check it is
/// served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteFile {
    pub text: String,
    pub hostnames: Vec<Hostname>,
    pub probes: Vec<Probe>,
}

/// A request the node makes to its own edge after installing a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub hostname: Hostname,
    /// The request path (the resource's path).
    pub path: String,
    pub kind: ProbeKind,
    /// What the user calls the resource, for the log and the reason.
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeKind {
    /// Fails when nginx cannot reach the upstream (502, 504).
    Api,
    /// Fails when the directory is missing or empty.
    Static { directory: String },
    /// Fails unless nginx answers 302.
    Redirect,
    /// Logged, never a failure: the admin's block answers as it likes.
    Custom,
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
