//! `/api/v1/projects/{id}/variables`: names and kinds for every reader; a plain value
//! only through `…/{name}/value`, which needs what revealing it in the UI needs (an
//! admin, with a session or a `write` token) and is audited as a reveal. A list never
//! carries a value, nor whether one is empty.

use std::sync::Arc;

use app::backend::{VariableSave, Variables};
use app::error::AppError;
use app::model::VariableView;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use nsm_core::variables::VariableForm;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{project_id, ApiResult, Caller, ErrorBody, JsonBody};
use crate::control_plane::Plane;

/// A variable as any reader may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct VariableEntry {
    pub name: String,
    /// `plain`, or a reference kind: `worker_node_id`, `volume`, `domain`, `url`,
    /// `path`, `directory`, `port`, `target`.
    pub kind: String,
    /// What a reference points at, in words.
    pub target: Option<String>,
    /// The domain or resource a reference points at.
    pub target_id: Option<i64>,
    /// A broken reference (it blocks deploys).
    pub error: Option<String>,
    /// The repository no longer uses this name.
    pub unused: bool,
}

impl From<VariableView> for VariableEntry {
    // `empty` stays behind: a reader learns nothing of a value.
    fn from(view: VariableView) -> Self {
        Self {
            name: view.name,
            kind: view.kind,
            target: view.target,
            target_id: view.target_id,
            error: view.error,
            unused: view.unused,
        }
    }
}

/// A variable's new value: plain text, or a reference to what NSM knows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariableInput {
    /// `plain` or a reference kind (see `VariableEntry.kind`).
    pub kind: String,
    /// plain: the value (sealed at rest; never listed).
    #[serde(default)]
    pub value: Option<String>,
    /// A `domain` reference's domain id, or a resource reference's resource id.
    #[serde(default)]
    pub target_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RevealedValue {
    pub name: String,
    pub value: String,
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/variables", tag = "variables",
    params(("id" = String, Path, description = "The project's id")),
    responses(
        (status = 200, description = "Names and kinds, never values", body = [VariableEntry]),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn list_variables(
    State(plane): State<Arc<Plane>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<VariableEntry>>> {
    let variables = plane.list_variables(&project_id(&id)?).await?;
    Ok(Json(variables.into_iter().map(VariableEntry::from).collect()))
}

/// Adds the variable, or replaces its value.
#[utoipa::path(put, path = "/api/v1/projects/{id}/variables/{name}", tag = "variables",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("name" = String, Path, description = "The variable's name, like `DATABASE_URL`"),
    ),
    request_body = VariableInput,
    responses(
        (status = 200, description = "Saved", body = VariableEntry),
        (status = 400, description = "A bad name, kind or target (see `fields`)", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn save_variable(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path((id, name)): Path<(String, String)>,
    JsonBody(value): JsonBody<VariableInput>,
) -> ApiResult<Json<VariableEntry>> {
    let id = project_id(&id)?;
    let form = VariableForm {
        name,
        kind: value.kind,
        value: value.value.unwrap_or_default(),
        target_id: value.target_id.map(|t| t.to_string()).unwrap_or_default(),
    };
    let variable = form.validate()?;
    let name = variable.name.to_string();
    plane.save_variable(&user, &id, VariableSave { original: None, variable }).await?;
    let saved = plane.list_variables(&id).await?.into_iter().find(|v| v.name == name);
    saved.map(|v| Json(v.into())).ok_or_else(|| AppError::NotFound(format!("Variable {name}")).into())
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}/variables/{name}", tag = "variables",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("name" = String, Path, description = "The variable's name"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such project or variable", body = ErrorBody),
    ))]
pub async fn delete_variable(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    plane.delete_variable(&user, &project_id(&id)?, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A plain variable's value, audited as a reveal.
#[utoipa::path(get, path = "/api/v1/projects/{id}/variables/{name}/value", tag = "variables",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("name" = String, Path, description = "The variable's name"),
    ),
    responses(
        (status = 200, description = "The value", body = RevealedValue),
        (status = 404, description = "No such project or variable", body = ErrorBody),
        (status = 409, description = "A reference, which has no stored value", body = ErrorBody),
    ))]
pub async fn reveal_variable(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<Json<RevealedValue>> {
    let value = plane.reveal_variable(&user, &project_id(&id)?, &name).await?;
    Ok(Json(RevealedValue { name, value }))
}
