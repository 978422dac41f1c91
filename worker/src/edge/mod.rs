//! The node's edge (design §6): the nginx of this machine, publishing the projects
//! that run here, with their TLS.
//!
//! * `managed` mode runs and supervises the worker's own nginx master (prefix under
//!   the edge directory); `system` mode writes into a host nginx's include directory
//!   and reloads it; `off` publishes nothing.
//! * The control plane renders each project's file (it knows domains, resources and
//!   leases) and sends it with the deployment; here it is checked with `nginx -t`
//!   beside everything else in prepare ([`check`]), installed transactionally once the
//!   containers are up ([`install`]: written, checked, reloaded, verified, or rolled
//!   back with nginx's reason) and probed through this edge ([`verify`]). A project file
//!   that stops loading is set aside before nginx (re)starts ([`lifecycle`]), so it
//!   never takes the others down.
//! * TLS: a self-signed placeholder per hostname so nginx always loads; each
//!   hostname's private key is generated here and never leaves the node: the control
//!   plane orders the certificate with this node's CSR and sends the chain back
//!   ([`commands`], files by [`certs`], checked by [`probe`]).
//! * nginx is its own process: the node keeps serving while the control plane is
//!   away; a restarted worker adopts its files and its master.
//!
//! Module map: [`config`] (flags), [`layout`] (every path), [`nginx`] (the binary),
//! [`managed`] (the supervised master), [`files`] (atomic writes), [`check`],
//! [`install`], [`publish`] (a deployment's plan), [`verify`], [`commands`],
//! [`front`] (passing other nodes' TLS through), [`lifecycle`].

mod certs;
mod check;
mod commands;
pub mod config;
mod error;
mod files;
mod front;
mod install;
pub mod layout;
mod lifecycle;
mod managed;
mod nginx;
mod probe;
mod publish;
mod verify;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nsm_core::edge::{EdgeMode, ListenPorts};
use nsm_core::protocol::EdgeFacts;
use tokio::sync::Mutex;

pub use config::EdgeConfig;
pub use error::EdgeError;
pub use install::InstallError;
use layout::Layout;
pub use publish::PublishError;
pub use verify::VerifyError;

pub struct Edge {
    mode: EdgeMode,
    layout: Layout,
    /// Absolute: `<data dir>/projects`, where the Static Pages' directories are.
    projects_dir: PathBuf,
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
    supervisor: Mutex<Option<managed::Supervisor>>,
    /// Set at start when the managed nginx has the stream module: the HTTPS port is
    /// then a stream front, and this node can front others ([`front`]).
    front: std::sync::OnceLock<layout::Front>,
    /// Stop the managed nginx when the worker stops, instead of leaving it serving.
    stop_on_exit: bool,
}

impl Edge {
    /// The edge as configured; nothing runs until [`Edge::start`]. `data_dir` is the
    /// worker's (absolute).
    pub fn new(config: &EdgeConfig, data_dir: &Path) -> Self {
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        let root = config.dir.as_deref().map(absolute).unwrap_or_else(|| data_dir.join("edge"));
        let system_dir = match config.mode {
            EdgeMode::System => config.nginx_conf_dir.as_deref().map(absolute),
            _ => None,
        };
        let layout = Layout::new(root, system_dir);
        let (http, https) = config.ports();
        let seed = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(1);
        Self {
            mode: config.mode,
            main_conf_path: layout.main_conf(),
            layout,
            projects_dir: data_dir.join("projects"),
            nginx: nginx::NginxBin::new(config.nginx_bin.clone()),
            listen: ListenPorts { http, https },
            nginx_user: config.nginx_user.clone(),
            cert_reader: if config.mode == EdgeMode::Managed {
                worker_reader(config.nginx_user.as_deref())
            } else {
                None
            },
            host_conf: config.nginx_main_conf.clone(),
            // Fixed for the life of the process (0 if none is free: start says so).
            control_port: if config.mode == EdgeMode::Off { 0 } else { control_port() },
            generation: AtomicU64::new(seed),
            config_lock: Mutex::new(()),
            supervisor: Mutex::new(None),
            front: std::sync::OnceLock::new(),
            stop_on_exit: config.stop_on_exit,
        }
    }

    /// An edge that publishes nothing (tests and tools without nginx).
    pub fn off(data_dir: &Path) -> Self {
        Self::new(&EdgeConfig::off(), data_dir)
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

    /// What the control plane needs to render files for this node.
    pub fn facts(&self) -> EdgeFacts {
        if !self.is_on() {
            return EdgeFacts::off();
        }
        EdgeFacts {
            mode: self.mode,
            listen: self.listen,
            acme_webroot: self.layout.webroot.display().to_string(),
            projects_dir: self.projects_dir.display().to_string(),
            certificates_dir: (self.mode == EdgeMode::System).then(|| self.layout.certs.display().to_string()),
            tls_socket: self.front.get().map(|_| self.layout.front_sockets().own),
        }
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

/// The managed nginx's workers read certificate files at handshake. They run as the
/// worker's user, unless it is root: nginx then switches them to `user` (`nobody` by
/// default), who must be able to read the files.
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
