//! The edge (design §6): nginx publishing every project's domains, with TLS.
//!
//! * `managed` mode runs and supervises NSM's own nginx master (prefix under the data
//!   directory); `system` mode writes into a host nginx's include directory and
//!   reloads it; `off` publishes nothing.
//! * One file per project; every change is a transaction ([`install`]): written,
//!   `nginx -t`-checked as a whole, reloaded, verified, or rolled back with nginx's
//!   reason. A project file that stops loading (say, after an nginx upgrade) is set
//!   aside before nginx (re)starts, so it never takes the others down.
//! * TLS: a self-signed placeholder per hostname so nginx always loads, then ACME
//!   HTTP-01 ([`acme`]); renewal 30 days before expiry by a background task. The
//!   managed nginx reads each certificate at handshake (one TLS context in all, so
//!   reloads stay quick with thousands of hostnames); a host's nginx gets the files
//!   named in each server.
//!
//! Module map: [`render`] (what a project's file says) → [`check`] (`nginx -t`
//! without touching the live files) → [`install`] (the transaction) → [`publish`]
//! (publish, unpublish, refresh); [`publisher`] is the edge's part in a deployment
//! (`roles::Publisher`). [`tls`] obtains certificates through [`acme`], written by
//! [`certs`] and checked by [`probe`]; [`renewal`] renews them in the background;
//! [`status`] says where a hostname's certificate stands. [`lifecycle`] starts and stops it all; [`managed`] supervises
//! the managed master, [`nginx`] runs the binary, [`files`] writes atomically and
//! [`layout`] names every path. Errors: [`error`].
//!
//! The edge is a service: it uses the shared crate, storage (`crate::db`), the
//! settings and the role traits (`crate::roles`), never the deployer, the hub or HTTP.

mod acme;
pub mod certs;
mod check;
mod error;
mod files;
mod install;
pub mod layout;
mod lifecycle;
mod managed;
mod nginx;
mod probe;
mod publish;
mod publisher;
mod render;
mod renewal;
mod status;
pub mod tls;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nsm_core::edge::ListenPorts;
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;

pub use acme::AcmeError;
pub use certs::CertError;
pub use check::CheckError;
pub use error::EdgeError;
pub use files::FileError;
pub use install::{Change, InstallError};
use layout::Layout;
pub use nginx::NginxError;
pub use probe::ProbeError;
pub use render::Rendered;
pub use status::certificate_status;
pub use tls::{acme_refusal, CertificateError, IssuedCertificate, RENEW_BEFORE};

use crate::db::Db;
use crate::settings::{EdgeMode, Settings};

pub struct Edge {
    mode: EdgeMode,
    db: Db,
    layout: Layout,
    /// Absolute: the embedded worker's files live under it.
    data_dir: PathBuf,
    nginx: nginx::NginxBin,
    main_conf_path: PathBuf,
    listen: ListenPorts,
    nginx_user: Option<String>,
    /// Who certificate files are handed to (managed nginx's workers, when NSM is root).
    cert_reader: Option<certs::Reader>,
    /// System mode: the host's main configuration, if not nginx's default.
    host_conf: Option<PathBuf>,
    control_port: u16,
    generation: AtomicU64,
    /// One configuration change at a time: `nginx -t` judges the whole set of files.
    config_lock: Mutex<()>,
    /// One ACME order at a time, so a deploy and the renewal task never race.
    cert_lock: Mutex<()>,
    supervisor: Mutex<Option<managed::Supervisor>>,
    acme: Option<acme::AcmeClient>,
    acme_check: Duration,
    renewal: Mutex<Option<(watch::Sender<bool>, JoinHandle<()>)>>,
}

impl Edge {
    /// The edge as configured; nothing runs until [`Edge::start`].
    pub fn new(settings: &Settings, db: Db) -> Arc<Self> {
        let edge = &settings.edge;
        let data_dir = std::path::absolute(&settings.data_dir).unwrap_or_else(|_| settings.data_dir.clone());
        let system_dir = match edge.mode {
            EdgeMode::System => {
                edge.nginx_conf_dir.as_ref().map(|d| std::path::absolute(d).unwrap_or_else(|_| d.clone()))
            }
            _ => None,
        };
        let layout = Layout::new(&data_dir, system_dir);
        let (http, https) = edge.ports();
        let acme = (!edge.no_acme).then(|| {
            acme::AcmeClient::new(
                edge.acme_directory.clone(),
                edge.acme_email.clone(),
                edge.acme_root_ca.clone(),
                layout.account(&edge.acme_directory),
                layout.challenges(),
            )
        });
        let seed = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(1);
        Arc::new(Self {
            mode: edge.mode,
            db,
            main_conf_path: layout.main_conf(),
            layout,
            data_dir,
            nginx: nginx::NginxBin::new(edge.nginx_bin.clone()),
            listen: ListenPorts { http, https },
            nginx_user: edge.nginx_user.clone(),
            cert_reader: if edge.mode == EdgeMode::Managed { worker_reader(edge.nginx_user.as_deref()) } else { None },
            host_conf: edge.nginx_main_conf.clone(),
            // Fixed for the life of the process (0 if none is free: start says so).
            control_port: if edge.mode == EdgeMode::Off { 0 } else { control_port() },
            generation: AtomicU64::new(seed),
            config_lock: Mutex::new(()),
            cert_lock: Mutex::new(()),
            supervisor: Mutex::new(None),
            acme,
            acme_check: Duration::from_secs(edge.acme_check_secs.max(1)),
            renewal: Mutex::new(None),
        })
    }

    pub fn mode(&self) -> EdgeMode {
        self.mode
    }

    pub fn is_on(&self) -> bool {
        self.mode != EdgeMode::Off
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn listen(&self) -> ListenPorts {
        self.listen
    }

    /// The managed master's pid (tests kill it to see it come back).
    pub async fn nginx_pid(&self) -> Option<i32> {
        self.supervisor.lock().await.as_ref().and_then(managed::Supervisor::pid)
    }

    fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// The name on the certificate for requests no project claims.
const DEFAULT_NAME: &str = "nsm-default.invalid";

/// Paths go into nginx directives unquoted: refuse anything that could not.
fn check_path(path: &Path) -> Result<(), EdgeError> {
    let text = path.display().to_string();
    let safe = text.starts_with('/')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'));
    if safe {
        Ok(())
    } else {
        Err(EdgeError::UnsafePath(text))
    }
}

/// The managed nginx's workers read certificate files at handshake. They run as NSM's
/// user, unless NSM is root: nginx then switches them to `user` (`nobody` by default),
/// who must be able to read the files.
fn worker_reader(nginx_user: Option<&str>) -> Option<certs::Reader> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    let name = nginx_user.unwrap_or("nobody");
    match nix::unistd::User::from_name(name) {
        Ok(Some(user)) => Some(certs::Reader { uid: user.uid.as_raw(), gid: user.gid.as_raw() }),
        Ok(None) => {
            tracing::error!(user = name, "no such user for nginx's workers: they cannot read the certificates");
            None
        }
        Err(error) => {
            tracing::error!(user = name, %error, "cannot look up the user of nginx's workers");
            None
        }
    }
}

/// A free loopback port for the control server; 0 if there is none (start says so).
fn control_port() -> u16 {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr());
    match port {
        Ok(address) => address.port(),
        Err(error) => {
            tracing::error!(%error, "no free loopback port for the edge's control server");
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        assert!(check_path(Path::new("/var/lib/nsm/edge")).is_ok());
        for bad in ["relative/dir", "/with space", "/semi;colon", "/brace{", "/dollar$x", "/quote\""] {
            assert!(check_path(Path::new(bad)).is_err(), "{bad}");
        }
    }
}
