use leptos::prelude::*;

use crate::error::AppError;
use crate::model::CurrentUser;

/// Endpoints reachable without a session (the server's guard allows exactly these).
pub const PUBLIC_ENDPOINTS: [&str; 3] = ["needs_setup", "setup_admin", "sign_in"];

pub const MIN_PASSWORD_LEN: usize = 10;

#[server(prefix = "/api/fn", endpoint = "needs_setup")]
pub async fn needs_setup() -> Result<bool, AppError> {
    crate::backend::control_plane()?.needs_setup().await
}

/// Creates the first administrator; refused once any user exists.
#[server(prefix = "/api/fn", endpoint = "setup_admin")]
pub async fn setup_admin(username: String, password: String, confirm: String) -> Result<(), AppError> {
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
    let session = plane.create_first_admin(username.trim(), &password).await?;
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
    leptos_axum::redirect("/");
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

/// Usernames: 1–64 letters, digits, `.`, `_`, `-`, `@`.
pub fn check_username(username: &str) -> Result<(), nsm_core::FieldError> {
    let u = username.trim();
    if u.is_empty() || u.len() > 64 {
        return Err(nsm_core::FieldError::new("Username must be 1 to 64 characters"));
    }
    if !u.chars().all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c)) {
        return Err(nsm_core::FieldError::new("Username may contain only letters, digits, '.', '-', '_' and '@'"));
    }
    Ok(())
}

pub fn check_password(password: &str) -> Result<(), nsm_core::FieldError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(nsm_core::FieldError::new(format!("Password must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if password.len() > 1024 {
        return Err(nsm_core::FieldError::new("Password must be at most 1024 bytes"));
    }
    Ok(())
}
