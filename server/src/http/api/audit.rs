//! `GET /api/v1/audit`: the audit log as JSON, for administrators, with the filters of
//! Settings → Audit log as query parameters (`user`, `project`, `kind`, `from`, `to`,
//! `before`, `limit`). Unless `limit` says otherwise it answers the newest
//! [`MAX_PAGE`] entries; `next_before` continues with older ones.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsm_core::audit::{AuditFilterForm, AuditPage, MAX_PAGE};

use super::status::app_error;
use crate::control_plane::Plane;

/// The audit log, newest first (the same entries as Settings → Audit log), as a file
/// to download.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", operation_id = "export_audit",
    params(AuditFilterForm),
    responses(
        (status = 200, description = "A page of entries; `next_before` is the `before` of the next", body = AuditPage),
        (status = 400, description = "A filter that does not parse", body = super::rest::ErrorBody),
    ))]
pub async fn export(State(plane): State<Arc<Plane>>, Query(form): Query<AuditFilterForm>) -> Response {
    use app::backend::Audit;
    let mut filter = match form.parse() {
        Ok(filter) => filter,
        Err(errors) => return app_error(errors.into()),
    };
    if form.limit.trim().is_empty() {
        filter.limit = MAX_PAGE;
    }
    match plane.list_audit(&filter).await {
        Ok(page) => {
            let mut response = Json(page).into_response();
            response.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"nsm-audit.json\""),
            );
            response
        }
        Err(error) => app_error(error),
    }
}
