//! `nsm-worker`: the node agent, run on each machine that hosts projects.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use nsm_core::WorkerId;
use nsm_worker::{run, EdgeConfig, WorkerConfig, WorkerError};
use tracing_subscriber::EnvFilter;

/// Connects to an NSM server and deploys its projects on this machine's Docker Engine.
#[derive(Debug, Parser)]
#[command(name = "nsm-worker", version)]
struct Args {
    /// The server's base URL (ws://, wss://, http:// or https://).
    #[arg(long, env = "NSM_WORKER_SERVER")]
    server: String,
    /// This worker's id, as registered on the server.
    #[arg(long, env = "NSM_WORKER_ID")]
    id: String,
    /// A file holding the worker's token (kept out of the command line and environment).
    #[arg(long, env = "NSM_WORKER_TOKEN_FILE")]
    token_file: PathBuf,
    /// Where checkouts, volumes and directories live.
    #[arg(long, env = "NSM_WORKER_DATA_DIR", default_value = "/var/lib/nsm-worker")]
    data_dir: PathBuf,
    #[command(flatten)]
    edge: EdgeConfig,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args = Args::parse();
    let worker_id = match WorkerId::parse(&args.id) {
        Ok(id) => id,
        Err(error) => {
            tracing::error!(%error, "invalid --id");
            return ExitCode::from(2);
        }
    };
    let token = match std::fs::read_to_string(&args.token_file) {
        Ok(token) if !token.trim().is_empty() => token.trim().to_owned(),
        Ok(_) => {
            tracing::error!(file = %args.token_file.display(), "the token file is empty");
            return ExitCode::from(2);
        }
        Err(error) => {
            tracing::error!(%error, file = %args.token_file.display(), "cannot read the token file");
            return ExitCode::from(2);
        }
    };
    let config = WorkerConfig { server_url: args.server, worker_id, token, data_dir: args.data_dir, edge: args.edge };
    match run(config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(WorkerError::Refused { .. }) => ExitCode::from(3),
        Err(error) => {
            tracing::error!(%error, "the worker stopped");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
