//! The plan before a deployment, and redeploying an earlier one (a rollback).

use leptos::prelude::*;
use nsm_core::plan::Plan;
use nsm_core::DeploymentId;

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::project_id;

/// What deploying the project now would change against its last successful deployment.
#[server(prefix = "/api/fn", endpoint = "get_plan")]
pub async fn get_plan(id: String) -> Result<Plan, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_plan(&project_id(&id)?).await
}

/// What redeploying `deployment` would change against the last successful deployment.
#[server(prefix = "/api/fn", endpoint = "get_redeploy_plan")]
pub async fn get_redeploy_plan(deployment: DeploymentId) -> Result<Plan, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_redeploy_plan(deployment).await
}

/// Queues a new deployment of a succeeded deployment's commit and configuration.
#[server(prefix = "/api/fn", endpoint = "redeploy_deployment")]
pub async fn redeploy_deployment(deployment: DeploymentId) -> Result<DeploymentId, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.redeploy_deployment(&user, deployment).await
}
