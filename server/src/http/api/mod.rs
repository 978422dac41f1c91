//! `/api/v1`: the worker link, live events, resource use, container logs, and the
//! CI/CD API.
//! These routes authenticate themselves (session, bearer key or worker token).

mod ci;
mod events;
mod keys;
mod live;
mod logs;
mod stats;
mod status;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use super::worker_link as ws;
use crate::control_plane::Plane;

pub fn router(plane: Arc<Plane>) -> Router {
    Router::new()
        .route(nsm_core::protocol::CONNECT_PATH, get(ws::connect))
        .route("/api/v1/events", get(live::events))
        .route("/api/v1/deployments/{id}/events", get(events::deployment_events))
        .route("/api/v1/deployments/{id}", get(status::deployment))
        .route("/api/v1/deployments/{id}/log", get(status::log))
        .route("/api/v1/projects/{id}/deploy", post(ci::deploy))
        .route("/api/v1/projects/{id}/hooks/github", post(ci::github))
        .route("/api/v1/projects/{id}/stats", get(stats::stats))
        .route("/api/v1/projects/{id}/logs", get(logs::search))
        .route("/api/v1/projects/{id}/logs/follow", get(logs::follow))
        .route("/api/v1/projects/{id}/logs/download", get(logs::download))
        .with_state(plane)
}
