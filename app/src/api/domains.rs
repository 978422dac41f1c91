//! The Domains tab: domains, their resources, certificates.

use leptos::prelude::*;
use nsm_core::domain::{DomainForm, ResourceForm};

#[cfg(feature = "ssr")]
use nsm_core::{DomainId, ResourceId};

use crate::error::AppError;
use crate::model::DomainsView;

#[cfg(feature = "ssr")]
use super::project_id;
#[cfg(feature = "ssr")]
use crate::backend::{MoveDirection, ResourceSave};

/// Ids arrive as form strings; anything but a positive number names nothing.
#[cfg(feature = "ssr")]
fn record_id(what: &str, id: &str) -> Result<i64, AppError> {
    id.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| AppError::NotFound(format!("{what} {id:?}")))
}

#[server(prefix = "/api/fn", endpoint = "list_domains")]
pub async fn list_domains(id: String) -> Result<DomainsView, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.list_domains(&user, &project_id(&id)?).await
}

/// Real certificates of every project that end within `days` (the dashboard asks 14).
#[server(prefix = "/api/fn", endpoint = "list_expiring_certificates")]
pub async fn list_expiring_certificates(days: u32) -> Result<Vec<crate::model::ExpiringCertificate>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.list_expiring_certificates(days.min(365)).await
}

#[server(prefix = "/api/fn", endpoint = "add_domain")]
pub async fn add_domain(id: String, #[server(flatten)] form: DomainForm) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let hostname = form.validate()?;
    crate::backend::control_plane()?.add_domain(&user, &project_id(&id)?, hostname).await
}

#[server(prefix = "/api/fn", endpoint = "remove_domain")]
pub async fn remove_domain(id: String, domain: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?
        .remove_domain(&user, &project_id(&id)?, DomainId(record_id("Domain", &domain)?))
        .await
}

/// Turns HSTS on (`hsts` = `on`) or off (`off`) for `domain`.
#[server(prefix = "/api/fn", endpoint = "set_domain_hsts")]
pub async fn set_domain_hsts(id: String, domain: String, hsts: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let on = match hsts.trim() {
        "on" => true,
        "off" => false,
        _ => return Err(AppError::Conflict("Turn HSTS on or off".into())),
    };
    crate::backend::control_plane()?
        .set_domain_hsts(&user, &project_id(&id)?, DomainId(record_id("Domain", &domain)?), on)
        .await
}

/// Adds a resource to `domain`, or replaces `resource` ("" when adding).
#[server(prefix = "/api/fn", endpoint = "save_resource")]
pub async fn save_resource(
    id: String,
    domain: String,
    resource: String,
    #[server(flatten)] form: ResourceForm,
) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let config = form.validate()?;
    let resource = match resource.trim() {
        "" => None,
        text => Some(ResourceId(record_id("Resource", text)?)),
    };
    let save = ResourceSave { domain: DomainId(record_id("Domain", &domain)?), resource, config };
    crate::backend::control_plane()?.save_resource(&user, &project_id(&id)?, save).await
}

#[server(prefix = "/api/fn", endpoint = "delete_resource")]
pub async fn delete_resource(id: String, resource: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?
        .delete_resource(&user, &project_id(&id)?, ResourceId(record_id("Resource", &resource)?))
        .await
}

/// `direction` is `up` or `down`.
#[server(prefix = "/api/fn", endpoint = "move_resource")]
pub async fn move_resource(id: String, resource: String, direction: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let direction = match direction.as_str() {
        "up" => MoveDirection::Up,
        "down" => MoveDirection::Down,
        _ => return Err(AppError::Conflict("Move a resource up or down".into())),
    };
    let resource = ResourceId(record_id("Resource", &resource)?);
    crate::backend::control_plane()?.move_resource(&user, &project_id(&id)?, resource, direction).await
}

#[server(prefix = "/api/fn", endpoint = "request_certificate")]
pub async fn request_certificate(id: String, domain: String) -> Result<String, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?
        .request_certificate(&user, &project_id(&id)?, DomainId(record_id("Domain", &domain)?))
        .await
}
