//! What a node's edge is, and what the control plane hands it for one project: the
//! rendered file and the probes that show it is served. The worker protocol carries
//! these types; they live here, beside the renderer that makes them.

use serde::{Deserialize, Serialize};

use super::{EdgeMode, ListenPorts};
use crate::domain::Hostname;

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
    /// `Some(socket)`: the node's HTTPS servers listen there, behind its stream front,
    /// and the node can front other nodes ([`super::front`]); `None`: they listen on
    /// `listen.https` and it cannot.
    #[serde(default)]
    pub tls_socket: Option<String>,
}

impl EdgeFacts {
    /// Whether this node's edge can pass other nodes' TLS through.
    pub fn can_front(&self) -> bool {
        self.mode == EdgeMode::Managed && self.tls_socket.is_some()
    }

    /// A node that publishes nothing.
    pub fn off() -> Self {
        Self {
            mode: EdgeMode::Off,
            listen: ListenPorts::default(),
            acme_webroot: String::new(),
            projects_dir: String::new(),
            certificates_dir: None,
            tls_socket: None,
        }
    }
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
