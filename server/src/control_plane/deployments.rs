//! Sync, deploy, cancel, teardown, history and services, for the UI.

use app::backend::{Deployments, ServiceUpdate};
use app::error::{AppError, AppResult};
use app::model::{CurrentUser, DeploymentDetail, DeploymentSummary, LogLineView, ProjectStatus, ServiceView, SyncView};
use async_trait::async_trait;
use nsm_core::attention::{attention, Attention, AttentionInput, ConfiguredService};
use nsm_core::audit::{changed_fields, AuditAction, AuditEvent, AuditKind, DeployTrigger};
use nsm_core::plan::Plan;
use nsm_core::{DeploymentId, ProjectId, Trigger};

use super::Plane;
use crate::db::deployments::{self as store, DeploymentRow};
use crate::db::{self};
use crate::deploy::{sync, DeployError};
use crate::error::internal;

/// Deploy errors in the user's words; internals go to the log.
pub fn deploy_error(error: DeployError) -> AppError {
    match error {
        DeployError::NoProject(id) => AppError::NotFound(format!("Project {id}")),
        DeployError::NoDeployment(id) => AppError::NotFound(format!("Deployment #{id}")),
        DeployError::Worker(e) => AppError::Conflict(e.to_string()),
        DeployError::Sync(message) => AppError::Conflict(format!("Sync failed: {message}")),
        DeployError::Database(e) => internal(e),
        DeployError::Project(e) => internal(e),
        DeployError::Secret(e) => internal(e),
        DeployError::Redeploy(refusal) => AppError::Conflict(refusal.to_string()),
        DeployError::Snapshot(e) => internal(e),
        DeployError::Topology(e) => internal(e),
    }
}

pub fn summary(row: &DeploymentRow) -> DeploymentSummary {
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let duration_secs = match (parse(&row.started_at), parse(&row.finished_at)) {
        (Some(start), Some(end)) => Some((end - start).num_seconds()),
        _ => None,
    };
    DeploymentSummary {
        id: row.id,
        state: row.state,
        trigger: row.trigger,
        triggered_by: row.triggered_by.clone(),
        commit: row.commit_sha.clone(),
        reason: row.reason.clone(),
        created_at: row.created_at.clone(),
        started_at: row.started_at.clone(),
        finished_at: row.finished_at.clone(),
        duration_secs,
        redeploy_of: None,
    }
}

impl Plane {
    /// What still needs the user: the last sync's findings as stored (compose file,
    /// services marked missing, variables marked unused) against the variables and
    /// domains now.
    async fn attention(&self, id: &ProjectId, state: &db::projects::SyncState) -> AppResult<Vec<Attention>> {
        let variables = self.saved_rows(id).await?;
        let services: Vec<ConfiguredService> = db::services::list_services(&self.db, id.as_str())
            .await
            .map_err(internal)?
            .into_iter()
            .map(|s| ConfiguredService { name: s.name, missing: s.missing })
            .collect();
        let topology = db::domains::topology(&self.db, id.as_str()).await.map_err(internal)?;
        Ok(attention(&AttentionInput {
            synced: state.synced_commit.is_some(),
            compose_file: state.compose_file.as_deref(),
            services: &services,
            variables: &variables,
            topology: &topology,
        }))
    }

    pub(super) async fn require_project(&self, id: &ProjectId) -> AppResult<()> {
        match db::projects::get_project(&self.db, id).await.map_err(internal)? {
            Some(_) => Ok(()),
            None => Err(AppError::NotFound(format!("Project {id}"))),
        }
    }
}

#[async_trait]
impl Deployments for Plane {
    async fn get_project_status(&self, id: &ProjectId) -> AppResult<ProjectStatus> {
        self.require_project(id).await?;
        let state = db::projects::sync_state(&self.db, id.as_str()).await.map_err(internal)?;
        let recent = store::list_for_project(&self.db, id.as_str(), 5).await.map_err(internal)?;
        let running = recent.iter().find(|d| !summary(d).is_terminal()).map(summary);
        let attention = self.attention(id, &state).await?;
        Ok(ProjectStatus {
            synced_commit: state.synced_commit,
            synced_at: state.synced_at,
            compose_file: state.compose_file,
            running,
            last: recent.first().map(summary),
            attention,
        })
    }

    async fn sync_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<SyncView> {
        self.require_project(id).await?;
        let found = sync::sync(&self.deployer, id).await.map_err(deploy_error)?;
        let event = AuditEvent::new(AuditKind::Project, AuditAction::Synced, id.as_str())
            .project(id)
            .detail(format!("commit {}", found.commit));
        self.audit(by, event).await?;
        Ok(found)
    }

    async fn deploy_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<DeploymentId> {
        let requested = self.deployer.request(id, Trigger::Manual, Some(&by.username)).await.map_err(deploy_error)?;
        // A browser session pressed Deploy; a token is a script's call.
        let trigger = if by.scope.is_some() { DeployTrigger::Api } else { DeployTrigger::Ui };
        let mut event =
            AuditEvent::new(AuditKind::Deployment, AuditAction::Requested, format!("{id} #{}", requested.deployment))
                .project(id)
                .trigger(trigger);
        if requested.coalesced {
            event = event.detail("joined the queued deployment");
        }
        self.audit(by, event).await?;
        Ok(requested.deployment)
    }

    async fn get_plan(&self, id: &ProjectId) -> AppResult<Plan> {
        self.deployer.plan(id).await.map_err(deploy_error)
    }

    async fn get_redeploy_plan(&self, deployment: DeploymentId) -> AppResult<Plan> {
        self.deployer.redeploy_plan(deployment).await.map_err(deploy_error)
    }

    async fn redeploy_deployment(&self, by: &CurrentUser, deployment: DeploymentId) -> AppResult<DeploymentId> {
        let requested = self.deployer.redeploy(deployment, Some(&by.username)).await.map_err(deploy_error)?;
        let project = store::get(&self.db, requested.deployment).await.map_err(internal)?.map(|row| row.project_id);
        let trigger = if by.scope.is_some() { DeployTrigger::Api } else { DeployTrigger::Ui };
        let target = format!("{} #{}", project.as_deref().unwrap_or_default(), requested.deployment);
        let mut event = AuditEvent::new(AuditKind::Deployment, AuditAction::Requested, target)
            .trigger(trigger)
            .detail(format!("redeploy of #{deployment} (rollback)"));
        if let Some(project) = project {
            event = event.project(project);
        }
        self.audit(by, event).await?;
        Ok(requested.deployment)
    }

    async fn teardown_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()> {
        self.require_project(id).await?;
        sync::teardown(&self.deployer, id).await.map_err(deploy_error)?;
        self.audit(by, AuditEvent::new(AuditKind::Deployment, AuditAction::TornDown, id.as_str()).project(id)).await?;
        self.unpublish_edge(id).await
    }

    async fn cancel_deployment(&self, by: &CurrentUser, deployment: DeploymentId) -> AppResult<()> {
        self.deployer.cancel(deployment, &by.username).await.map_err(deploy_error)?;
        let project = store::get(&self.db, deployment).await.map_err(internal)?.map(|row| row.project_id);
        let mut event = AuditEvent::new(AuditKind::Deployment, AuditAction::Cancelled, format!("#{deployment}"));
        if let Some(project) = project {
            event = AuditEvent { target: format!("{project} #{deployment}"), ..event }.project(project);
        }
        self.audit(by, event).await
    }

    async fn list_deployments(&self, id: &ProjectId) -> AppResult<Vec<DeploymentSummary>> {
        self.require_project(id).await?;
        let rows = store::list_for_project(&self.db, id.as_str(), 50).await.map_err(internal)?;
        let redeploys = db::deployment_config::redeploys_of(&self.db, id.as_str()).await.map_err(internal)?;
        Ok(rows
            .iter()
            .map(|row| DeploymentSummary {
                redeploy_of: redeploys.iter().find(|(d, _)| *d == row.id).map(|(_, of)| *of),
                ..summary(row)
            })
            .collect())
    }

    async fn get_deployment(&self, deployment: DeploymentId) -> AppResult<DeploymentDetail> {
        let row = store::get(&self.db, deployment)
            .await
            .map_err(internal)?
            .ok_or_else(|| AppError::NotFound(format!("Deployment #{deployment}")))?;
        let log = store::log_since(&self.db, deployment, 0)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(seq, line)| LogLineView { seq, at: line.at, stream: line.stream, text: line.text })
            .collect();
        let services = row.services.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        let redeploy_of =
            db::deployment_config::get(&self.db, deployment).await.map_err(internal)?.and_then(|c| c.redeploy_of);
        Ok(DeploymentDetail {
            summary: DeploymentSummary { redeploy_of, ..summary(&row) },
            project: row.project_id.clone(),
            env_masked: row.env_masked.clone(),
            compose_override: row.compose_override.clone(),
            services,
            log,
        })
    }

    async fn list_services(&self, id: &ProjectId) -> AppResult<Vec<ServiceView>> {
        self.require_project(id).await?;
        let rows = db::services::list_services(&self.db, id.as_str()).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|s| ServiceView {
                name: s.name,
                expected: s.expected,
                collect_logs: s.collect_logs,
                missing: s.missing,
                assessment: s.assessment,
            })
            .collect())
    }

    async fn get_service_timelines(&self, id: &ProjectId) -> AppResult<nsm_core::view::ServiceTimelines> {
        self.require_project(id).await?;
        self.fleet.timelines(id, crate::fleet::unix_now()).await.map_err(internal)
    }

    async fn update_service(&self, by: &CurrentUser, id: &ProjectId, update: ServiceUpdate) -> AppResult<()> {
        let ServiceUpdate { service, expected, collect_logs } = update;
        let fields = |expected: &dyn std::fmt::Display, collect_logs: bool| {
            vec![
                ("expected", expected.to_string()),
                ("collect logs", if collect_logs { "on" } else { "off" }.to_owned()),
            ]
        };
        let before = db::services::list_services(&self.db, id.as_str())
            .await
            .map_err(internal)?
            .into_iter()
            .find(|s| s.name == service)
            .map(|s| fields(&s.expected, s.collect_logs));
        if !db::services::update_service(&self.db, id.as_str(), &service, expected, collect_logs)
            .await
            .map_err(internal)?
        {
            return Err(AppError::NotFound(format!("Service {service} of project {id}")));
        }
        self.fleet.reassess(id, &service).await;
        self.logs.push_project(id.as_str()).await;
        let (before, after) = changed_fields(before.as_deref().unwrap_or_default(), &fields(&expected, collect_logs));
        let event = AuditEvent::new(AuditKind::Service, AuditAction::Changed, format!("{id}/{service}"))
            .project(id)
            .change(before, after);
        self.audit(by, event).await
    }
}
