//! Every setting of the control plane, in one place (command line or `NSM_*`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use nsm_core::settings::{AcmeDirectory, ContactEmail, RetentionDays};

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
    /// Administration tasks that run against the data directory and exit
    /// (`admin create` is `user create --role admin`).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Users: create, list, change a role; against the data directory, then exit.
    #[command(subcommand)]
    User(UserCommand),
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

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints a generated password unless --password-stdin.
    Create {
        #[arg(long)]
        username: String,
        /// admin, deployer or viewer.
        #[arg(long)]
        role: nsm_core::access::Role,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Every user with role and state, one per line.
    List,
    /// Change a user's role (the last enabled admin stays admin).
    SetRole {
        #[arg(long)]
        username: String,
        /// admin, deployer or viewer.
        #[arg(long)]
        role: nsm_core::access::Role,
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
    #[arg(long, env = "NSM_NO_LOCAL_WORKER", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_local_worker: bool,
    /// The built front end (`pkg/` with the WASM, JS and CSS); overrides `site-root` of
    /// the Leptos configuration [default: target/site].
    #[arg(long, env = "NSM_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
    /// The Leptos configuration (`[package.metadata.leptos]`: site-root, site-pkg-dir,
    /// output-name); when the file does not exist, the defaults apply.
    #[arg(long, env = "NSM_LEPTOS_CONFIG", default_value = "Leptos.toml")]
    pub leptos_config: PathBuf,
    /// The URL users reach NSM at; `https://` makes session cookies `Secure`.
    #[arg(long, env = "NSM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Session lifetime, in hours.
    #[arg(long, env = "NSM_SESSION_HOURS", default_value_t = 168)]
    pub session_hours: i64,
    /// A session not used for this many minutes ends (besides its absolute lifetime).
    #[arg(long, env = "NSM_SESSION_IDLE_MINUTES", default_value_t = 1440)]
    pub session_idle_minutes: i64,
    /// CI/CD API calls allowed per project and minute (also the burst size).
    #[arg(long, env = "NSM_CI_RATE_LIMIT", default_value_t = 60)]
    pub ci_rate_limit: u32,
    /// Audit log entries older than this many days are deleted (checked hourly); 0
    /// keeps them forever. Default: the Settings page's value, else 90. Given here, the
    /// page cannot change it.
    #[arg(long, env = "NSM_AUDIT_RETENTION_DAYS", value_parser = RetentionDays::parse)]
    pub audit_retention_days: Option<RetentionDays>,
    /// CI/CD activity entries (and remembered GitHub deliveries) older than this many
    /// days are deleted (checked hourly); 0 keeps them forever.
    #[arg(long, env = "NSM_ACTIVITY_RETENTION_DAYS", default_value_t = 90)]
    pub activity_retention_days: u32,
    /// Reverse proxies (IP addresses, comma-separated) whose `X-Forwarded-For` names the
    /// client; from anyone else the header is ignored.
    #[arg(long = "trusted-proxy", env = "NSM_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    #[command(flatten)]
    pub edge: EdgeSettings,
    #[command(flatten)]
    pub github: crate::auth::github::GithubFlags,
}

impl Settings {
    pub fn session_idle_secs(&self) -> i64 {
        self.session_idle_minutes.clamp(1, 60 * 24 * 365) * 60
    }

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
            site_root: None,
            leptos_config: PathBuf::from(LEPTOS_CONFIG),
            public_url: None,
            session_hours: 168,
            session_idle_minutes: 1440,
            ci_rate_limit: 60,
            audit_retention_days: None,
            activity_retention_days: 90,
            trusted_proxies: Vec::new(),
            // Tests that need nginx turn the edge on themselves.
            edge: EdgeSettings::off(),
            github: crate::auth::github::GithubFlags::default(),
        }
    }
}

/// Where `--leptos-config` points unless told otherwise (relative to the working
/// directory, like every relative path in it).
pub const LEPTOS_CONFIG: &str = "Leptos.toml";

/// Where the server finds the built front end, and what its files are called: the
/// runtime part of the Leptos options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteOptions {
    pub site_root: PathBuf,
    pub site_pkg_dir: String,
    pub output_name: String,
}

impl Default for SiteOptions {
    /// What `make build` produces: `target/site/pkg/nsm.{js,wasm,css}`.
    fn default() -> Self {
        Self { site_root: PathBuf::from("target/site"), site_pkg_dir: "pkg".to_owned(), output_name: "nsm".to_owned() }
    }
}

/// A Leptos configuration that exists but cannot be used: the server does not start.
#[derive(Debug, thiserror::Error)]
pub enum SiteConfigError {
    #[error("cannot read the Leptos configuration {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the Leptos configuration {} is not valid (a `[package.metadata.leptos]` table with \
         output-name, site-root, site-pkg-dir): {reason}",
        path.display()
    )]
    Invalid { path: PathBuf, reason: String },
}

impl SiteOptions {
    /// Reads a Leptos configuration file as `leptos_config::get_configuration` does
    /// (`LEPTOS_*` variables, which cargo-leptos sets, override its values); `None`
    /// when the file does not exist.
    pub fn from_file(path: &Path) -> Result<Option<Self>, SiteConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SiteConfigError::Read { path: path.to_path_buf(), source }),
        };
        let options = leptos_config::get_config_from_str(&text)
            .map_err(|error| SiteConfigError::Invalid { path: path.to_path_buf(), reason: error.to_string() })?;
        Ok(Some(Self {
            site_root: PathBuf::from(options.site_root.as_ref()),
            site_pkg_dir: options.site_pkg_dir.to_string(),
            output_name: options.output_name.to_string(),
        }))
    }
}

impl Settings {
    /// The site this server serves: `--site-root` over the Leptos configuration over
    /// the defaults.
    pub fn site(&self) -> Result<SiteOptions, SiteConfigError> {
        let mut site = SiteOptions::from_file(&self.leptos_config)?.unwrap_or_default();
        if let Some(root) = &self.site_root {
            site.site_root.clone_from(root);
        }
        Ok(site)
    }
}

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
    /// Managed mode: stop nginx when the server stops. By default it keeps serving and
    /// the next start adopts it, so a restart or an upgrade interrupts nothing.
    #[arg(long = "edge-stop-on-exit", env = "NSM_EDGE_STOP_ON_EXIT", value_parser = clap::builder::BoolishValueParser::new())]
    pub stop_on_exit: bool,
    /// The ACME directory certificates are requested from (staging:
    /// https://acme-staging-v02.api.letsencrypt.org/directory). Default: the Settings
    /// page's value, else Let's Encrypt production. Given here, the page cannot change it.
    #[arg(long, env = "NSM_ACME_DIRECTORY", value_parser = AcmeDirectory::parse)]
    pub acme_directory: Option<AcmeDirectory>,
    /// Contact address given to the ACME server (expiry notices). Default: the Settings
    /// page's value. Given here, the page cannot change it.
    #[arg(long, env = "NSM_ACME_EMAIL", value_parser = ContactEmail::parse)]
    pub acme_email: Option<ContactEmail>,
    /// A PEM root certificate to trust for the ACME server's HTTPS instead of the
    /// system's (a test CA such as pebble's).
    #[arg(long, env = "NSM_ACME_ROOT_CA")]
    pub acme_root_ca: Option<PathBuf>,
    /// Serve self-signed certificates only; never ask an ACME server.
    #[arg(long, env = "NSM_NO_ACME", value_parser = clap::builder::BoolishValueParser::new())]
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
            acme_directory: None,
            acme_email: None,
            acme_root_ca: None,
            no_acme: false,
            acme_check_secs: 12 * 3600,
            // Tests that turn the edge on must not leave nginx behind.
            stop_on_exit: true,
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

    fn leptos_toml(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("Leptos.toml");
        std::fs::write(&path, format!("[package.metadata.leptos]\n{body}")).unwrap();
        path
    }

    #[test]
    fn the_site_comes_from_the_flag_then_the_leptos_configuration_then_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::for_data_dir(dir.path().join("data"));
        settings.leptos_config = dir.path().join("nowhere.toml");
        assert_eq!(settings.site().unwrap(), SiteOptions::default(), "a missing file means the defaults");

        settings.leptos_config =
            leptos_toml(dir.path(), "output-name = \"shop\"\nsite-root = \"/srv/site\"\nsite-pkg-dir = \"assets\"\n");
        let site = settings.site().unwrap();
        assert_eq!(
            site,
            SiteOptions {
                site_root: PathBuf::from("/srv/site"),
                site_pkg_dir: "assets".to_owned(),
                output_name: "shop".to_owned()
            }
        );

        settings.site_root = Some(PathBuf::from("/opt/other"));
        let site = settings.site().unwrap();
        assert_eq!(site.site_root, PathBuf::from("/opt/other"), "the flag wins");
        assert_eq!(site.output_name, "shop");
    }

    #[test]
    fn a_malformed_leptos_configuration_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for body in ["site-root = [1, 2\n", "site-root = \"x\"\n"] {
            let path = leptos_toml(dir.path(), body);
            let error = SiteOptions::from_file(&path).unwrap_err().to_string();
            assert!(error.contains(&path.display().to_string()) && error.contains("not valid"), "{error}");
        }
        let wrong_table = dir.path().join("other.toml");
        std::fs::write(&wrong_table, "[leptos]\noutput-name = \"nsm\"\n").unwrap();
        assert!(SiteOptions::from_file(&wrong_table).is_err());
        assert!(SiteOptions::from_file(dir.path()).is_err(), "a directory is not a file");
    }

    #[test]
    fn the_leptos_configuration_is_a_flag_and_a_variable() {
        let cli =
            Cli::try_parse_from(["nsm-server", "--leptos-config", "/etc/nsm/Leptos.toml", "--site-root", "s"]).unwrap();
        assert_eq!(cli.settings.leptos_config, PathBuf::from("/etc/nsm/Leptos.toml"));
        assert_eq!(cli.settings.site_root, Some(PathBuf::from("s")));
        let cli = Cli::try_parse_from(["nsm-server"]).unwrap();
        assert_eq!(cli.settings.leptos_config, PathBuf::from(LEPTOS_CONFIG));
    }

    #[test]
    fn a_switch_given_as_a_variable_reads_1_yes_and_on_as_set() {
        // A variable only this test reads, so no other test sees it.
        for (value, set) in [("1", true), ("yes", true), ("on", true), ("true", true), ("0", false), ("off", false)] {
            std::env::set_var("NSM_EDGE_STOP_ON_EXIT", value);
            let cli = Cli::try_parse_from(["nsm-server"]).unwrap();
            assert_eq!(cli.settings.edge.stop_on_exit, set, "NSM_EDGE_STOP_ON_EXIT={value}");
        }
        std::env::remove_var("NSM_EDGE_STOP_ON_EXIT");
    }

    #[test]
    fn the_repository_s_leptos_toml_names_the_built_site() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Leptos.toml");
        assert_eq!(SiteOptions::from_file(&path).unwrap(), Some(SiteOptions::default()));
    }
}
