//! `/api/v1/projects/{id}/domains/{domain}/resources`: what a domain serves at each
//! path (Static Page, API Service, Redirect Link, Custom nginx block).

use std::sync::Arc;

use app::backend::{Domains, ResourceSave};
use app::error::AppError;
use app::model::{CurrentUser, ResourceView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsm_core::domain::{ResourceForm, ResourceType};
use nsm_core::{DomainId, ProjectId, ResourceId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::domains::{domain_in, domains_of};
use super::{project_id, record_id, ApiResult, Caller, ErrorBody, JsonBody};
use crate::control_plane::Plane;

/// A resource's settings; only those of its `kind` are read (and sent back).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceFields {
    /// Where on the domain: `/`, `/api`, …
    pub path: String,
    /// `static`, `api`, `redirect` or `custom` (Custom: admins only).
    #[schema(value_type = ResourceType)]
    pub kind: String,
    /// static: answer unknown paths with `index.html`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spa: Option<bool>,
    /// static: origins allowed to fetch it, or `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors_origins: Option<Vec<String>>,
    /// api: pass WebSocket upgrades through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket: Option<bool>,
    /// api: seconds; default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u32>,
    /// api: largest request body, like `10m` (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_body: Option<String>,
    /// redirect: where to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// custom: the nginx directives, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl ResourceFields {
    /// The Resource form the UI would submit.
    pub fn form(self) -> ResourceForm {
        let on = |b: Option<bool>| b.filter(|b| *b).map(|_| "on".to_owned());
        ResourceForm {
            path: self.path,
            kind: self.kind,
            spa: on(self.spa),
            cors_origins: self.cors_origins.unwrap_or_default().join("\n"),
            websocket: on(self.websocket),
            timeout_secs: self.timeout_secs.map(|s| s.to_string()).unwrap_or_default(),
            max_body: self.max_body.unwrap_or_default(),
            target: self.target.unwrap_or_default(),
            body: self.body.unwrap_or_default(),
        }
    }

    /// A saved resource's settings, from its pre-filled form.
    pub fn of(kind: ResourceType, form: ResourceForm) -> Self {
        let mut fields = Self { path: form.path, kind: kind.as_str().to_owned(), ..Self::default() };
        match kind {
            ResourceType::Static => {
                fields.spa = Some(form.spa.is_some());
                fields.cors_origins =
                    Some(form.cors_origins.split_whitespace().map(str::to_owned).filter(|o| !o.is_empty()).collect());
            }
            ResourceType::Api => {
                fields.websocket = Some(form.websocket.is_some());
                fields.timeout_secs = form.timeout_secs.parse().ok();
                fields.max_body = Some(form.max_body);
            }
            ResourceType::Redirect => fields.target = Some(form.target),
            ResourceType::Custom => fields.body = Some(form.body),
        }
        fields
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ResourceEntry {
    pub id: ResourceId,
    /// Its options in a few words.
    pub summary: String,
    #[serde(flatten)]
    pub fields: ResourceFields,
}

impl From<ResourceView> for ResourceEntry {
    fn from(view: ResourceView) -> Self {
        Self { id: view.id, summary: view.summary, fields: ResourceFields::of(view.kind, view.form) }
    }
}

/// Saves through the control plane, then answers the resource as it now lists.
async fn save(
    plane: &Plane,
    user: &CurrentUser,
    id: &ProjectId,
    domain: DomainId,
    resource: Option<ResourceId>,
    fields: ResourceFields,
) -> ApiResult<ResourceEntry> {
    let config = fields.form().validate()?;
    let path = config.path.to_string();
    plane.save_resource(user, id, ResourceSave { domain, resource, config }).await?;
    domain_in(domains_of(plane, user, id).await?, domain)?
        .resources
        .into_iter()
        .find(|r| r.path == path)
        .map(ResourceEntry::from)
        .ok_or_else(|| AppError::NotFound(format!("Resource {path} on domain {domain}")).into())
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/domains/{domain}/resources", tag = "domains",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("domain" = i64, Path, description = "The domain's id"),
    ),
    request_body = ResourceFields,
    responses(
        (status = 201, description = "Added", body = ResourceEntry),
        (status = 400, description = "A field was refused, or the path is taken (see `fields`)", body = ErrorBody),
        (status = 403, description = "A Custom block, and the caller is not an admin", body = ErrorBody),
        (status = 404, description = "No such project or domain", body = ErrorBody),
    ))]
pub async fn add_resource(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path((id, domain)): Path<(String, String)>,
    JsonBody(fields): JsonBody<ResourceFields>,
) -> ApiResult<Response> {
    let id = project_id(&id)?;
    let domain = DomainId(record_id("Domain", &domain)?);
    let added = save(&plane, &user, &id, domain, None, fields).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// Replaces a resource's settings (its type too); it stays on its domain.
#[utoipa::path(put, path = "/api/v1/projects/{id}/domains/{domain}/resources/{resource}", tag = "domains",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("domain" = i64, Path, description = "The domain's id"),
        ("resource" = i64, Path, description = "The resource's id"),
    ),
    request_body = ResourceFields,
    responses(
        (status = 200, description = "Saved", body = ResourceEntry),
        (status = 400, description = "A field was refused, or the path is taken (see `fields`)", body = ErrorBody),
        (status = 403, description = "A Custom block, and the caller is not an admin", body = ErrorBody),
        (status = 404, description = "No such project, domain, or resource on it", body = ErrorBody),
    ))]
pub async fn save_resource(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path((id, domain, resource)): Path<(String, String, String)>,
    JsonBody(fields): JsonBody<ResourceFields>,
) -> ApiResult<Json<ResourceEntry>> {
    let id = project_id(&id)?;
    let domain = DomainId(record_id("Domain", &domain)?);
    let resource = ResourceId(record_id("Resource", &resource)?);
    Ok(Json(save(&plane, &user, &id, domain, Some(resource), fields).await?))
}

#[utoipa::path(delete, path = "/api/v1/projects/{id}/domains/{domain}/resources/{resource}", tag = "domains",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("domain" = i64, Path, description = "The domain's id"),
        ("resource" = i64, Path, description = "The resource's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "A Custom block, and the caller is not an admin", body = ErrorBody),
        (status = 404, description = "No such project, domain, or resource on it", body = ErrorBody),
    ))]
pub async fn delete_resource(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path((id, domain, resource)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let id = project_id(&id)?;
    let domain = DomainId(record_id("Domain", &domain)?);
    let resource = ResourceId(record_id("Resource", &resource)?);
    // Only a resource of this project's domain: the id alone names any project's.
    if !domain_in(domains_of(&plane, &user, &id).await?, domain)?.resources.iter().any(|r| r.id == resource) {
        return Err(AppError::NotFound(format!("Resource {resource} on domain {domain}")).into());
    }
    plane.delete_resource(&user, &id, resource).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_the_form_of_each_kind() {
        let cases = [
            ResourceFields {
                path: "/".into(),
                kind: "static".into(),
                spa: Some(true),
                cors_origins: Some(vec!["https://a.example".into(), "https://b.example".into()]),
                ..Default::default()
            },
            ResourceFields {
                path: "/api".into(),
                kind: "api".into(),
                websocket: Some(false),
                timeout_secs: Some(90),
                max_body: Some("20m".into()),
                ..Default::default()
            },
            ResourceFields {
                path: "/old".into(),
                kind: "redirect".into(),
                target: Some("https://new.example/".into()),
                ..Default::default()
            },
        ];
        for fields in cases {
            let config = fields.clone().form().validate().expect("valid");
            let form = ResourceForm::from_config(&config);
            assert_eq!(ResourceFields::of(config.kind.resource_type(), form), fields);
        }
    }

    #[test]
    fn an_unknown_kind_is_a_field_error() {
        let fields = ResourceFields { path: "/".into(), kind: "ftp".into(), ..Default::default() };
        assert!(fields.form().validate().expect_err("invalid").get("kind").is_some());
    }
}
