use std::process::ExitCode;

use clap::Parser;
use nsm_core::access::Role;
use nsm_server::settings::{AdminCommand, Cli, Command, UserCommand};
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
            create_user(&cli.settings, &username, Role::Admin, password_stdin).await
        }
        Some(Command::User(UserCommand::Create { username, role, password_stdin })) => {
            create_user(&cli.settings, &username, role, password_stdin).await
        }
        Some(Command::User(UserCommand::List)) => nsm_server::admin::list_users(&cli.settings).await,
        Some(Command::User(UserCommand::SetRole { username, role })) => {
            nsm_server::admin::set_role(&cli.settings, &username, role)
                .await
                .map(|()| tracing::info!(username, %role, "role changed"))
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

async fn create_user(
    settings: &nsm_server::settings::Settings,
    username: &str,
    role: Role,
    password_stdin: bool,
) -> Result<(), nsm_server::error::ServerError> {
    if let Some(password) = nsm_server::admin::create_user(settings, username, role, password_stdin).await? {
        nsm_server::admin::print_password(&password)?;
    }
    tracing::info!(username, %role, "user created");
    Ok(())
}
