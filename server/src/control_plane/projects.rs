//! Projects: list, read, create, update (ids can be renamed), delete.

use app::backend::Projects;
use app::error::{AppError, AppResult};
use app::model::{CurrentUser, ProjectDetail, ProjectSummary};
use async_trait::async_trait;
use nsm_core::audit::{changed_fields, AuditAction, AuditEvent, AuditKind};
use nsm_core::config_file::ConfigPlan;
use nsm_core::project::{RepoToken, RepoTokenStatus};
use nsm_core::service::{ServiceHealth, Verdict};
use nsm_core::{ProjectConfig, ProjectId};

use super::{store_error, Plane};
use crate::db;
use crate::error::internal;

/// A project's General configuration as the audit log compares it.
pub(super) fn audit_fields(config: &ProjectConfig) -> Vec<(&'static str, String)> {
    vec![
        ("id", config.id.to_string()),
        ("repository", config.repository.label()),
        ("branch", config.branch.to_string()),
        ("worker", config.worker.to_string()),
        ("timeout", format!("{} s", config.timeout.secs())),
        ("CI/CD", if config.allow_ci_cd { "on" } else { "off" }.to_owned()),
    ]
}

fn event(action: AuditAction, id: &ProjectId) -> AuditEvent {
    AuditEvent::new(AuditKind::Project, action, id.as_str()).project(id)
}

#[async_trait]
impl Projects for Plane {
    async fn list_projects(&self) -> AppResult<Vec<ProjectSummary>> {
        let rows = db::projects::list_projects(&self.db).await.map_err(store_error)?;
        let mut verdicts: std::collections::HashMap<String, Vec<(String, Verdict)>> = Default::default();
        for (project, name, verdict) in db::services::all_verdicts(&self.db).await.map_err(internal)? {
            verdicts.entry(project).or_default().push((name, verdict));
        }
        let latest: std::collections::HashMap<String, nsm_core::DeploymentState> =
            db::deployments::latest_states(&self.db).await.map_err(internal)?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|r| ProjectSummary {
                health: ServiceHealth::of(
                    verdicts.get(r.config.id.as_str()).into_iter().flatten().map(|(name, v)| (name.as_str(), *v)),
                ),
                last_deployment: latest.get(r.config.id.as_str()).copied(),
                id: r.config.id.to_string(),
                repository: r.config.repository.label(),
                branch: r.config.branch.to_string(),
                worker: r.config.worker.to_string(),
                allow_ci_cd: r.config.allow_ci_cd,
                updated_at: r.updated_at,
            })
            .collect())
    }

    async fn get_project(&self, id: &ProjectId) -> AppResult<ProjectDetail> {
        match db::projects::get_project(&self.db, id).await.map_err(store_error)? {
            Some(r) => {
                let repo_token_set = self.repo_token_status(id).await?.repo_token_set;
                Ok(ProjectDetail {
                    config: r.config,
                    created_at: r.created_at,
                    updated_at: r.updated_at,
                    repo_token_set,
                })
            }
            None => Err(AppError::NotFound(format!("Project {id}"))),
        }
    }

    async fn create_project(&self, by: &CurrentUser, config: ProjectConfig) -> AppResult<()> {
        self.check_worker(&config).await?;
        db::projects::create_project(&self.db, &config).await.map_err(store_error)?;
        let (_, after) = changed_fields(&[], &audit_fields(&config));
        self.audit(by, event(AuditAction::Created, &config.id).change(None, after)).await
    }

    async fn update_project(&self, by: &CurrentUser, id: &ProjectId, config: ProjectConfig) -> AppResult<()> {
        self.check_worker(&config).await?;
        let node_before = db::projects::worker_of(&self.db, id.as_str()).await.map_err(internal)?;
        let before =
            db::projects::get_project(&self.db, id).await.map_err(store_error)?.map(|r| audit_fields(&r.config));
        if !db::projects::update_project(&self.db, id, &config).await.map_err(store_error)? {
            return Err(AppError::NotFound(format!("Project {id}")));
        }
        self.rename_edge(id, &config.id).await;
        // Moved or renamed: the old node stops following it; where it is now follows.
        if let Some(node) = node_before.filter(|node| node != config.worker.as_str() || id != &config.id) {
            self.logs.stop_on(&node, id);
            self.logs.push_project(config.id.as_str()).await;
        }
        let (before, after) = changed_fields(before.as_deref().unwrap_or_default(), &audit_fields(&config));
        self.audit(by, event(AuditAction::Changed, id).change(before, after)).await
    }

    async fn delete_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()> {
        let node = db::projects::worker_of(&self.db, id.as_str()).await.map_err(internal)?;
        let before =
            db::projects::get_project(&self.db, id).await.map_err(store_error)?.map(|r| audit_fields(&r.config));
        self.forget_edge(id).await?;
        if !db::projects::delete_project(&self.db, id).await.map_err(store_error)? {
            return Err(AppError::NotFound(format!("Project {id}")));
        }
        if let Some(node) = node {
            self.logs.stop_on(&node, id);
        }
        let (before, _) = changed_fields(before.as_deref().unwrap_or_default(), &[]);
        self.audit(by, event(AuditAction::Deleted, id).change(before, None)).await
    }

    async fn get_repo_token_status(&self, id: &ProjectId) -> AppResult<RepoTokenStatus> {
        self.repo_token_status(id).await
    }

    async fn set_repo_token(&self, by: &CurrentUser, id: &ProjectId, token: RepoToken) -> AppResult<()> {
        self.store_repo_token(by, id, Some(&token)).await
    }

    async fn clear_repo_token(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()> {
        self.store_repo_token(by, id, None).await
    }

    async fn export_config(&self, by: &CurrentUser, id: &ProjectId, with_secrets: bool) -> AppResult<String> {
        self.config_export(by, id, with_secrets).await
    }

    async fn plan_config_import(
        &self,
        _by: &CurrentUser,
        into: Option<&ProjectId>,
        text: &str,
    ) -> AppResult<ConfigPlan> {
        Ok(self.config_plan(into, text).await?.0)
    }

    async fn apply_config_import(
        &self,
        by: &CurrentUser,
        into: Option<&ProjectId>,
        text: &str,
        base: &str,
    ) -> AppResult<ProjectId> {
        self.config_apply(by, into, text, base).await
    }
}
