//! Configuration as code: a project's whole configuration as one TOML file, exported,
//! and imported (as a new project or into an existing one) only after its plan.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use nsm_core::config_file::ConfigPlan;

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::project_id;

/// The project's configuration file; secret values only when asked (admins; audited).
#[server(prefix = "/api/fn", endpoint = "export_config")]
pub async fn export_config(id: String, secrets: bool) -> Result<String, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.export_config(&user, &project_id(&id)?, secrets).await
}

/// What importing `text` would change: into the project `into`, or as a new project
/// (`into` empty). Nothing is written.
#[server(prefix = "/api/fn", endpoint = "plan_config_import", input = Json)]
pub async fn plan_config_import(into: Option<String>, text: String) -> Result<ConfigPlan, AppError> {
    let user = crate::backend::current_user()?;
    let into = into.as_deref().map(project_id).transpose()?;
    crate::backend::control_plane()?.plan_config_import(&user, into.as_ref(), &text).await
}

/// Applies `text` after its plan was confirmed; `base` is the plan's. Answers the
/// project's id.
#[server(prefix = "/api/fn", endpoint = "apply_config_import", input = Json)]
pub async fn apply_config_import(into: Option<String>, text: String, base: String) -> Result<String, AppError> {
    let user = crate::backend::current_user()?;
    let into = into.as_deref().map(project_id).transpose()?;
    let id = crate::backend::control_plane()?.apply_config_import(&user, into.as_ref(), &text, &base).await?;
    Ok(id.to_string())
}
