//! `GET /api/v1/events`: the fleet's live events for a signed-in browser (design:
//! live state), as server-sent events, optionally only one project's
//! (`?project=ID`; worker events and resets always come). A reconnecting
//! `EventSource` sends `Last-Event-ID` and gets what it missed, each event once and
//! in order, or a `reset`.

use std::convert::Infallible;
use std::sync::Arc;

use app::model::CurrentUser;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream, StreamExt};
use nsm_core::events::EventId;
use nsm_core::ProjectId;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::control_plane::Plane;
use crate::events::{Events, Published};

#[derive(Debug, Deserialize)]
pub struct Filter {
    project: Option<String>,
}

/// The fleet's live events as server-sent events (`Last-Event-ID` resumes).
#[utoipa::path(get, path = "/api/v1/events", tag = "events", operation_id = "follow_events",
    params(("project" = Option<String>, Query, description = "Only this project's events (and the fleet's)")),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String)))]
pub async fn events(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    headers: HeaderMap,
    Query(filter): Query<Filter>,
) -> Response {
    if user.is_none() {
        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({ "error": "unauthorized" }))).into_response();
    }
    let project = match filter.project.as_deref().map(ProjectId::parse).transpose() {
        Ok(project) => project,
        Err(error) => {
            let body = serde_json::json!({ "error": "invalid_project", "message": error.to_string() });
            return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
        }
    };
    let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(EventId::parse);
    Sse::new(follow(plane.events.clone(), last, project)).keep_alive(KeepAlive::default()).into_response()
}

/// What the subscriber missed, then everything as it is published.
fn follow(
    events: Arc<Events>,
    last: Option<EventId>,
    project: Option<ProjectId>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let subscription = events.subscribe(last);
    let missed = stream::iter(subscription.missed);
    let live = stream::unfold((subscription.live, events), |(mut live, events)| async move {
        match live.recv().await {
            Ok(published) => Some((published, (live, events))),
            // Too slow to keep up: it missed events, so it reloads what it shows.
            Err(RecvError::Lagged(_)) => {
                let reset = events.reset();
                Some((reset, (live, events)))
            }
            Err(RecvError::Closed) => None,
        }
    });
    missed.chain(live).filter_map(move |published| {
        let wanted = shown(&published, project.as_ref());
        async move { wanted.then(|| Ok(sse(&published))) }
    })
}

fn shown(published: &Published, project: Option<&ProjectId>) -> bool {
    match (project, published.event.project()) {
        (Some(wanted), Some(about)) => wanted == about,
        _ => true,
    }
}

fn sse(published: &Published) -> Event {
    let data = serde_json::to_string(&*published.event).unwrap_or_else(|error| {
        // Cannot happen for these types; a reset at least makes the browser reload.
        tracing::error!(%error, "cannot encode a live event");
        r#"{"type":"reset"}"#.to_owned()
    });
    Event::default().event(published.event.kind()).id(published.id.to_string()).data(data)
}
