//! `nsm-server admin …`: offline administration against the data directory.

use std::io::{BufRead, Write};

use crate::auth::password;
use crate::db;
use crate::error::ServerError;
use crate::settings::Settings;

/// Creates an administrator and returns the password (generated unless given).
pub async fn create_admin(
    settings: &Settings,
    username: &str,
    password_from_stdin: bool,
) -> Result<Option<String>, ServerError> {
    nsm_core::account::check_username(username).map_err(|e| ServerError::Invalid(e.0))?;
    let (password, generated) = if password_from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (password::generate(), true)
    };
    nsm_core::account::check_password(&password).map_err(|e| ServerError::Invalid(e.0))?;
    tokio::fs::create_dir_all(&settings.data_dir).await?;
    let pool = db::open(&settings.database_path()).await?;
    let hash = password::hash(&password)?;
    match db::users::insert_admin(&pool, username, &hash, false).await {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ServerError::UserExists(username.to_owned()));
        }
        Err(e) => return Err(e.into()),
    }
    db::audit::record(&pool, None, "user.create", username, Some("admin create")).await?;
    Ok(generated.then_some(password))
}

/// Writes the generated password where the operator reads it: standard output.
pub fn print_password(password: &str) -> Result<(), ServerError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{password}")?;
    Ok(())
}
