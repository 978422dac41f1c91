//! The Settings page: control-plane settings an admin edits at run time.

use leptos::prelude::*;
use nsm_core::logs::LogCap;

use crate::error::AppError;

/// The per-service cap on stored container log bytes in force.
#[server(prefix = "/api/fn", endpoint = "get_log_cap")]
pub async fn get_log_cap() -> Result<LogCap, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_log_cap().await
}

/// Sets the cap from what the admin typed (whole megabytes), checked the way the
/// server reads it. Every signed-in user is an admin until roles arrive.
#[server(prefix = "/api/fn", endpoint = "set_log_cap")]
pub async fn set_log_cap(megabytes: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let cap = LogCap::parse_megabytes(&megabytes).map_err(|error| {
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("megabytes", nsm_core::FieldError::new(error.to_string()));
        AppError::Invalid(errors)
    })?;
    crate::backend::control_plane()?.set_log_cap(&user, cap).await
}
