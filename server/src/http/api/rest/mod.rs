//! The REST API for scripts: projects, domains and resources, variables, services,
//! deployments and workers. Each handler validates the JSON it is sent with the same
//! shared-crate checks the browser's forms use, then calls the control-plane operation
//! of its own name (the server function's), so a script and the UI cannot diverge.
//! Who may call which route is declared with the route (`super::routes`).

pub mod deployments;
pub mod domains;
mod error;
pub mod projects;
pub mod resources;
pub mod variables;
pub mod workers;

use app::error::AppError;
use app::model::CurrentUser;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use nsm_core::ProjectId;
use serde::de::DeserializeOwned;

pub use error::{ApiError, ApiResult, ErrorBody};

/// The caller the guard let through (a session or an API token).
pub struct Caller(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<CurrentUser>().cloned().map(Caller).ok_or(ApiError::App(AppError::Unauthorized))
    }
}

/// A JSON request body; one that is not JSON, or not of the documented shape, is
/// answered like every other refusal (`{error, message}`).
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::Body(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON (Content-Type: application/json)".into(),
            )),
            Err(rejection) => Err(ApiError::Body(StatusCode::BAD_REQUEST, rejection.body_text())),
        }
    }
}

/// A project id from the path: one that cannot exist is simply not found.
pub(super) fn project_id(id: &str) -> ApiResult<ProjectId> {
    ProjectId::parse(id).map_err(|_| ApiError::App(AppError::NotFound(format!("Project {id:?}"))))
}

/// A domain or resource id from the path: anything but a positive number names nothing.
pub(super) fn record_id(what: &str, id: &str) -> ApiResult<i64> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::App(AppError::NotFound(format!("{what} {id:?}"))))
}
