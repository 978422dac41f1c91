//! Every setting of the control plane, in one place (command line or `NSM_*`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "nsm-server", version, about = "NSM control plane: UI, API, worker hub and edge")]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Administration tasks that run against the data directory and exit.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator; prints a generated password unless --password-stdin.
    Create {
        #[arg(long)]
        username: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Where the SQLite database and all state live.
    #[arg(long, env = "NSM_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// Address the UI and API listen on.
    #[arg(long, env = "NSM_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Do not start the embedded worker `local`.
    #[arg(long, env = "NSM_NO_LOCAL_WORKER")]
    pub no_local_worker: bool,
    /// The built front end (`pkg/` with the WASM, JS and CSS).
    #[arg(long, env = "NSM_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// The URL users reach NSM at; `https://` makes session cookies `Secure`.
    #[arg(long, env = "NSM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Session lifetime, in hours.
    #[arg(long, env = "NSM_SESSION_HOURS", default_value_t = 168)]
    pub session_hours: i64,
    /// CI/CD API calls allowed per project and minute (also the burst size).
    #[arg(long, env = "NSM_CI_RATE_LIMIT", default_value_t = 60)]
    pub ci_rate_limit: u32,
    #[command(flatten)]
    pub edge: EdgeSettings,
}

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("nsm.sqlite")
    }

    /// Settings for tests and embedding: a data directory, an ephemeral port.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            no_local_worker: false,
            site_root: PathBuf::from("target/site"),
            public_url: None,
            session_hours: 168,
            ci_rate_limit: 60,
            // Tests that need nginx turn the edge on themselves.
            edge: EdgeSettings::off(),
        }
    }
}

/// Let's Encrypt's production directory; staging is
/// `https://acme-staging-v02.api.letsencrypt.org/directory`.
pub const LETS_ENCRYPT_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// How projects are published (design §6); the vocabulary is the shared crate's.
pub use nsm_core::edge::EdgeMode;

/// The edge: nginx and TLS.
#[derive(Debug, Clone, Args)]
pub struct EdgeSettings {
    /// managed (own nginx), system (the host's nginx) or off.
    #[arg(long = "edge", env = "NSM_EDGE", value_parser = str::parse::<EdgeMode>, default_value = "managed")]
    pub mode: EdgeMode,
    /// The nginx binary.
    #[arg(long, env = "NSM_NGINX_BIN", default_value = "nginx")]
    pub nginx_bin: PathBuf,
    /// System mode: the directory the host's nginx includes inside `http { }`.
    #[arg(long, env = "NSM_NGINX_CONF_DIR", required_if_eq("mode", "system"))]
    pub nginx_conf_dir: Option<PathBuf>,
    /// System mode: the host nginx's main configuration, when not its compiled-in
    /// default (passed as `nginx -c` to `-t` and `-s reload`).
    #[arg(long, env = "NSM_NGINX_MAIN_CONF")]
    pub nginx_main_conf: Option<PathBuf>,
    /// Managed mode: the user nginx's workers run as when NSM runs as root (they must
    /// read the Static Pages' files); nginx's default (`nobody`) when unset.
    #[arg(long, env = "NSM_NGINX_USER")]
    pub nginx_user: Option<String>,
    /// The port answering HTTP (ACME challenges, redirects to HTTPS); default 8080
    /// when managed (no root needed), 80 in system mode.
    #[arg(long = "edge-http-port", env = "NSM_EDGE_HTTP_PORT")]
    pub http_port: Option<u16>,
    /// The port serving HTTPS; default 8443 when managed, 443 in system mode.
    #[arg(long = "edge-https-port", env = "NSM_EDGE_HTTPS_PORT")]
    pub https_port: Option<u16>,
    /// The ACME directory certificates are requested from (Let's Encrypt production by
    /// default; staging: https://acme-staging-v02.api.letsencrypt.org/directory).
    #[arg(long, env = "NSM_ACME_DIRECTORY", default_value = LETS_ENCRYPT_PRODUCTION)]
    pub acme_directory: String,
    /// Contact address given to the ACME server (expiry notices).
    #[arg(long, env = "NSM_ACME_EMAIL")]
    pub acme_email: Option<String>,
    /// A PEM root certificate to trust for the ACME server's HTTPS instead of the
    /// system's (a test CA such as pebble's).
    #[arg(long, env = "NSM_ACME_ROOT_CA")]
    pub acme_root_ca: Option<PathBuf>,
    /// Serve self-signed certificates only; never ask an ACME server.
    #[arg(long, env = "NSM_NO_ACME")]
    pub no_acme: bool,
    /// Seconds between two checks for certificates to obtain or renew.
    #[arg(long, env = "NSM_ACME_CHECK_SECS", default_value_t = 12 * 3600, hide = true)]
    pub acme_check_secs: u64,
}

impl EdgeSettings {
    /// No edge: what tests and embedding get unless they ask for one.
    pub fn off() -> Self {
        Self {
            mode: EdgeMode::Off,
            nginx_bin: PathBuf::from("nginx"),
            nginx_conf_dir: None,
            nginx_main_conf: None,
            nginx_user: None,
            http_port: None,
            https_port: None,
            acme_directory: LETS_ENCRYPT_PRODUCTION.to_owned(),
            acme_email: None,
            acme_root_ca: None,
            no_acme: false,
            acme_check_secs: 12 * 3600,
        }
    }

    /// The (HTTP, HTTPS) ports nginx listens on in this mode.
    pub fn ports(&self) -> (u16, u16) {
        let (http, https) = if self.mode == EdgeMode::System { (80, 443) } else { (8080, 8443) };
        (self.http_port.unwrap_or(http), self.https_port.unwrap_or(https))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_edge_ports_are_named_as_the_edge_s() {
        // `--http-port` would read as the UI's port, which is `--listen`.
        let cli =
            Cli::try_parse_from(["nsm-server", "--edge-http-port", "18080", "--edge-https-port", "18443"]).unwrap();
        assert_eq!(cli.settings.edge.ports(), (18080, 18443));
        assert!(Cli::try_parse_from(["nsm-server", "--http-port", "18080"]).is_err());
    }
}
