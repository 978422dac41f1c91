//! `GET /api/v1/deployments/{id}` and `…/log`: for CI (the project's deploy key) and
//! for signed-in users.

use std::convert::Infallible;
use std::sync::Arc;

use app::model::CurrentUser;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::stream::StreamExt;
use nsm_core::protocol::{LogLine, ServiceResult};
use nsm_core::{DeploymentId, DeploymentState, Trigger};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::keys;
use super::rest::ErrorBody;
use crate::control_plane::Plane;
use crate::db::deployments::{self as store, DeploymentRow};
use crate::db::{self};
use crate::deploy::Followed;

/// A deployment as the v1 API answers it: for CI, the status and where to read on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeploymentStatus {
    /// Its number, as text.
    pub deployment_id: String,
    pub project: String,
    pub state: DeploymentState,
    pub trigger: Trigger,
    pub triggered_by: Option<String>,
    pub commit: Option<String>,
    /// Why it failed, was cancelled or timed out.
    pub reason: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Each service's outcome, once it settled.
    pub services: Vec<ServiceResult>,
    pub status_url: String,
    pub log_url: String,
}

impl DeploymentStatus {
    pub fn of(row: &DeploymentRow) -> Self {
        Self {
            deployment_id: row.id.to_string(),
            project: row.project_id.clone(),
            state: row.state,
            trigger: row.trigger,
            triggered_by: row.triggered_by.clone(),
            commit: row.commit_sha.clone(),
            reason: row.reason.clone(),
            created_at: row.created_at.clone(),
            started_at: row.started_at.clone(),
            finished_at: row.finished_at.clone(),
            services: row.services.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default(),
            status_url: format!("/api/v1/deployments/{}", row.id),
            log_url: format!("/api/v1/deployments/{}/log", row.id),
        }
    }
}

pub fn deployment_json(row: &DeploymentRow) -> Value {
    serde_json::to_value(DeploymentStatus::of(row)).unwrap_or(Value::Null)
}

/// `200` for success; failures map to statuses `curl --fail` treats as errors.
pub fn status_code_for(state: DeploymentState) -> StatusCode {
    match state {
        DeploymentState::Succeeded => StatusCode::OK,
        DeploymentState::TimedOut => StatusCode::GATEWAY_TIMEOUT,
        DeploymentState::Failed | DeploymentState::Cancelled => StatusCode::CONFLICT,
        DeploymentState::Queued
        | DeploymentState::Preparing
        | DeploymentState::Starting
        | DeploymentState::Settling => StatusCode::ACCEPTED,
    }
}

/// The deployment, if the caller may see it: a session, or the project's deploy key.
/// Anyone else gets the same 401 whether it exists or not; a store failure is a 500.
async fn authorized(
    plane: &Plane,
    id: DeploymentId,
    user: Option<&CurrentUser>,
    headers: &HeaderMap,
) -> Result<DeploymentRow, Response> {
    let row = store::get(&plane.db, id).await.map_err(internal_error)?;
    // The guard let this caller read deployments: it may learn one does not exist.
    if user.is_some() {
        return row.ok_or_else(not_found);
    }
    let row = row.ok_or_else(unauthorized)?;
    let stored = db::ci::deploy_key_hash(&plane.db, &row.project_id).await.map_err(internal_error)?;
    match (keys::bearer(headers), stored) {
        (Some(presented), Some(stored)) if keys::key_matches(presented, &stored) => Ok(row),
        _ => Err(unauthorized()),
    }
}

pub fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": "not_found" }))).into_response()
}

/// A control-plane service's refusal, as the v1 API answers it.
pub fn app_error(error: app::error::AppError) -> Response {
    super::rest::ApiError::App(error).into_response()
}

pub fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({ "error": "unauthorized" }))).into_response()
}

/// An unexpected failure: logged once here, answered as a bare 500.
pub fn internal_error(error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "internal error");
    (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "internal" }))).into_response()
}

/// A deployment's state and its services' outcomes: for CI (the project's deploy key)
/// and for any reader. The status mirrors the state (see `deploy_project`'s `wait`).
#[utoipa::path(get, path = "/api/v1/deployments/{id}", tag = "deployments", operation_id = "get_deployment",
    params(("id" = i64, Path, description = "The deployment's number")),
    responses(
        (status = 200, description = "The deployment", body = DeploymentStatus),
        (status = 404, description = "No such deployment (401 for a deploy key)", body = ErrorBody),
    ))]
pub async fn deployment(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<DeploymentId>,
    headers: HeaderMap,
) -> Response {
    match authorized(&plane, id, user.as_deref(), &headers).await {
        Ok(row) => Json(deployment_json(&row)).into_response(),
        Err(refusal) => refusal,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    follow: bool,
}

fn format_line(line: &LogLine) -> Bytes {
    Bytes::from(format!("{} [{}] {}\n", line.at, line.stream, line.text))
}

/// The deployment's log as text, `<time> [<stream>] <line>` a line; with
/// `follow=true`, held open and written as it grows until the deployment ends.
#[utoipa::path(get, path = "/api/v1/deployments/{id}/log", tag = "deployments", operation_id = "get_deployment_log",
    params(
        ("id" = i64, Path, description = "The deployment's number"),
        ("follow" = Option<bool>, Query, description = "Keep writing lines until the deployment ends"),
    ),
    responses(
        (status = 200, description = "The log", content_type = "text/plain", body = String),
        (status = 404, description = "No such deployment (401 for a deploy key)", body = ErrorBody),
    ))]
pub async fn log(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<DeploymentId>,
    Query(query): Query<LogQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(refusal) = authorized(&plane, id, user.as_deref(), &headers).await {
        return refusal;
    }
    let followed = match plane.deployer.follow(id, 0, query.follow).await {
        Ok(Some(followed)) => followed,
        Ok(None) => return unauthorized(),
        Err(error) => {
            tracing::error!(%error, deployment = %id, "cannot read a deployment log");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let text = followed.filter_map(|item| {
        futures::future::ready(match item {
            Followed::Line { line, .. } => Some(Ok::<_, Infallible>(format_line(&line))),
            Followed::State(_) => None,
        })
    });
    let mut response = Body::from_stream(text).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
