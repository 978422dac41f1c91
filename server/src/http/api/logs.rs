//! A project's stored container logs, for a signed-in browser:
//! - `GET /api/v1/projects/{id}/logs?…` — the newest matching lines (JSON, oldest first);
//! - `…/logs/follow?…` — server-sent `line` events as they are stored, each with its
//!   store id as the event id, so a reconnecting `EventSource` resumes after the last
//!   one it got (`Last-Event-ID`);
//! - `…/logs/download?…` — every matching line as text.
//!
//! The filters are [`LogQuery`]'s: `service` (comma-separated), `deployment`,
//! `since`/`until` (ms), `q` (text), `after` (id), `limit`.

use std::convert::Infallible;
use std::sync::Arc;

use app::model::CurrentUser;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::stream;
use nsm_core::logs::{LogEntry, LogQuery, QUERY_LIMIT_MAX};
use nsm_core::ProjectId;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::status::{internal_error, unauthorized};
use crate::control_plane::Plane;
use crate::db;
use crate::logs::ContainerLogs;

/// The project, when a signed-in user asks for an existing one.
async fn project_of(plane: &Plane, user: Option<&CurrentUser>, id: &str) -> Result<ProjectId, Response> {
    if user.is_none() {
        return Err(unauthorized());
    }
    let project = ProjectId::parse(id).map_err(|error| {
        let body = json!({ "error": "invalid_project", "message": error.to_string() });
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    })?;
    match db::projects::worker_of(&plane.db, project.as_str()).await {
        Ok(Some(_)) => Ok(project),
        Ok(None) => Err((StatusCode::NOT_FOUND, Json(json!({ "error": "not_found" }))).into_response()),
        Err(error) => Err(internal_error(error)),
    }
}

/// The newest stored container lines that match, oldest first.
#[utoipa::path(get, path = "/api/v1/projects/{id}/logs", tag = "services", operation_id = "search_logs",
    params(("id" = String, Path, description = "The project's id"), LogQuery),
    responses(
        (status = 200, description = "Matching lines", body = [LogEntry]),
        (status = 404, description = "No such project", body = super::rest::ErrorBody),
    ))]
pub async fn search(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Response, Response> {
    let project = project_of(&plane, user.as_deref(), &id).await?;
    let lines = plane.logs.search(&project, &query).await.map_err(internal_error)?;
    Ok(Json(lines).into_response())
}

/// Matching lines as server-sent `line` events as they are stored (`Last-Event-ID`
/// resumes after the last one received).
#[utoipa::path(get, path = "/api/v1/projects/{id}/logs/follow", tag = "services", operation_id = "follow_logs",
    params(("id" = String, Path, description = "The project's id"), LogQuery),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 404, description = "No such project", body = super::rest::ErrorBody),
    ))]
pub async fn follow(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let project = project_of(&plane, user.as_deref(), &id).await?;
    // Subscribed before the starting point is read, so no line falls between.
    let appended = plane.logs.subscribe();
    let resumed = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i64>().ok());
    let after = match resumed.or(query.after) {
        Some(after) => after,
        None => plane.logs.newest_id(&project).await.map_err(internal_error)?,
    };
    let query = LogQuery { after: Some(after), limit: Some(QUERY_LIMIT_MAX), ..query };
    let state = Following { logs: plane.logs.clone(), appended, project, query, pending: Default::default() };
    let lines = stream::unfold(state, |mut state| async move {
        let entry = state.next().await?;
        Some((Ok::<_, Infallible>(line_event(&entry)), state))
    });
    Ok(Sse::new(lines).keep_alive(KeepAlive::default()).into_response())
}

struct Following {
    logs: Arc<ContainerLogs>,
    appended: tokio::sync::broadcast::Receiver<ProjectId>,
    project: ProjectId,
    /// `after` is the last line sent.
    query: LogQuery,
    /// Read from the store, not sent yet (newest last).
    pending: std::collections::VecDeque<LogEntry>,
}

impl Following {
    /// The next matching line, waiting for one to be stored; `None` ends the stream.
    async fn next(&mut self) -> Option<LogEntry> {
        loop {
            if let Some(entry) = self.pending.pop_front() {
                self.query.after = Some(entry.id);
                return Some(entry);
            }
            match self.logs.search(&self.project, &self.query).await {
                Ok(lines) if !lines.is_empty() => {
                    self.pending = lines.into();
                    continue;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(%error, project = %self.project, "cannot read container logs to follow");
                    return None;
                }
            }
            // Nothing new: wait for this project's next batch (a lag only means reading again).
            loop {
                match self.appended.recv().await {
                    Ok(project) if project == self.project => break,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    }
}

fn line_event(entry: &LogEntry) -> Event {
    let data = serde_json::to_string(entry).unwrap_or_else(|error| {
        // Cannot happen for this type; an empty object is skipped by the browser.
        tracing::error!(%error, "cannot encode a log line");
        "{}".to_owned()
    });
    Event::default().event("line").id(entry.id.to_string()).data(data)
}

/// One line of the downloaded file: time, service, stream, text.
fn download_line(entry: &LogEntry) -> String {
    let at = chrono::DateTime::from_timestamp_millis(entry.at_ms)
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| entry.at_ms.to_string());
    format!("{at} {} {} {}\n", entry.service, entry.stream, entry.text)
}

/// Every matching line as a text file: time, service, stream, text.
#[utoipa::path(get, path = "/api/v1/projects/{id}/logs/download", tag = "services", operation_id = "download_logs",
    params(("id" = String, Path, description = "The project's id"), LogQuery),
    responses(
        (status = 200, description = "The lines", content_type = "text/plain", body = String),
        (status = 404, description = "No such project", body = super::rest::ErrorBody),
    ))]
pub async fn download(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Response, Response> {
    let project = project_of(&plane, user.as_deref(), &id).await?;
    let filename = format!("{project}-logs.txt");
    // Read page by page from the oldest, so a large download never sits in memory.
    let first = LogQuery { after: Some(query.after.unwrap_or(0)), limit: Some(QUERY_LIMIT_MAX), ..query };
    let pages = stream::unfold(Some((plane.logs.clone(), project, first)), |state| async move {
        let (logs, project, mut query) = state?;
        match logs.search(&project, &query).await {
            Ok(lines) if lines.is_empty() => None,
            Ok(lines) => {
                query.after = lines.last().map(|entry| entry.id);
                let text: String = lines.iter().map(download_line).collect();
                Some((Ok::<_, std::io::Error>(Bytes::from(text)), Some((logs, project, query))))
            }
            Err(error) => {
                tracing::error!(%error, %project, "cannot read container logs to download");
                Some((Err(std::io::Error::other("cannot read the logs")), None))
            }
        }
    });
    let mut response = Body::from_stream(pages).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
