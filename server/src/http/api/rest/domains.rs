//! `/api/v1/projects/{id}/domains`: a project's domains with their resources and
//! certificates (the Domains tab), adding and removing a domain.

use std::sync::Arc;

use app::backend::Domains;
use app::error::AppError;
use app::model::{CertificateView, DomainView, DomainsView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsm_core::domain::DomainForm;
use nsm_core::edge::EdgeMode;
use nsm_core::DomainId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::resources::ResourceEntry;
use super::{project_id, record_id, ApiResult, Caller, ErrorBody, JsonBody};
use crate::control_plane::Plane;

/// A project's domains, and where and how its node serves them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProjectDomains {
    pub domains: Vec<DomainEntry>,
    /// The edge of the project's node (`off` also while that node never connected).
    pub edge: EdgeMode,
    /// Whether the node's nginx serves the project now (a deployment published it).
    pub published: bool,
    pub https_port: u16,
    /// The node that runs and serves the project.
    pub node: String,
    /// Where to point the domains' DNS.
    pub node_address: Option<String>,
    /// The node whose edge the domains are reached through, when the project's node
    /// is fronted.
    pub fronted_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DomainEntry {
    pub id: DomainId,
    pub hostname: String,
    pub certificate: CertificateView,
    /// Whether HSTS is on for this name (`Strict-Transport-Security`, one year, sent
    /// only once the certificate is CA-issued; switched with the Domains tab).
    pub hsts: bool,
    /// In the order nginx matches them.
    pub resources: Vec<ResourceEntry>,
}

impl From<DomainView> for DomainEntry {
    fn from(domain: DomainView) -> Self {
        Self {
            id: domain.id,
            hostname: domain.hostname,
            certificate: domain.certificate,
            hsts: domain.hsts,
            resources: domain.resources.into_iter().map(ResourceEntry::from).collect(),
        }
    }
}

impl From<DomainsView> for ProjectDomains {
    fn from(view: DomainsView) -> Self {
        Self {
            domains: view.domains.into_iter().map(DomainEntry::from).collect(),
            edge: view.edge,
            published: view.published,
            https_port: view.https_port,
            node: view.node,
            node_address: view.node_address,
            fronted_by: view.fronted_by,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDomain {
    /// A DNS name, like `shop.example.com`.
    pub hostname: String,
}

/// The project's domains as the control plane lists them now.
pub(super) async fn domains_of(
    plane: &Plane,
    user: &app::model::CurrentUser,
    id: &nsm_core::ProjectId,
) -> ApiResult<DomainsView> {
    Ok(plane.list_domains(user, id).await?)
}

/// A domain of `view`, or 404.
pub(super) fn domain_in(view: DomainsView, domain: DomainId) -> ApiResult<DomainView> {
    view.domains
        .into_iter()
        .find(|d| d.id == domain)
        .ok_or_else(|| AppError::NotFound(format!("Domain {domain}")).into())
}

#[utoipa::path(get, path = "/api/v1/projects/{id}/domains", tag = "domains",
    params(("id" = String, Path, description = "The project's id")),
    responses(
        (status = 200, description = "Its domains, each with its resources and certificate", body = ProjectDomains),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn list_domains(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ProjectDomains>> {
    Ok(Json(domains_of(&plane, &user, &project_id(&id)?).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/projects/{id}/domains", tag = "domains",
    params(("id" = String, Path, description = "The project's id")),
    request_body = NewDomain,
    responses(
        (status = 201, description = "Added", body = DomainEntry),
        (status = 400, description = "Not a hostname, or one already in use (see `fields`)", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn add_domain(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    JsonBody(domain): JsonBody<NewDomain>,
) -> ApiResult<Response> {
    let id = project_id(&id)?;
    let hostname = DomainForm { hostname: domain.hostname }.validate()?;
    plane.add_domain(&user, &id, hostname.clone()).await?;
    let added = domains_of(&plane, &user, &id)
        .await?
        .domains
        .into_iter()
        .find(|d| d.hostname == hostname.to_string())
        .ok_or_else(|| AppError::NotFound(format!("Domain {hostname}")))?;
    Ok((StatusCode::CREATED, Json(DomainEntry::from(added))).into_response())
}

/// Removes a domain and its resources, and stops serving it at once.
#[utoipa::path(delete, path = "/api/v1/projects/{id}/domains/{domain}", tag = "domains",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("domain" = i64, Path, description = "The domain's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "It has a Custom resource, which only an admin may remove", body = ErrorBody),
        (status = 404, description = "No such project or domain", body = ErrorBody),
        (status = 409, description = "Removed, but nginx refused the new configuration", body = ErrorBody),
    ))]
pub async fn remove_domain(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path((id, domain)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = project_id(&id)?;
    let domain = DomainId(record_id("Domain", &domain)?);
    plane.remove_domain(&user, &id, domain).await?;
    Ok(StatusCode::NO_CONTENT)
}
