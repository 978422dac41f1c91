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
/// server reads it.
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

/// The Server section's settings in force, each with where it comes from.
#[server(prefix = "/api/fn", endpoint = "get_server_settings")]
pub async fn get_server_settings() -> Result<nsm_core::settings::ServerSettings, AppError> {
    // Rendered by the Settings page, which every role opens: held to its rule here too.
    crate::backend::authorized::<GetServerSettings>()?;
    crate::backend::control_plane()?.get_server_settings().await
}

/// Saves the Server section; a field a flag gives is kept as the flag says.
#[server(prefix = "/api/fn", endpoint = "set_server_settings")]
pub async fn set_server_settings(
    #[server(flatten)] form: nsm_core::settings::ServerSettingsForm,
) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.set_server_settings(&user, form).await
}

/// What the New project form starts with (the Settings page's defaults).
#[server(prefix = "/api/fn", endpoint = "get_project_defaults")]
pub async fn get_project_defaults() -> Result<nsm_core::settings::ProjectDefaults, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_project_defaults().await
}
