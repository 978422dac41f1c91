//! How a node's edge is set up: `nsm-worker`'s `--edge*` and `--nginx-*` flags (also
//! `NSM_WORKER_*` variables); the server fills the same struct from its own flags for
//! the embedded worker.

use std::path::PathBuf;

use nsm_core::edge::EdgeMode;

#[derive(Debug, Clone, clap::Args)]
pub struct EdgeConfig {
    /// managed (own nginx), system (the host's nginx) or off.
    #[arg(long = "edge", env = "NSM_WORKER_EDGE", value_parser = str::parse::<EdgeMode>, default_value = "managed")]
    pub mode: EdgeMode,
    /// The nginx binary.
    #[arg(long, env = "NSM_WORKER_NGINX_BIN", default_value = "nginx")]
    pub nginx_bin: PathBuf,
    /// System mode: the directory the host's nginx includes inside `http { }`.
    #[arg(long, env = "NSM_WORKER_NGINX_CONF_DIR", required_if_eq("mode", "system"))]
    pub nginx_conf_dir: Option<PathBuf>,
    /// System mode: the host nginx's main configuration, when not its compiled-in
    /// default (passed as `nginx -c` to `-t` and `-s reload`).
    #[arg(long, env = "NSM_WORKER_NGINX_MAIN_CONF")]
    pub nginx_main_conf: Option<PathBuf>,
    /// Managed mode: the user nginx's workers run as when the worker runs as root
    /// (they read the Static Pages' files and the certificates); `nobody` when unset.
    #[arg(long, env = "NSM_WORKER_NGINX_USER")]
    pub nginx_user: Option<String>,
    /// The port answering HTTP (ACME challenges, redirects to HTTPS); default 8080
    /// when managed (no root needed), 80 in system mode.
    #[arg(long = "edge-http-port", env = "NSM_WORKER_EDGE_HTTP_PORT")]
    pub http_port: Option<u16>,
    /// The port serving HTTPS; default 8443 when managed, 443 in system mode.
    #[arg(long = "edge-https-port", env = "NSM_WORKER_EDGE_HTTPS_PORT")]
    pub https_port: Option<u16>,
    /// Where the edge keeps its files (nginx prefix, certificates, keys); default
    /// `<data dir>/edge`.
    #[arg(long = "edge-dir", env = "NSM_WORKER_EDGE_DIR")]
    pub dir: Option<PathBuf>,
    /// Managed mode: stop nginx when the worker stops. By default it keeps serving and
    /// the next start adopts it, so a restart or an upgrade interrupts nothing.
    #[arg(long = "edge-stop-on-exit", env = "NSM_WORKER_EDGE_STOP_ON_EXIT", value_parser = clap::builder::BoolishValueParser::new())]
    pub stop_on_exit: bool,
}

impl EdgeConfig {
    /// No edge: what tests get unless they ask for one (an edge they turn on stops
    /// with them).
    pub fn off() -> Self {
        Self {
            mode: EdgeMode::Off,
            nginx_bin: PathBuf::from("nginx"),
            nginx_conf_dir: None,
            nginx_main_conf: None,
            nginx_user: None,
            http_port: None,
            https_port: None,
            dir: None,
            stop_on_exit: true,
        }
    }

    /// The HTTP and HTTPS ports, defaults applied.
    pub fn ports(&self) -> (u16, u16) {
        let (http, https) = match self.mode {
            EdgeMode::System => (80, 443),
            _ => (8080, 8443),
        };
        (self.http_port.unwrap_or(http), self.https_port.unwrap_or(https))
    }
}
