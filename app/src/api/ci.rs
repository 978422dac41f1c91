use leptos::prelude::*;

use crate::error::AppError;
use crate::model::CiView;

#[cfg(feature = "ssr")]
use super::project_id;

#[server(prefix = "/api/fn", endpoint = "get_ci")]
pub async fn get_ci(id: String) -> Result<CiView, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_ci(&project_id(&id)?).await
}

/// Turns CI/CD deployments on or off (`enabled` present means on).
#[server(prefix = "/api/fn", endpoint = "set_ci_enabled")]
pub async fn set_ci_enabled(id: String, enabled: Option<String>) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.set_ci_enabled(&user, &project_id(&id)?, enabled.is_some()).await
}

#[server(prefix = "/api/fn", endpoint = "rotate_deploy_key")]
pub async fn rotate_deploy_key(id: String) -> Result<String, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.rotate_deploy_key(&user, &project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(id: String) -> Result<String, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.rotate_webhook_secret(&user, &project_id(&id)?).await
}
