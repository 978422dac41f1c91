//! Settings → Users (admin) and the Account page (every user: password, sessions,
//! API tokens). Who may call each is in [`super::access`].

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use nsm_core::access::Role;
use nsm_core::team::{OneTimeSecret, SessionView, TokenView, UserView};

use crate::error::AppError;

#[cfg(feature = "ssr")]
fn parse_role(value: &str) -> Result<Role, nsm_core::FieldError> {
    Role::parse(value).ok_or_else(|| nsm_core::FieldError::new("Choose admin, deployer or viewer"))
}

#[cfg(feature = "ssr")]
fn role(value: &str) -> Result<Role, AppError> {
    let mut errors = nsm_core::FieldErrors::new();
    errors.check("role", parse_role(value)).ok_or(AppError::Invalid(errors))
}

#[server(prefix = "/api/fn", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    crate::backend::authorized::<ListUsers>()?;
    crate::backend::control_plane()?.list_users().await
}

/// Answers the new user's one-time password (shown once).
#[server(prefix = "/api/fn", endpoint = "create_user")]
pub async fn create_user(username: String, role: String) -> Result<OneTimeSecret, AppError> {
    let user = crate::backend::current_user()?;
    let mut errors = nsm_core::FieldErrors::new();
    errors.check("username", nsm_core::account::check_username(&username));
    let role = errors.check("role", parse_role(&role));
    match role {
        Some(role) if errors.is_empty() => {
            crate::backend::control_plane()?.create_user(&user, username.trim(), role).await
        }
        _ => Err(errors.into()),
    }
}

#[server(prefix = "/api/fn", endpoint = "set_user_role")]
pub async fn set_user_role(user: i64, role: String) -> Result<(), AppError> {
    let by = crate::backend::current_user()?;
    crate::backend::control_plane()?.set_user_role(&by, user, self::role(&role)?).await
}

#[server(prefix = "/api/fn", endpoint = "set_user_disabled")]
pub async fn set_user_disabled(user: i64, disabled: bool) -> Result<(), AppError> {
    let by = crate::backend::current_user()?;
    crate::backend::control_plane()?.set_user_disabled(&by, user, disabled).await
}

#[server(prefix = "/api/fn", endpoint = "reset_user_password")]
pub async fn reset_user_password(user: i64) -> Result<OneTimeSecret, AppError> {
    let by = crate::backend::current_user()?;
    crate::backend::control_plane()?.reset_user_password(&by, user).await
}

#[server(prefix = "/api/fn", endpoint = "sign_out_user")]
pub async fn sign_out_user(user: i64) -> Result<u64, AppError> {
    let by = crate::backend::current_user()?;
    crate::backend::control_plane()?.sign_out_user(&by, user).await
}

#[server(prefix = "/api/fn", endpoint = "change_password")]
pub async fn change_password(current: String, password: String, confirm: String) -> Result<(), AppError> {
    let by = crate::backend::current_user()?;
    let mut errors = nsm_core::FieldErrors::new();
    if let Err(e) = nsm_core::account::check_password(&password) {
        errors.add("password", e);
    }
    if password != confirm {
        errors.add("confirm", nsm_core::FieldError::new("The passwords do not match"));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let session = crate::backend::session_token()?;
    crate::backend::control_plane()?.change_password(&by, &current, &password, session.as_deref()).await
}

#[server(prefix = "/api/fn", endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<SessionView>, AppError> {
    let by = crate::backend::current_user()?;
    let session = crate::backend::session_token()?;
    crate::backend::control_plane()?.list_sessions(&by, session.as_deref()).await
}

#[server(prefix = "/api/fn", endpoint = "sign_out_session")]
pub async fn sign_out_session(session: i64) -> Result<(), AppError> {
    let by = crate::backend::current_user()?;
    crate::backend::control_plane()?.sign_out_session(&by, session).await
}

/// Ends every session of the caller, this one included.
#[server(prefix = "/api/fn", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<u64, AppError> {
    let by = crate::backend::current_user()?;
    let plane = crate::backend::control_plane()?;
    let ended = plane.sign_out_everywhere(&by).await?;
    crate::backend::set_session_cookie(None, plane.secure_cookies());
    leptos_axum::redirect("/login");
    Ok(ended)
}

#[server(prefix = "/api/fn", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<TokenView>, AppError> {
    let by = crate::backend::current_user()?;
    crate::backend::control_plane()?.list_api_tokens(&by).await
}

/// Answers the token (shown once).
#[server(prefix = "/api/fn", endpoint = "create_api_token")]
pub async fn create_api_token(name: String, scope: String, expires_in_days: String) -> Result<OneTimeSecret, AppError> {
    let by = crate::backend::current_user()?;
    let request = nsm_core::team::TokenRequest::parse(&name, &scope, &expires_in_days)?;
    crate::backend::control_plane()?.create_api_token(&by, request).await
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(token: i64) -> Result<(), AppError> {
    let by = crate::backend::current_user()?;
    crate::backend::control_plane()?.revoke_api_token(&by, token).await
}
