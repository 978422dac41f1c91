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
use nsm_core::protocol::LogLine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::keys;
use crate::control_plane::Plane;
use crate::db::deployments::{self as store, DeploymentRow};
use crate::db::{self};
use crate::deploy::Followed;

pub fn deployment_json(row: &DeploymentRow) -> Value {
    let services: Value = row.services.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(json!([]));
    json!({
        "deployment_id": row.id.to_string(),
        "project": row.project_id,
        "state": row.state,
        "trigger": row.trigger,
        "triggered_by": row.triggered_by,
        "commit": row.commit_sha,
        "reason": row.reason,
        "created_at": row.created_at,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "services": services,
        "status_url": format!("/api/v1/deployments/{}", row.id),
        "log_url": format!("/api/v1/deployments/{}/log", row.id),
    })
}

/// `200` for success; failures map to statuses `curl --fail` treats as errors.
pub fn status_code_for(state: &str) -> StatusCode {
    match state {
        "succeeded" => StatusCode::OK,
        "timed_out" => StatusCode::GATEWAY_TIMEOUT,
        "failed" | "cancelled" => StatusCode::CONFLICT,
        _ => StatusCode::ACCEPTED,
    }
}

/// The deployment, if the caller may see it: a session, or the project's deploy key.
async fn authorized(plane: &Plane, id: i64, user: Option<&CurrentUser>, headers: &HeaderMap) -> Option<DeploymentRow> {
    let row = store::get(&plane.db, id).await.ok().flatten()?;
    if user.is_some() {
        return Some(row);
    }
    let stored = db::ci::deploy_key_hash(&plane.db, &row.project_id).await.ok().flatten()?;
    keys::bearer(headers).filter(|presented| keys::key_matches(presented, &stored)).map(|_| row)
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({ "error": "unauthorized" }))).into_response()
}

pub async fn deployment(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    match authorized(&plane, id, user.as_deref(), &headers).await {
        Some(row) => Json(deployment_json(&row)).into_response(),
        None => unauthorized(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    follow: bool,
}

fn format_line(line: &LogLine) -> Bytes {
    Bytes::from(format!("{} [{}] {}\n", line.at, store::stream_name(line.stream), line.text))
}

pub async fn log(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<i64>,
    Query(query): Query<LogQuery>,
    headers: HeaderMap,
) -> Response {
    if authorized(&plane, id, user.as_deref(), &headers).await.is_none() {
        return unauthorized();
    }
    let followed = match plane.deployer.follow(id, 0, query.follow).await {
        Ok(Some(followed)) => followed,
        Ok(None) => return unauthorized(),
        Err(error) => {
            tracing::error!(%error, id, "cannot read a deployment log");
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
