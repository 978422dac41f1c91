//! `nsm-server user …` (and `admin create`): offline administration of users
//! against the data directory.

use std::io::{BufRead, Write};

use nsm_core::access::Role;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};

use crate::auth::password;
use crate::db::{self, Db};
use crate::error::ServerError;
use crate::settings::Settings;

async fn open(settings: &Settings) -> Result<Db, ServerError> {
    if !settings.data_dir.exists() {
        crate::data_dir::prepare(&settings.data_dir, crate::data_dir::Access::Private).await?;
    }
    Ok(db::open(&settings.database_path()).await?)
}

/// Creates a user and returns the password (generated unless given on stdin).
pub async fn create_user(
    settings: &Settings,
    username: &str,
    role: Role,
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
    let pool = open(settings).await?;
    let hash = password::hash(&password)?;
    match db::users::insert(&pool, username, &hash, role, false, false).await {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ServerError::UserExists(username.to_owned()));
        }
        Err(e) => return Err(e.into()),
    }
    let event = AuditEvent::new(AuditKind::User, AuditAction::Created, username)
        .change(None, Some(format!("role {role}")))
        .detail("command line");
    db::audit::record(&pool, None, &event).await?;
    Ok(generated.then_some(password))
}

/// `username role state` lines, for `user list`.
pub async fn list_users(settings: &Settings) -> Result<(), ServerError> {
    let pool = open(settings).await?;
    let mut out = std::io::stdout().lock();
    for user in db::users::list(&pool).await? {
        let state = if user.disabled { "disabled" } else { "enabled" };
        writeln!(out, "{}\t{}\t{state}", user.username, user.role)?;
    }
    Ok(())
}

pub async fn set_role(settings: &Settings, username: &str, role: Role) -> Result<(), ServerError> {
    let pool = open(settings).await?;
    let user = db::users::find_by_username(&pool, username)
        .await?
        .ok_or_else(|| ServerError::Invalid(format!("no user named {username}")))?;
    db::users::set_role(&pool, user.id, role).await.map_err(|e| match e {
        db::users::UserChangeError::Db(e) => ServerError::from(e),
        other => ServerError::Invalid(other.to_string()),
    })?;
    let event = AuditEvent::new(AuditKind::Role, AuditAction::Changed, username)
        .change(Some(user.role.to_string()), Some(role.to_string()))
        .detail("command line");
    db::audit::record(&pool, None, &event).await?;
    Ok(())
}

/// Writes the generated password where the operator reads it: standard output.
pub fn print_password(password: &str) -> Result<(), ServerError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{password}")?;
    Ok(())
}
