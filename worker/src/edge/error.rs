//! The node edge's errors. Each step has its own (`nginx`, `files`, `check`,
//! `install`, `certs`, `probe`, `publish`); [`EdgeError`] is what starting the edge
//! and its commands return. Every message is written for the user: it becomes a
//! deployment's reason, a line of its log or an answer in the Domains tab.

use std::path::PathBuf;

use super::certs::CertError;
use super::files::FileError;
use super::install::InstallError;
use super::nginx::NginxError;
use super::probe::ProbeError;

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("the edge cannot use {0}: nginx needs absolute paths of letters, digits and -._/~ only")]
    UnsafePath(String),
    #[error("nginx cannot be run ({0}); install nginx or start with --edge off")]
    NoNginx(#[source] NginxError),
    #[error("no free loopback port for the control server")]
    NoControlPort,
    #[error(
        "nginx's workers run as `{user}` and cannot enter {}, so they could not read the \
         certificates under it: put the data directory (or --edge-dir) where `{user}` can \
         traverse every parent (mode o+x), or set --nginx-user to a user that can",
        dir.display()
    )]
    Untraversable { dir: PathBuf, user: String },
    #[error("the edge's files: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error("the ACME challenge token is not base64url")]
    BadToken,
    #[error("no key was generated for {0}: ask for a new key first")]
    NoPendingKey(String),
    #[error("nginx does not serve the new certificate: {0}")]
    NotServed(#[source] ProbeError),
    #[error("the handshake still shows another certificate")]
    OtherCertificate,
    #[error(transparent)]
    Publish(#[from] super::PublishError),
    /// The main configuration cannot be written with these paths.
    #[error(transparent)]
    MainConf(#[from] nsm_core::edge::NginxError),
    #[error("the edge is off on this node")]
    Off,
    #[error(
        "this node's edge cannot front other nodes: it needs the managed edge and nginx's stream \
         module with ssl_preread (Debian: libnginx-mod-stream), then a worker restart"
    )]
    CannotFront,
}
