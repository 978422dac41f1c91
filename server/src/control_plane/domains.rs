//! The Domains tab: domains (a hostname belongs to one project), their ordered
//! resources, certificate status. Custom resources are admin-only, checked here.
//! Removing a domain stops serving it at once; other changes apply at the next
//! deployment, which checks and publishes the whole file.

use app::backend::{Domains, MoveDirection, ResourceSave};
use app::error::{AppError, AppResult};
use app::model::{CertificateView, CurrentUser, DomainView, DomainsView, ExpiringCertificate, ResourceView};
use async_trait::async_trait;
use nsm_core::access::Permission;
use nsm_core::audit::{changed_fields, AuditAction, AuditEvent, AuditKind};
use nsm_core::domain::{Hostname, ResourceForm, ResourceKind, ResourceType, Topology};
use nsm_core::edge::EdgeMode;
use nsm_core::{DomainId, ProjectId, ResourceId};

use super::Plane;
use crate::db;
use crate::db::edge::{CertificateRow, Direction, EdgeStoreError};
use crate::edge::certificate_status;
use crate::error::{field, internal};

fn store_error(error: EdgeStoreError) -> AppError {
    match error {
        EdgeStoreError::HostnameTaken(Some(owner)) => {
            field("hostname", format!("This hostname already belongs to project {owner}"))
        }
        EdgeStoreError::HostnameTaken(None) => field("hostname", "This project already has this hostname"),
        EdgeStoreError::PathTaken => field("path", "Another resource of this domain already uses this path"),
        EdgeStoreError::NotFound => AppError::NotFound("The domain or resource".into()),
        other => internal(other),
    }
}

fn summary(kind: &ResourceKind) -> String {
    match kind {
        ResourceKind::Static { spa, cors_origins } => {
            let mut parts = vec![if *spa { "SPA fallback to index.html".to_owned() } else { "files".to_owned() }];
            if !cors_origins.is_empty() {
                let list: Vec<&str> = cors_origins.iter().map(|o| o.as_str()).collect();
                parts.push(format!("CORS {}", list.join(" ")));
            }
            parts.join(", ")
        }
        ResourceKind::Api { websocket, timeout_secs, max_body } => {
            let ws = if *websocket { ", WebSocket" } else { "" };
            format!("timeout {} s, max body {max_body}{ws}", timeout_secs.secs())
        }
        ResourceKind::Redirect { target } => format!("302 to {target}"),
        ResourceKind::Custom { body } => {
            let lines = body.as_str().lines().count();
            format!("{lines} line{} of nginx configuration", if lines == 1 { "" } else { "s" })
        }
    }
}

/// A resource as the audit log compares it; a Custom block's body is shown whole
/// (it is configuration an admin wrote, not a secret).
fn resource_fields(config: &nsm_core::domain::ResourceConfig) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("path", config.path.to_string()),
        ("type", config.kind.resource_type().to_string()),
        ("settings", summary(&config.kind)),
    ];
    if let ResourceKind::Custom { body } = &config.kind {
        fields.push(("nginx", body.as_str().to_owned()));
    }
    fields
}

fn event(kind: AuditKind, action: AuditAction, id: &ProjectId, target: String) -> AuditEvent {
    AuditEvent::new(kind, action, target).project(id)
}

fn certificate_view(row: Option<CertificateRow>) -> CertificateView {
    let status = certificate_status(row.as_ref(), chrono::Utc::now());
    let Some(row) = row else {
        return CertificateView { status, ..CertificateView::default() };
    };
    CertificateView {
        status,
        issuer: row.issuer,
        not_after: row.not_after,
        last_error: row.last_error,
        last_attempt: row.last_attempt,
    }
}

impl Plane {
    async fn edge_topology(&self, id: &ProjectId) -> AppResult<Topology> {
        db::domains::topology(&self.db, id.as_str()).await.map_err(internal)
    }

    /// Custom resources hold raw nginx configuration: admins only, to create,
    /// change, move or delete one, or to turn another resource into one.
    async fn require_admin_for(&self, by: &CurrentUser, custom: bool) -> AppResult<()> {
        if custom && !by.may(Permission::Admin) {
            return Err(AppError::Forbidden("Only an administrator can write Custom nginx blocks".into()));
        }
        Ok(())
    }

    /// A resource's name for the audit log (`shop/example.com/api`) and what it was.
    async fn resource_before(&self, id: &ProjectId, resource: ResourceId) -> AppResult<(String, Option<String>)> {
        let topology = self.edge_topology(id).await?;
        let Some(entry) = topology.resource(resource.get()) else {
            return Ok((format!("{id}/resource #{resource}"), None));
        };
        let hostname = topology.domain(entry.domain_id).map(|d| d.hostname.to_string()).unwrap_or_default();
        let (before, _) = changed_fields(&resource_fields(&entry.config), &[]);
        Ok((format!("{id}/{hostname}{}", entry.path()), before))
    }

    async fn is_custom(&self, id: &ProjectId, resource: ResourceId) -> AppResult<bool> {
        let topology = self.edge_topology(id).await?;
        let entry =
            topology.resource(resource.get()).ok_or_else(|| AppError::NotFound(format!("Resource {resource}")))?;
        Ok(entry.config.kind.resource_type() == ResourceType::Custom)
    }
}

#[async_trait]
impl Domains for Plane {
    async fn list_domains(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<DomainsView> {
        let project = db::projects::get_project(&self.db, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("Project {id}")))?;
        let topology = self.edge_topology(id).await?;
        let mut certificates = db::edge::certificates_of(&self.db, id).await.map_err(internal)?;
        let domains = topology
            .domains
            .iter()
            .map(|d| {
                let resources = topology
                    .resources_on(d.id)
                    .map(|r| ResourceView {
                        id: ResourceId(r.id),
                        path: r.path().to_string(),
                        kind: r.config.kind.resource_type(),
                        summary: summary(&r.config.kind),
                        form: ResourceForm::from_config(&r.config),
                    })
                    .collect();
                let position = certificates.iter().position(|c| c.hostname == d.hostname);
                let certificate = certificate_view(position.map(|p| certificates.swap_remove(p)));
                DomainView {
                    id: DomainId(d.id),
                    hostname: d.hostname.to_string(),
                    resources,
                    certificate,
                    hsts: d.hsts,
                }
            })
            .collect();
        let node = &project.config.worker;
        let facts = db::sites::edge_facts(&self.db, node).await.map_err(internal)?;
        let preview = match &facts {
            Some(_) => self.edge.input(id, node).await.ok(),
            None => None,
        };
        // A fronted node's domains are reached through its front's address and port.
        let fronted_by = db::sites::fronted_by(&self.db, node).await.map_err(internal)?;
        let reached = fronted_by.as_ref().unwrap_or(node);
        let reached_facts = match &fronted_by {
            Some(front) => db::sites::edge_facts(&self.db, front).await.map_err(internal)?,
            None => facts.clone(),
        };
        Ok(DomainsView {
            domains,
            can_custom: by.may(Permission::Admin),
            can_edit: by.may(Permission::Edit),
            edge: facts.as_ref().map_or(EdgeMode::Off, |f| f.mode),
            published: self.edge.published_on(id).await.is_some(),
            https_port: reached_facts.as_ref().map_or(443, |f| f.listen.https),
            node: node.to_string(),
            node_address: db::sites::public_address(&self.db, reached).await.map_err(internal)?,
            fronted_by: fronted_by.map(|f| f.to_string()),
            preview,
        })
    }

    async fn list_expiring_certificates(&self, days: u32) -> AppResult<Vec<ExpiringCertificate>> {
        let before = db::timestamp(chrono::Utc::now() + chrono::Duration::days(i64::from(days)));
        let rows = db::edge::ending_before(&self.db, &before).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|(project, row)| ExpiringCertificate {
                project: project.to_string(),
                hostname: row.hostname.to_string(),
                certificate: certificate_view(Some(row)),
            })
            .collect())
    }

    async fn add_domain(&self, by: &CurrentUser, id: &ProjectId, hostname: Hostname) -> AppResult<()> {
        self.require_project(id).await?;
        db::edge::add_domain(&self.db, id, &hostname).await.map_err(store_error)?;
        let event = event(AuditKind::Domain, AuditAction::Created, id, format!("{id}/{hostname}"));
        self.audit(by, event.change(None, Some(hostname.to_string()))).await
    }

    async fn remove_domain(&self, by: &CurrentUser, id: &ProjectId, domain: DomainId) -> AppResult<()> {
        let topology = self.edge_topology(id).await?;
        let custom = topology.resources_on(domain.get()).any(|r| r.config.kind.resource_type() == ResourceType::Custom);
        self.require_admin_for(by, custom).await?;
        let hostname = db::edge::remove_domain(&self.db, id, domain).await.map_err(store_error)?;
        // Stop serving it now, not at the next deployment.
        if let Err(error) = self.edge.refresh(id).await {
            tracing::error!(%error, project = %id, "cannot re-publish after removing a domain");
            return Err(AppError::Conflict(format!(
                "{hostname} was removed, but nginx did not take the new configuration: {error}"
            )));
        }
        match self.edge.published_on(id).await {
            Some(node) => self.edge.forget(std::slice::from_ref(&hostname), &node).await,
            None => self.edge.forget_records(std::slice::from_ref(&hostname)).await,
        }
        let event = event(AuditKind::Domain, AuditAction::Deleted, id, format!("{id}/{hostname}"));
        self.audit(by, event.change(Some(hostname.to_string()), None)).await
    }

    async fn set_domain_hsts(&self, by: &CurrentUser, id: &ProjectId, domain: DomainId, on: bool) -> AppResult<()> {
        let hostname = db::edge::set_hsts(&self.db, id, domain, on).await.map_err(store_error)?;
        let (before, after) = if on { ("off", "on") } else { ("on", "off") };
        let event = event(AuditKind::Domain, AuditAction::Changed, id, format!("{id}/{hostname}"));
        self.audit(by, event.change(Some(format!("HSTS {before}")), Some(format!("HSTS {after}")))).await
    }

    async fn save_resource(&self, by: &CurrentUser, id: &ProjectId, save: ResourceSave) -> AppResult<()> {
        let ResourceSave { domain, resource, config } = save;
        let was_custom = match resource {
            Some(resource) => self.is_custom(id, resource).await?,
            None => false,
        };
        self.require_admin_for(by, config.requires_admin() || was_custom).await?;
        let topology = self.edge_topology(id).await?;
        if topology.domain(domain.get()).is_none() {
            return Err(AppError::NotFound(format!("Domain {domain} of project {id}")));
        }
        if let Some(resource) = resource {
            // A resource stays on its domain; moving it is removing and adding.
            if topology.resource(resource.get()).map(|r| r.domain_id) != Some(domain.get()) {
                return Err(AppError::NotFound(format!("Resource {resource} on domain {domain}")));
            }
        }
        topology
            .check_path_free(domain.get(), &config.path, resource.map(ResourceId::get))
            .map_err(|e| field("path", e.0))?;
        let hostname = topology.domain(domain.get()).map(|d| d.hostname.to_string()).unwrap_or_default();
        let target = format!("{id}/{hostname}{}", config.path);
        let before = resource.and_then(|r| topology.resource(r.get())).map(|r| resource_fields(&r.config));
        match resource {
            Some(resource) => db::edge::update_resource(&self.db, resource, &config).await.map_err(store_error)?,
            None => {
                db::edge::insert_resource(&self.db, domain, &config).await.map_err(store_error)?;
            }
        }
        let action = if resource.is_some() { AuditAction::Changed } else { AuditAction::Created };
        let (before, after) = changed_fields(before.as_deref().unwrap_or_default(), &resource_fields(&config));
        self.audit(by, event(AuditKind::Resource, action, id, target).change(before, after)).await
    }

    async fn delete_resource(&self, by: &CurrentUser, id: &ProjectId, resource: ResourceId) -> AppResult<()> {
        self.require_admin_for(by, self.is_custom(id, resource).await?).await?;
        let (target, before) = self.resource_before(id, resource).await?;
        if !db::edge::delete_resource(&self.db, resource).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Resource {resource}")));
        }
        self.audit(by, event(AuditKind::Resource, AuditAction::Deleted, id, target).change(before, None)).await
    }

    async fn move_resource(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        resource: ResourceId,
        direction: MoveDirection,
    ) -> AppResult<()> {
        self.require_admin_for(by, self.is_custom(id, resource).await?).await?;
        if db::edge::resource_domain(&self.db, id, resource).await.map_err(internal)?.is_none() {
            return Err(AppError::NotFound(format!("Resource {resource}")));
        }
        let direction = match direction {
            MoveDirection::Up => Direction::Up,
            MoveDirection::Down => Direction::Down,
        };
        let (target, _) = self.resource_before(id, resource).await?;
        let word = if direction == Direction::Up { "up" } else { "down" };
        db::edge::move_resource(&self.db, resource, direction).await.map_err(internal)?;
        self.audit(by, event(AuditKind::Resource, AuditAction::Moved, id, target).detail(word)).await
    }

    async fn request_certificate(&self, by: &CurrentUser, id: &ProjectId, domain: DomainId) -> AppResult<String> {
        let topology = self.edge_topology(id).await?;
        let entry = topology.domain(domain.get()).ok_or_else(|| AppError::NotFound(format!("Domain {domain}")))?;
        if !self.edge.acme_enabled() {
            return Err(AppError::Conflict("Certificates are not requested: the edge or ACME is off".into()));
        }
        if let Some(why) = crate::edge::tls::acme_refusal(&entry.hostname) {
            return Err(AppError::Conflict(format!("{}: {why}", entry.hostname)));
        }
        let Some(node) = self.edge.published_on(id).await else {
            return Err(AppError::Conflict(
                "Deploy the project first: nginx must serve the domain to validate it".into(),
            ));
        };
        let target = format!("{id}/{}", entry.hostname);
        self.audit(by, event(AuditKind::Certificate, AuditAction::Requested, id, target)).await?;
        self.edge
            .obtain(&entry.hostname, &node)
            .await
            .map(|issued| issued.to_string())
            .map_err(|e| AppError::Conflict(e.to_string()))
    }
}

impl Plane {
    /// Before a project is deleted: stop serving it and forget its certificates.
    pub(super) async fn forget_edge(&self, id: &ProjectId) -> AppResult<()> {
        let hostnames = db::edge::hostnames(&self.db, id).await.map_err(internal)?;
        let node = self.edge.published_on(id).await;
        self.edge.unpublish(id).await.map_err(|e| AppError::Conflict(format!("nginx: {e}")))?;
        match &node {
            Some(node) => self.edge.forget(&hostnames, node).await,
            None => self.edge.forget_records(&hostnames).await,
        }
        Ok(())
    }

    /// After a teardown: the node unpublished the project with it.
    pub(super) async fn unpublish_edge(&self, id: &ProjectId) -> AppResult<()> {
        self.edge.unpublished(id).await;
        Ok(())
    }

    /// After a rename: the file is named after the project, and so are its paths.
    pub(super) async fn rename_edge(&self, old: &ProjectId, new: &ProjectId) {
        if old == new || self.edge.published_on(old).await.is_none() {
            return;
        }
        if let Err(error) = self.edge.unpublish(old).await {
            tracing::error!(%error, project = %old, "cannot unpublish a renamed project");
            return;
        }
        tracing::info!(%old, %new, "renamed project unpublished; its next deployment publishes it again");
    }
}
