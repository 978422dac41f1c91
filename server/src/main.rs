use std::process::ExitCode;

use clap::Parser;
use nsm_server::settings::{AdminCommand, Cli, Command};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Admin(AdminCommand::Create { username, password_stdin })) => {
            match nsm_server::admin::create_admin(&cli.settings, &username, password_stdin).await {
                Ok(Some(password)) => nsm_server::admin::print_password(&password),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            }
            .map(|()| tracing::info!(username, "administrator created"))
        }
        None => match nsm_server::start(cli.settings).await {
            Ok(server) => server.run_until_signal().await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "nsm-server failed");
            ExitCode::FAILURE
        }
    }
}
