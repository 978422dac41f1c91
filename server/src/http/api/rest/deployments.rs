//! A project's services and deployments, cancelling one and redeploying one.
//! Triggering, status, log and events are the CI/CD routes (`deploy_project`,
//! `get_deployment`, …).

use std::sync::Arc;

use app::backend::Deployments;
use app::error::AppError;
use app::model::{CurrentUser, DeploymentSummary, ServiceView};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use nsm_core::activity::{ActivityOutcome, ActivitySource};
use nsm_core::{DeploymentId, ProjectId};
use serde_json::json;

use super::super::keys;
use super::super::status::{app_error, internal_error, not_found, unauthorized, DeploymentStatus};
use super::{project_id, ApiResult, Caller, ErrorBody};
use crate::activity::Activity;
use crate::control_plane::Plane;
use crate::db::{self, deployments as store};
use crate::deploy::DeployError;
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

/// Whether the request's bearer is `project`'s deploy key (for the routes a deploy key
/// opens besides a session or token).
pub(super) async fn presents_deploy_key(plane: &Plane, project: &str, headers: &HeaderMap) -> Result<bool, Response> {
    let stored = db::ci::deploy_key_hash(&plane.db, project).await.map_err(internal_error)?;
    Ok(match (keys::bearer(headers), stored.as_deref()) {
        (Some(presented), Some(stored)) => keys::key_matches(presented, stored),
        _ => false,
    })
}

fn activity(plane: &Plane, project: &str, outcome: ActivityOutcome, detail: String, deployment: Option<DeploymentId>) {
    let source = ActivitySource::DeployKey;
    plane.activity.record(Activity { project: project.to_owned(), source, outcome, detail, deployment });
}

fn queued(deployment: DeploymentId) -> Response {
    let body =
        json!({ "deployment_id": deployment.to_string(), "status_url": format!("/api/v1/deployments/{deployment}") });
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

/// Queues a new deployment of a succeeded deployment's commit with the configuration it
/// ran with (a rollback): with the project's deploy key (when CI/CD is on), or for a
/// caller allowed to deploy. Answers like `deploy_project`: `202` with the new id.
#[utoipa::path(post, path = "/api/v1/deployments/{id}/redeploy", tag = "deployments",
    params(("id" = i64, Path, description = "The number of the (succeeded) deployment to redeploy")),
    responses(
        (status = 202, description = "Queued: `deployment_id` and `status_url`", body = Object),
        (status = 404, description = "No such deployment (401 for a deploy key)", body = ErrorBody),
        (status = 409, description = "Not a succeeded deployment, one without a recorded configuration, or a deployment is already queued", body = ErrorBody),
    ))]
pub async fn redeploy_deployment(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(deployment) = id.trim().parse::<DeploymentId>() else {
        return if user.is_some() { not_found() } else { unauthorized() };
    };
    if let Some(Extension(user)) = user {
        return match plane.redeploy_deployment(&user, deployment).await {
            Ok(new) => queued(new),
            Err(error) => app_error(error),
        };
    }
    // The deploy key of the deployment's project; anything else is the same 401.
    let row = match store::get(&plane.db, deployment).await {
        Ok(Some(row)) => row,
        Ok(None) => return unauthorized(),
        Err(error) => return internal_error(error),
    };
    let project = row.project_id.as_str();
    match presents_deploy_key(&plane, project, &headers).await {
        Ok(true) => {}
        Ok(false) => {
            activity(&plane, project, ActivityOutcome::Refused, "missing or wrong deploy key".into(), None);
            return unauthorized();
        }
        Err(response) => return response,
    }
    let allowed = match ProjectId::parse(project) {
        Ok(id) => db::projects::get_project(&plane.db, &id).await.map(|p| p.is_some_and(|p| p.config.allow_ci_cd)),
        Err(_) => Ok(false),
    };
    match allowed {
        Ok(true) => {}
        Ok(false) => {
            activity(&plane, project, ActivityOutcome::Refused, "CI/CD is disabled for this project".into(), None);
            return (StatusCode::FORBIDDEN, Json(json!({ "error": "ci_cd_disabled" }))).into_response();
        }
        Err(error) => return internal_error(error),
    }
    if let Err(wait) = plane.ci_limiter.check(project) {
        activity(&plane, project, ActivityOutcome::Refused, "rate limited".into(), None);
        let body = json!({ "error": "rate_limited", "retry_after": wait.as_secs().max(1) });
        return (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    }
    match plane.deployer.redeploy(deployment, Some("deploy key")).await {
        Ok(requested) => {
            let detail = format!("queued deployment #{}, a redeploy of #{deployment}", requested.deployment);
            activity(&plane, project, ActivityOutcome::Accepted, detail, Some(requested.deployment));
            queued(requested.deployment)
        }
        Err(DeployError::Redeploy(refusal)) => {
            activity(&plane, project, ActivityOutcome::Refused, refusal.to_string(), None);
            app_error(AppError::Conflict(refusal.to_string()))
        }
        Err(error) => {
            activity(&plane, project, ActivityOutcome::Refused, "server error".into(), None);
            internal_error(error)
        }
    }
}
