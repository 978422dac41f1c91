//! Worker nodes: add (token shown once, stored hashed), rotate, remove, list.

use app::backend::Workers;
use app::error::{AppError, AppResult};
use app::model::{CurrentUser, IssuedToken, WorkerSummary};
use async_trait::async_trait;
use nsm_core::WorkerId;

use super::Plane;
use crate::auth::token;
use crate::db;
use crate::error::internal;

#[async_trait]
impl Workers for Plane {
    async fn list_workers(&self) -> AppResult<Vec<WorkerSummary>> {
        let rows = db::workers::list_workers(&self.db).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|w| WorkerSummary {
                online: self.hub.is_online(&w.id),
                version: self.hub.version_of(&w.id).or(w.version),
                edge: w.edge.map(|facts| match facts.mode {
                    nsm_core::edge::EdgeMode::Off => "off".to_owned(),
                    mode => format!("{mode}, ports {}/{}", facts.listen.http, facts.listen.https),
                }),
                public_address: w.public_address,
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
        self.audit(by, "worker.add", id.as_str(), None).await?;
        Ok(IssuedToken { worker: id.to_string(), token: secret })
    }

    /// A new token; the old one stops working at once and a connected worker is dropped.
    async fn rotate_worker_token(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<IssuedToken> {
        let secret = token::generate();
        if !db::workers::set_token_hash(&self.db, id.as_str(), &token::digest(&secret)).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        self.drop_worker_link(id.as_str(), "its token was rotated").await;
        self.audit(by, "worker.rotate_token", id.as_str(), None).await?;
        Ok(IssuedToken { worker: id.to_string(), token: secret })
    }

    async fn set_worker_address(&self, by: &CurrentUser, id: &WorkerId, address: Option<String>) -> AppResult<()> {
        if !db::sites::set_public_address(&self.db, id, address.as_deref()).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        self.audit(by, "worker.set_address", id.as_str(), address.as_deref()).await
    }

    async fn remove_worker(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<()> {
        let users = db::workers::projects_using(&self.db, id.as_str()).await.map_err(internal)?;
        if !users.is_empty() {
            return Err(AppError::Conflict(format!(
                "Worker {id} is used by {}; move those projects to another worker first",
                users.join(", ")
            )));
        }
        if !db::workers::remove_worker(&self.db, id.as_str()).await.map_err(internal)? {
            return Err(AppError::NotFound(format!("Worker {id}")));
        }
        self.drop_worker_link(id.as_str(), "it was removed").await;
        self.audit(by, "worker.remove", id.as_str(), None).await
    }
}

impl Plane {
    /// Closes a worker's link and fails what it was running.
    pub async fn drop_worker_link(&self, worker: &str, why: &str) {
        if self.hub.is_online(worker) {
            self.hub.disconnect(worker);
            self.deployer.on_worker_lost(worker, &format!("disconnected because {why}")).await;
        }
    }
}
