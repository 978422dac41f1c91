use leptos::prelude::*;

use nsm_core::DeploymentId;

use crate::error::AppError;
use crate::model::{DeploymentDetail, DeploymentSummary, ProjectStatus, ServiceView, SyncView};

#[cfg(feature = "ssr")]
use super::project_id;

#[server(prefix = "/api/fn", endpoint = "get_project_status")]
pub async fn get_project_status(id: String) -> Result<ProjectStatus, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_project_status(&project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "sync_project")]
pub async fn sync_project(id: String) -> Result<SyncView, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.sync_project(&user, &project_id(&id)?).await
}

/// Queues a deployment; answers its id (an already queued one when requests coalesce).
#[server(prefix = "/api/fn", endpoint = "deploy_project")]
pub async fn deploy_project(id: String) -> Result<DeploymentId, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.deploy_project(&user, &project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "teardown_project")]
pub async fn teardown_project(id: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.teardown_project(&user, &project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "cancel_deployment")]
pub async fn cancel_deployment(deployment: DeploymentId) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.cancel_deployment(&user, deployment).await
}

#[server(prefix = "/api/fn", endpoint = "list_deployments")]
pub async fn list_deployments(id: String) -> Result<Vec<DeploymentSummary>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.list_deployments(&project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "get_deployment")]
pub async fn get_deployment(deployment: DeploymentId) -> Result<DeploymentDetail, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_deployment(deployment).await
}

#[server(prefix = "/api/fn", endpoint = "list_services")]
pub async fn list_services(id: String) -> Result<Vec<ServiceView>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.list_services(&project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "get_service_timelines")]
pub async fn get_service_timelines(id: String) -> Result<nsm_core::view::ServiceTimelines, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_service_timelines(&project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "update_service")]
pub async fn update_service(
    id: String,
    service: String,
    expected: String,
    collect_logs: Option<String>,
) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let expected = nsm_core::service::ServiceState::parse(&expected).ok_or_else(|| {
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("expected", nsm_core::FieldError::new(format!("Unknown state {expected:?}")));
        AppError::from(errors)
    })?;
    let update = crate::backend::ServiceUpdate { service, expected, collect_logs: collect_logs.is_some() };
    crate::backend::control_plane()?.update_service(&user, &project_id(&id)?, update).await
}
