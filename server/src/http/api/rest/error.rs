//! How the v1 API answers a refusal: `{error, message}` with the status that says what
//! went wrong, and `fields` (field → message) when a body did not validate. The guard
//! answers its own refusals (401, 403, 404) in the same shape.

use std::collections::BTreeMap;

use app::error::AppError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// A refused or failed call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorBody {
    /// One word a script can test: `unauthorized`, `forbidden`, `not_found`,
    /// `invalid` (see `fields`), `conflict`, `unsupported_media_type`, `rate_limited`,
    /// `internal`.
    pub error: String,
    /// In words, for a person.
    pub message: String,
    /// For `invalid`: each refused field and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

#[derive(Debug)]
pub enum ApiError {
    /// A control-plane service's refusal (or a validation failure).
    App(AppError),
    /// A request body that could not be read as the documented JSON.
    Body(StatusCode, String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        Self::App(error)
    }
}

impl From<nsm_core::FieldErrors> for ApiError {
    fn from(errors: nsm_core::FieldErrors) -> Self {
        Self::App(AppError::Invalid(errors))
    }
}

/// The status and the word of a service's refusal.
pub fn status_of(error: &AppError) -> (StatusCode, &'static str) {
    match error {
        AppError::Unauthorized | AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "unauthorized"),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
        AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AppError::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        AppError::Internal | AppError::Transport(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::App(error) => {
                let (status, word) = status_of(&error);
                let fields = error.field_errors().map(|f| f.0.clone());
                // Internal details were logged where they happened; the client gets words.
                let message = match &error {
                    AppError::Transport(_) => AppError::Internal.to_string(),
                    other => other.to_string(),
                };
                (status, ErrorBody { error: word.to_owned(), message, fields })
            }
            ApiError::Body(status, message) => {
                let word =
                    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE { "unsupported_media_type" } else { "invalid" };
                (status, ErrorBody { error: word.to_owned(), message, fields: None })
            }
        };
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_has_its_status() {
        let mut fields = nsm_core::FieldErrors::new();
        fields.add("id", nsm_core::FieldError::new("Project id is required"));
        let cases = [
            (AppError::Unauthorized, StatusCode::UNAUTHORIZED),
            (AppError::Forbidden("no".into()), StatusCode::FORBIDDEN),
            (AppError::NotFound("Project x".into()), StatusCode::NOT_FOUND),
            (AppError::Invalid(fields), StatusCode::BAD_REQUEST),
            (AppError::Conflict("busy".into()), StatusCode::CONFLICT),
            (AppError::Throttled(3), StatusCode::TOO_MANY_REQUESTS),
            (AppError::Internal, StatusCode::INTERNAL_SERVER_ERROR),
        ];
        for (error, status) in cases {
            assert_eq!(ApiError::from(error).into_response().status(), status);
        }
    }
}
