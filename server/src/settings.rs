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
        }
    }
}
