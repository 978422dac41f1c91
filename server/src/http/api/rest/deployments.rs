//! A project's services and deployments, and cancelling one. Triggering, status, log
//! and events are the CI/CD routes (`deploy_project`, `get_deployment`, …).

use std::sync::Arc;

use app::backend::Deployments;
use app::error::AppError;
use app::model::{DeploymentSummary, ServiceView};
use axum::extract::{Path, State};
use axum::Json;
use nsm_core::DeploymentId;

use super::super::status::DeploymentStatus;
use super::{project_id, ApiResult, Caller, ErrorBody};
use crate::control_plane::Plane;
use crate::db::deployments as store;
use crate::error::internal;

/// Each service: what is expected of it, and what its containers do (`assessment`).
#[utoipa::path(get, path = "/api/v1/projects/{id}/services", tag = "services",
    params(("id" = String, Path, description = "The project's id")),
    responses(
        (status = 200, description = "Its services, expected against actual", body = [ServiceView]),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn list_services(
    State(plane): State<Arc<Plane>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ServiceView>>> {
    Ok(Json(plane.list_services(&project_id(&id)?).await?))
}

/// The project's latest deployments (50 at most), newest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/deployments", tag = "deployments",
    params(("id" = String, Path, description = "The project's id")),
    responses(
        (status = 200, description = "Its deployments, newest first", body = [DeploymentSummary]),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn list_deployments(
    State(plane): State<Arc<Plane>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<DeploymentSummary>>> {
    Ok(Json(plane.list_deployments(&project_id(&id)?).await?))
}

/// Cancels a queued or running deployment; answers it as it stands (a running one
/// reaches `cancelled` once its worker stopped: follow `status_url`). One that
/// already ended is answered unchanged.
#[utoipa::path(post, path = "/api/v1/deployments/{id}/cancel", tag = "deployments",
    params(("id" = i64, Path, description = "The deployment's number")),
    responses(
        (status = 200, description = "Cancelled, or being cancelled", body = DeploymentStatus),
        (status = 404, description = "No such deployment", body = ErrorBody),
    ))]
pub async fn cancel_deployment(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DeploymentStatus>> {
    let not_found = || AppError::NotFound(format!("Deployment #{id}"));
    let deployment: DeploymentId = id.trim().parse().map_err(|_| not_found())?;
    plane.cancel_deployment(&user, deployment).await?;
    let row = store::get(&plane.db, deployment).await.map_err(internal)?.ok_or_else(not_found)?;
    Ok(Json(DeploymentStatus::of(&row)))
}
