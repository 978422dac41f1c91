//! The edge's errors. Each step has its own (`nginx`, `files`, `check`, `install`,
//! `certs`, `acme` and `probe` within `tls`); [`EdgeError`] is what the edge's callers get.
//! Every message is written for the user: it becomes a deployment's reason, a line
//! of its log or an answer in the Domains tab, word for word.

use super::certs::CertError;
use super::check::CheckError;
use super::files::FileError;
use super::install::InstallError;
use super::nginx::NginxError;
use super::tls::CertificateError;
use crate::db::domains::TopologyReadError;
use crate::db::projects::ProjectStoreError;

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("the edge cannot use {0}: nginx needs absolute paths of letters, digits and -._/~ only")]
    UnsafePath(String),
    #[error("nginx cannot be run ({0}); install nginx or start with --edge off")]
    NoNginx(#[source] NginxError),
    #[error("no free loopback port for the control server")]
    NoControlPort,
    #[error("the edge's files: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error(transparent)]
    Obtain(#[from] CertificateError),
    /// The project's file cannot be rendered from what is saved.
    #[error(transparent)]
    Render(#[from] nsm_core::edge::NginxError),
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error(transparent)]
    Topology(#[from] TopologyReadError),
    #[error(transparent)]
    Project(#[from] ProjectStoreError),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}
