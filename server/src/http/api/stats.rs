//! `GET /api/v1/projects/{id}/stats`: a project's resource use for a signed-in
//! browser, as server-sent events: first `history` (each service's last hour), then a
//! `sample` per batch. While the stream is open the project counts as watched, so its
//! node samples it; the watch ends with the stream.

use std::convert::Infallible;
use std::sync::Arc;

use app::model::CurrentUser;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, StreamExt};
use nsm_core::stats::StatsUpdate;
use nsm_core::ProjectId;
use tokio::sync::broadcast::error::RecvError;

use crate::control_plane::Plane;
use crate::stats::WatchError;

/// Resource use as server-sent events: `history` (the last hour), then a `sample`
/// per batch; the project's node samples it while the stream is open.
#[utoipa::path(get, path = "/api/v1/projects/{id}/stats", tag = "services", operation_id = "follow_stats",
    params(("id" = String, Path, description = "The project's id")),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 404, description = "No such project", body = super::rest::ErrorBody),
    ))]
pub async fn stats(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<String>,
) -> Response {
    let error = |status: StatusCode, code: &str, message: String| {
        (status, axum::Json(serde_json::json!({ "error": code, "message": message }))).into_response()
    };
    if user.is_none() {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "unauthorized" }))).into_response();
    }
    let project = match ProjectId::parse(&id) {
        Ok(project) => project,
        Err(e) => return error(StatusCode::BAD_REQUEST, "invalid_project", e.to_string()),
    };
    let (watch, history, live) = match plane.stats.watch(&project).await {
        Ok(watching) => watching,
        Err(WatchError::UnknownProject) => {
            return error(StatusCode::NOT_FOUND, "not_found", "no such project".to_owned());
        }
        Err(e @ WatchError::Database(_)) => {
            tracing::error!(error = %e, "cannot open a resource-use stream");
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", "cannot watch the project".to_owned());
        }
    };
    let first = stream::once(async move { Ok::<_, Infallible>(sse("history", &history)) });
    // The watch lives in the stream's state: the stream is dropped when the browser
    // goes, and the watch with it.
    let next = stream::unfold((live, watch, project), |(mut live, watch, project)| async move {
        loop {
            match live.recv().await {
                Ok(published) if published.project == project => {
                    return Some((Ok(sse("sample", &published.update)), (live, watch, project)));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(first.chain(next)).keep_alive(KeepAlive::default()).into_response()
}

fn sse(kind: &str, update: &StatsUpdate) -> Event {
    let data = serde_json::to_string(update).unwrap_or_else(|error| {
        // Cannot happen for these types; an empty update changes nothing shown.
        tracing::error!(%error, "cannot encode resource use");
        r#"{"services":[]}"#.to_owned()
    });
    Event::default().event(kind).data(data)
}
