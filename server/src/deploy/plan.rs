//! The plan before a deployment (or a redeploy): the configuration it will run with,
//! against what the project's last successful deployment ran with, compared by the
//! shared crate ([`nsm_core::plan`]).
//!
//! "Now" is the saved configuration and the nginx file as the edge would render it
//! with the leases saved now. A deploy fetches the branch's head when it runs: the plan
//! names the head as last seen (by a sync or a deployment). Commit subjects are not
//! known to the control plane (the worker fetches the tip only and reports the commit
//! it checked out), so the range is shown by its two commits.

use nsm_core::domain::Topology;
use nsm_core::plan::{plan, Plan, PlanInput};
use nsm_core::protocol::EdgePlan;
use nsm_core::{DeploymentId, ProjectId, WorkerId};

use super::snapshot;
use super::{redeploy, spec, DeployError, Deployer};
use crate::db::{self, deployment_config};

impl Deployer {
    /// What deploying `project` now would change.
    #[tracing::instrument(skip_all, fields(project = %project))]
    pub async fn plan(&self, project: &ProjectId) -> Result<Plan, DeployError> {
        let db = self.db();
        let row =
            db::projects::get_project(db, project).await?.ok_or_else(|| DeployError::NoProject(project.to_string()))?;
        let state = db::projects::sync_state(db, project.as_str()).await?;
        let variables = snapshot::project_variables(db, self.secrets(), project.as_str()).await?;
        // The head as last seen: by the last sync, or by a deployment since.
        let seen =
            match (state.synced_commit, state.synced_at, deployment_config::last_head(db, project.as_str()).await?) {
                (Some(synced), Some(at), Some((deployed, ended))) => Some(if ended > at { deployed } else { synced }),
                (synced, _, deployed) => deployed.map(|(commit, _)| commit).or(synced),
            };
        let now = PlanInput {
            commit: seen,
            variables,
            topology: db::domains::topology(db, project.as_str()).await?,
            services: spec::expected_states(db, project.as_str()).await?,
            nginx: self.nginx_now(project, &row.config.worker).await,
        };
        let (against, before) = self.last_good(project).await?;
        let mut plan = plan(before.as_ref(), &now);
        plan.against = against;
        plan.commit.branch = Some(row.config.branch.to_string());
        Ok(plan)
    }

    /// What redeploying `deployment` would change against the last successful one.
    #[tracing::instrument(skip_all, fields(deployment = %deployment))]
    pub async fn redeploy_plan(&self, deployment: DeploymentId) -> Result<Plan, DeployError> {
        let db = self.db();
        let (project, source) = redeploy::source(db, deployment).await?;
        let row = db::projects::get_project(db, &project)
            .await?
            .ok_or_else(|| DeployError::NoProject(project.to_string()))?;
        let topology = db::domains::topology(db, project.as_str()).await?;
        let then = source.recorded.topology.clone().unwrap_or_default();
        let redeployed = PlanInput {
            commit: Some(source.commit.clone()),
            variables: snapshot::variables(db, self.secrets(), deployment).await?,
            topology: topology.clone(),
            services: source.recorded.services.clone(),
            nginx: self.nginx_now(&project, &row.config.worker).await,
        };
        let (against, before) = self.last_good(&project).await?;
        let mut plan = plan(before.as_ref(), &redeployed);
        plan.against = against;
        plan.redeploy_of = Some(deployment);
        if let Some(note) = topology_note(deployment, &then, &topology) {
            plan.notes.push(note);
        }
        Ok(plan)
    }

    /// The last successful deployment of `project` and what it ran with.
    async fn last_good(&self, project: &ProjectId) -> Result<(Option<DeploymentId>, Option<PlanInput>), DeployError> {
        let Some(last) = deployment_config::last_succeeded(self.db(), project.as_str()).await? else {
            return Ok((None, None));
        };
        let input = snapshot::plan_input(self.db(), self.secrets(), last).await?;
        Ok((Some(last), input))
    }

    /// The project's nginx file as a deployment now would have it (None: nothing would
    /// be published, or it cannot be rendered — the deployment would say why).
    async fn nginx_now(&self, project: &ProjectId, worker: &WorkerId) -> Option<String> {
        match self.edge.plan_deployment(project, worker).await {
            Ok(EdgePlan::Publish(file)) => Some(file.text),
            Ok(EdgePlan::Off | EdgePlan::Unpublish) => None,
            Err(failure) => {
                tracing::debug!(reason = %failure, "no nginx file to compare");
                None
            }
        }
    }
}

/// A redeploy serves the domains and resources as configured now: said when they
/// differ from what the redeployed deployment had.
fn topology_note(deployment: DeploymentId, then: &Topology, now: &Topology) -> Option<String> {
    let old = PlanInput { topology: then.clone(), ..PlanInput::default() };
    let new = PlanInput { topology: now.clone(), ..PlanInput::default() };
    let differences = plan(Some(&old), &new);
    let count = differences.domains.len() + differences.resources.len();
    (count > 0).then(|| {
        format!(
            "Domains and resources are served as they are configured now: {count} of them differ from what #{deployment} had"
        )
    })
}
