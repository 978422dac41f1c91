//! The CI/CD panel: switch, deploy key and webhook secret rotation, activity.

use app::backend::Ci;
use app::error::{AppError, AppResult};
use app::model::{ActivityView, CiView, CurrentUser};
use async_trait::async_trait;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};
use nsm_core::ProjectId;

use super::Plane;
use crate::auth::token;
use crate::db;
use crate::error::internal;

fn project_event(action: AuditAction, id: &ProjectId) -> AuditEvent {
    AuditEvent::new(AuditKind::Project, action, id.as_str()).project(id)
}

impl Plane {
    async fn project_row(&self, id: &ProjectId) -> AppResult<db::projects::ProjectRow> {
        db::projects::get_project(&self.db, id)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("Project {id}")))
    }
}

#[async_trait]
impl Ci for Plane {
    async fn get_ci(&self, id: &ProjectId) -> AppResult<CiView> {
        let project = self.project_row(id).await?;
        let key = db::ci::deploy_key_hash(&self.db, id.as_str()).await.map_err(internal)?;
        let secret = db::ci::webhook_secret(&self.db, id.as_str()).await.map_err(internal)?;
        self.activity.flush().await;
        let activity = db::ci::activity(&self.db, id.as_str(), 50)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|a| ActivityView {
                at: a.at,
                source: a.source,
                outcome: a.outcome,
                detail: a.detail,
                deployment: a.deployment_id,
            })
            .collect();
        Ok(CiView {
            allow_ci_cd: project.config.allow_ci_cd,
            has_deploy_key: key.is_some(),
            has_webhook_secret: secret.is_some(),
            activity,
        })
    }

    async fn set_ci_enabled(&self, by: &CurrentUser, id: &ProjectId, enabled: bool) -> AppResult<()> {
        let mut config = self.project_row(id).await?.config;
        let word = |on: bool| Some(format!("CI/CD: {}", if on { "on" } else { "off" }));
        let change = (word(config.allow_ci_cd), word(enabled));
        config.allow_ci_cd = enabled;
        db::projects::update_project(&self.db, id, &config).await.map_err(internal)?;
        self.audit(by, project_event(AuditAction::Changed, id).change(change.0, change.1)).await
    }

    async fn rotate_deploy_key(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String> {
        self.project_row(id).await?;
        let key = format!("nsm_{}", token::generate());
        db::ci::set_deploy_key_hash(&self.db, id.as_str(), &token::digest(&key)).await.map_err(internal)?;
        self.audit(by, project_event(AuditAction::Rotated, id).detail("deploy key")).await?;
        Ok(key)
    }

    async fn rotate_webhook_secret(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String> {
        self.project_row(id).await?;
        let secret = token::generate();
        let sealed = self.secrets.seal(&secret).map_err(internal)?;
        db::ci::set_webhook_secret(&self.db, id.as_str(), &sealed).await.map_err(internal)?;
        self.audit(by, project_event(AuditAction::Rotated, id).detail("webhook secret")).await?;
        Ok(secret)
    }
}
