//! `/api/v1/workers`: the nodes that run projects.

use std::sync::Arc;

use app::backend::Workers;
use app::model::WorkerSummary;
use axum::extract::State;
use axum::Json;

use super::{ApiResult, Caller};
use crate::control_plane::Plane;

/// Every worker: online or not, its version, address and edge.
#[utoipa::path(get, path = "/api/v1/workers", tag = "workers",
    responses((status = 200, description = "The workers", body = [WorkerSummary])))]
pub async fn list_workers(State(plane): State<Arc<Plane>>, _caller: Caller) -> ApiResult<Json<Vec<WorkerSummary>>> {
    Ok(Json(plane.list_workers().await?))
}
