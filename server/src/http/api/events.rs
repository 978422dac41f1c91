//! Server-sent events for a deployment: its state, its log lines (each once, in order)
//! live while it runs, then `end` once it is over.

use std::convert::Infallible;
use std::sync::Arc;

use app::model::CurrentUser;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream, StreamExt};
use nsm_core::DeploymentId;
use serde::Deserialize;

use crate::control_plane::Plane;
use crate::deploy::Followed;

#[derive(Debug, Deserialize)]
pub struct Since {
    /// Only lines with a sequence number at or above this.
    #[serde(default)]
    from: i64,
}

fn line_event(seq: i64, line: &nsm_core::protocol::LogLine) -> Event {
    let data = serde_json::json!({
        "seq": seq,
        "at": line.at,
        "stream": line.stream,
        "text": line.text,
    });
    Event::default().event("line").id(seq.to_string()).data(data.to_string())
}

/// A deployment's events: `state`, `line` (JSON: `seq`, `at`, `stream`, `text`),
/// then `end` once it is over.
#[utoipa::path(get, path = "/api/v1/deployments/{id}/events", tag = "deployments", operation_id = "follow_deployment",
    params(
        ("id" = i64, Path, description = "The deployment's number"),
        ("from" = Option<i64>, Query, description = "Only lines with this sequence number or later"),
    ),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 404, description = "No such deployment", body = super::rest::ErrorBody),
    ))]
pub async fn deployment_events(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<DeploymentId>,
    Query(since): Query<Since>,
) -> Response {
    if user.is_none() {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "unauthorized" }))).into_response();
    }
    match events(plane, id, since.from).await {
        Ok(Some(stream)) => Sse::new(stream).keep_alive(KeepAlive::default()).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, axum::Json(serde_json::json!({ "error": "not_found" }))).into_response(),
        Err(error) => {
            tracing::error!(%error, deployment = %id, "cannot stream deployment events");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn events(
    plane: Arc<Plane>,
    id: DeploymentId,
    from: i64,
) -> Result<Option<impl Stream<Item = Result<Event, Infallible>>>, sqlx::Error> {
    let Some(followed) = plane.deployer.follow(id, from, true).await? else {
        return Ok(None);
    };
    let events = followed.map(|item| {
        Ok(match item {
            Followed::Line { seq, line } => line_event(seq, &line),
            Followed::State(state) => Event::default().event("state").data(state.as_str()),
        })
    });
    // Browsers drop events whose data is empty, so `end` carries a word.
    let end = stream::once(async { Ok(Event::default().event("end").data("end")) });
    Ok(Some(events.chain(end)))
}
