//! The Environment tab's editor: its data, batched saves, reveal-all, `.env` export and
//! import (plan first, then apply).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use nsm_core::variables::{EnvironmentChanges, EnvironmentView, ImportPlan};

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::project_id;

#[server(prefix = "/api/fn", endpoint = "get_environment")]
pub async fn get_environment(id: String) -> Result<EnvironmentView, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.get_environment(&user, &project_id(&id)?).await
}

/// Every plain value of the project (admins; audited).
#[server(prefix = "/api/fn", endpoint = "reveal_environment")]
pub async fn reveal_environment(id: String) -> Result<Vec<(String, String)>, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.reveal_environment(&user, &project_id(&id)?).await
}

/// Saves every edit of the editor at once (checked together first).
#[server(prefix = "/api/fn", endpoint = "save_environment", input = Json)]
pub async fn save_environment(id: String, changes: EnvironmentChanges) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.save_environment(&user, &project_id(&id)?, changes).await
}

/// The variables as a `.env` file; secret values only when asked (admins; audited).
#[server(prefix = "/api/fn", endpoint = "export_dotenv")]
pub async fn export_dotenv(id: String, secrets: bool) -> Result<String, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.export_dotenv(&user, &project_id(&id)?, secrets).await
}

/// What importing `text` would change; nothing is written.
#[server(prefix = "/api/fn", endpoint = "plan_dotenv_import", input = Json)]
pub async fn plan_dotenv_import(id: String, text: String) -> Result<ImportPlan, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.plan_dotenv_import(&project_id(&id)?, &text).await
}

/// Imports `text` (after its plan was confirmed): adds and replaces its variables.
#[server(prefix = "/api/fn", endpoint = "apply_dotenv_import", input = Json)]
pub async fn apply_dotenv_import(id: String, text: String) -> Result<ImportPlan, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.apply_dotenv_import(&user, &project_id(&id)?, &text).await
}
