use leptos::prelude::*;

use crate::error::AppError;
use crate::model::WorkerSummary;

#[server(prefix = "/api/fn", endpoint = "list_workers")]
pub async fn list_workers() -> Result<Vec<WorkerSummary>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.workers().await
}
