use leptos::prelude::*;

pub use nsm_core::account::{check_password, check_username, MIN_PASSWORD_LEN};

use crate::error::AppError;
use crate::model::CurrentUser;

#[server(prefix = "/api/fn", endpoint = "needs_setup")]
pub async fn needs_setup() -> Result<bool, AppError> {
    crate::backend::control_plane()?.needs_setup().await
}

/// Whether the setup page must ask for the setup token the server logged.
#[server(prefix = "/api/fn", endpoint = "setup_requires_token")]
pub async fn setup_requires_token() -> Result<bool, AppError> {
    Ok(crate::backend::control_plane()?.setup_requires_token())
}

/// Creates the first administrator; refused once any user exists.
#[server(prefix = "/api/fn", endpoint = "setup_admin")]
pub async fn setup_admin(
    username: String,
    password: String,
    confirm: String,
    #[server(default)] setup_token: Option<String>,
) -> Result<(), AppError> {
    use crate::backend;
    let mut errors = nsm_core::FieldErrors::new();
    if let Err(e) = check_username(&username) {
        errors.add("username", e);
    }
    if let Err(e) = check_password(&password) {
        errors.add("password", e);
    }
    if password != confirm {
        errors.add("confirm", nsm_core::FieldError::new("The passwords do not match"));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let plane = backend::control_plane()?;
    let token = setup_token.as_deref().filter(|t| !t.trim().is_empty());
    let session = plane.setup_admin(username.trim(), &password, token, backend::client_addr()?).await?;
    backend::set_session_cookie(Some(&session), plane.secure_cookies());
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), AppError> {
    use crate::backend;
    let plane = backend::control_plane()?;
    let session = plane.sign_in(username.trim(), &password, backend::client_addr()?).await?;
    backend::set_session_cookie(Some(&session), plane.secure_cookies());
    leptos_axum::redirect(if session.must_change_password { "/account" } else { "/" });
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::backend;
    backend::current_user()?;
    let plane = backend::control_plane()?;
    if let Some(token) = backend::session_token()? {
        plane.sign_out(&token).await?;
    }
    backend::set_session_cookie(None, plane.secure_cookies());
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(prefix = "/api/fn", endpoint = "whoami")]
pub async fn whoami() -> Result<CurrentUser, AppError> {
    crate::backend::current_user()
}
