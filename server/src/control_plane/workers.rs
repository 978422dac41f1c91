//! Worker nodes: add (token shown once, stored hashed), rotate, remove, list, and each
//! one's policy (what its projects' compose files may do to the node).

use app::backend::Workers;
use app::error::{AppError, AppResult};
use app::model::{ControlPlaneStatus, CurrentUser, IssuedToken, WorkerSummary};
use async_trait::async_trait;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};
use nsm_core::worker::{check_front, FrontCandidate};
use nsm_core::worker_policy::WorkerPolicy;
use nsm_core::WorkerId;

use super::Plane;
use crate::auth::token;

fn worker_event(action: AuditAction, id: &str) -> AuditEvent {
    AuditEvent::new(AuditKind::Worker, action, format!("worker {id}"))
}
use crate::db;
use crate::error::{field, internal};

#[async_trait]
impl Workers for Plane {
    async fn list_workers(&self) -> AppResult<Vec<WorkerSummary>> {
        let rows = db::workers::list_workers(&self.db).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|w| WorkerSummary {
                online: self.hub.is_online(&w.id),
                version: self.hub.version_of(&w.id).or(w.version),
                can_front: w.edge.as_ref().is_some_and(nsm_core::protocol::EdgeFacts::can_front),
                edge: w.edge.map(|facts| match facts.mode {
                    nsm_core::edge::EdgeMode::Off => "off".to_owned(),
                    mode => format!("{mode}, ports {}/{}", facts.listen.http, facts.listen.https),
                }),
                public_address: w.public_address,
                fronted_by: w.fronted_by,
                id: w.id,
                name: w.name,
                last_seen: w.last_seen,
            })
            .collect())
    }

    async fn add_worker(&self, by: &CurrentUser, id: WorkerId, name: &str) -> AppResult<IssuedToken> {
        let name = name.trim();
        let name = if name.is_empty() { id.as_str() } else { name };
        if name.len() > 100 || name.chars().any(char::is_control) {
            let mut errors = nsm_core::FieldErrors::new();
            errors.add(
                "name",
                nsm_core::FieldError::new("Name must be at most 100 characters, without control characters"),
            );
            return Err(errors.into());
        }
        let secret = token::generate();
        if !db::workers::add_worker(&self.db, id.as_str(), name, &token::digest(&secret)).await.map_err(internal)? {
            let mut errors = nsm_core::FieldErrors::new();
            errors.add("id", nsm_core::FieldError::new(format!("A worker with id {id} already exists")));
            return Err(errors.into());
        }
        self.audit(by, worker_event(AuditAction::Created, id.as_str()).change(None, Some(format!("name: {name}"))))
            .await?;
        Ok(IssuedToken { worker: id.to_string(), token: secret })
    }

    /// A new token; the old one stops working at once and a connected worker is dropped.
    async fn rotate_worker_token(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<IssuedToken> {
        let secret = token::generate();
        if !db::workers::set_token_hash(&self.db, id.as_str(), &token::digest(&secret)).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        self.drop_worker_link(id.as_str(), "its token was rotated").await;
        self.audit(by, worker_event(AuditAction::Rotated, id.as_str()).detail("token")).await?;
        Ok(IssuedToken { worker: id.to_string(), token: secret })
    }

    async fn set_worker_address(&self, by: &CurrentUser, id: &WorkerId, address: Option<String>) -> AppResult<()> {
        let front = db::sites::fronted_by(&self.db, id).await.map_err(internal)?;
        let before = db::sites::public_address(&self.db, id).await.map_err(internal)?;
        if let (Some(front), None) = (&front, &address) {
            return Err(field(
                "address",
                format!("Worker {front} fronts {id} and reaches it at this address: make {id} public first"),
            ));
        }
        if !db::sites::set_public_address(&self.db, id, address.as_deref()).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        if let Some(front) = &front {
            if let Err(error) = self.edge.refresh_front(front).await {
                tracing::warn!(%front, %error, "the fronting node did not take the new address");
            }
        }
        let shown = |address: Option<String>| Some(format!("public address: {}", address.as_deref().unwrap_or("none")));
        self.audit(by, worker_event(AuditAction::Changed, id.as_str()).change(shown(before), shown(address))).await
    }

    async fn get_control_plane_status(&self) -> AppResult<ControlPlaneStatus> {
        let uptime = chrono::Utc::now() - self.started_at;
        Ok(ControlPlaneStatus {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: self.started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            uptime_secs: u64::try_from(uptime.num_seconds()).unwrap_or(0),
        })
    }

    async fn get_fleet_history(&self) -> AppResult<Vec<nsm_core::service::DayCell>> {
        self.fleet.days(crate::fleet::unix_now()).await.map_err(internal)
    }

    async fn set_worker_front(&self, by: &CurrentUser, id: &WorkerId, front: Option<WorkerId>) -> AppResult<()> {
        if !db::workers::exists(&self.db, id.as_str()).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        if let Some(front) = &front {
            self.check_front(id, front).await?;
        }
        let before = db::sites::fronted_by(&self.db, id).await.map_err(internal)?;
        if before == front {
            return Ok(());
        }
        db::sites::set_fronted_by(&self.db, id, front.as_ref()).await.map_err(internal)?;
        if let Some(new) = &front {
            if let Err(error) = self.edge.refresh_front(new).await {
                // Nothing changes on the nodes: put the setting back.
                db::sites::set_fronted_by(&self.db, id, before.as_ref()).await.map_err(internal)?;
                return Err(AppError::Conflict(format!("Worker {new} did not take the route to {id}: {error}")));
            }
        }
        if let Some(old) = &before {
            if let Err(error) = self.edge.refresh_front(old).await {
                tracing::warn!(front = %old, %error, "the previous fronting node still routes to the worker");
            }
        }
        let shown = |front: Option<&WorkerId>| Some(format!("fronted by: {}", front.map_or("none", WorkerId::as_str)));
        self.audit(
            by,
            worker_event(AuditAction::Changed, id.as_str()).change(shown(before.as_ref()), shown(front.as_ref())),
        )
        .await
    }

    async fn remove_worker(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<()> {
        let users = db::workers::projects_using(&self.db, id.as_str()).await.map_err(internal)?;
        if !users.is_empty() {
            return Err(AppError::Conflict(format!(
                "Worker {id} is used by {}; move those projects to another worker first",
                users.join(", ")
            )));
        }
        let name =
            db::workers::list_workers(&self.db).await.map_err(internal)?.into_iter().find(|w| w.id == id.as_str());
        if !db::workers::remove_worker(&self.db, id.as_str()).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        self.drop_worker_link(id.as_str(), "it was removed").await;
        let before = name.map(|w| format!("name: {}", w.name));
        self.audit(by, worker_event(AuditAction::Deleted, id.as_str()).change(before, None)).await
    }

    async fn get_worker_policy(&self, id: &WorkerId) -> AppResult<WorkerPolicy> {
        db::workers::policy(&self.db, id.as_str())
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("Worker {id}")))
    }

    /// Admins only: an allowance lets every project on the worker reach the node.
    async fn set_worker_policy(&self, by: &CurrentUser, id: &WorkerId, policy: WorkerPolicy) -> AppResult<()> {
        if !db::users::is_admin(&self.db, by.id).await.map_err(internal)? {
            return Err(AppError::Forbidden("Only an administrator can change a worker's policy".into()));
        }
        let before = db::workers::policy(&self.db, id.as_str()).await.map_err(internal)?;
        if !db::workers::set_policy(&self.db, id.as_str(), &policy).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        let shown = |policy: &WorkerPolicy| {
            let allowed: Vec<&str> = policy.allowed.iter().map(|a| a.as_str()).collect();
            Some(if allowed.is_empty() {
                "allowed: nothing".to_owned()
            } else {
                format!("allowed: {}", allowed.join(", "))
            })
        };
        let event = AuditEvent::new(AuditKind::Policy, AuditAction::Changed, format!("worker {id}"))
            .change(before.as_ref().and_then(shown), shown(&policy));
        self.audit(by, event).await
    }
}

impl Plane {
    /// Whether `front` may front `id` (the shared crate's rule, on what is stored).
    async fn check_front(&self, id: &WorkerId, front: &WorkerId) -> AppResult<()> {
        if !db::workers::exists(&self.db, front.as_str()).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {front}")));
        }
        let facts = db::sites::edge_facts(&self.db, front).await.map_err(internal)?;
        let candidate = FrontCandidate {
            id: front.clone(),
            can_front: facts.as_ref().is_some_and(nsm_core::protocol::EdgeFacts::can_front),
            is_fronted: db::sites::fronted_by(&self.db, front).await.map_err(internal)?.is_some(),
        };
        let fronts_others = db::sites::fronts(&self.db).await.map_err(internal)?.contains(id);
        let address = db::sites::public_address(&self.db, id).await.map_err(internal)?;
        check_front(id, address.as_deref(), fronts_others, &candidate).map_err(|e| field("front", e.0))
    }

    /// Closes a worker's link and fails what it was running.
    pub async fn drop_worker_link(&self, worker: &str, why: &str) {
        if self.hub.is_online(worker) {
            self.hub.disconnect(worker);
            self.deployer.on_worker_lost(worker, &format!("disconnected because {why}")).await;
        }
    }
}
