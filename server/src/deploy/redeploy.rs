//! Redeploying an earlier deployment (a rollback): a new deployment of its commit with
//! the configuration it ran with — variables (values and references) as they were,
//! services' expected states, the saved shape. Domains and resources are served as
//! they are configured now (the edge renders from the live configuration); the plan
//! of a redeploy says so when they differ.

use std::sync::Arc;

use nsm_core::{DeploymentId, DeploymentState, ProjectId, Trigger};

use super::snapshot::{self, Recorded};
use super::{DeployError, Deployer, Requested};
use crate::db::deployment_config;
use crate::db::deployments as store;
use crate::db::Db;

/// Why a deployment cannot be redeployed, in the user's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeployRefusal {
    #[error("only a succeeded deployment can be redeployed; #{deployment} {state}")]
    NotSucceeded { deployment: DeploymentId, state: DeploymentState },
    #[error("deployment #{0} predates configuration snapshots, so it cannot be redeployed")]
    NoSnapshot(DeploymentId),
    #[error("deployment #{0} recorded no commit, so it cannot be redeployed")]
    NoCommit(DeploymentId),
    #[error("deployment #{0} is already queued for this project; cancel it or wait for it before redeploying")]
    Queued(DeploymentId),
}

/// The deployment redeployed, and what the new one copies from it.
pub(super) struct Source {
    pub deployment: DeploymentId,
    pub commit: String,
    pub recorded: Recorded,
}

impl Source {
    pub fn short_commit(&self) -> String {
        self.commit.chars().take(10).collect()
    }

    /// Records `id` as this source's redeploy: its commit, variables, expected states.
    pub async fn record(&self, db: &Db, id: DeploymentId) -> sqlx::Result<()> {
        // The topology is recorded at dispatch, as the edge will serve it.
        let recorded = Recorded { topology: None, ..self.recorded.clone() };
        deployment_config::start_redeploy(db, id, self.deployment, &self.commit, &recorded.to_json()).await
    }
}

/// `deployment`, if it can be redeployed, with its project.
pub async fn source(db: &Db, deployment: DeploymentId) -> Result<(ProjectId, Source), DeployError> {
    let row = store::get(db, deployment).await?.ok_or(DeployError::NoDeployment(deployment))?;
    if row.state != DeploymentState::Succeeded {
        return Err(RedeployRefusal::NotSucceeded { deployment, state: row.state }.into());
    }
    let commit = row.commit_sha.clone().ok_or(RedeployRefusal::NoCommit(deployment))?;
    let snapshot = snapshot::get(db, deployment).await?.ok_or(RedeployRefusal::NoSnapshot(deployment))?;
    let project = ProjectId::parse(&row.project_id).map_err(|_| DeployError::NoProject(row.project_id.clone()))?;
    Ok((project, Source { deployment, commit, recorded: snapshot.recorded }))
}

impl Deployer {
    /// Queues a redeploy of `deployment` (a succeeded one): never joins a queued
    /// deployment, which would run something else.
    #[tracing::instrument(skip_all, fields(redeploy_of = %deployment))]
    pub async fn redeploy(
        self: &Arc<Self>,
        deployment: DeploymentId,
        by: Option<&str>,
    ) -> Result<Requested, DeployError> {
        let (project, source) = source(&self.db, deployment).await?;
        self.enqueue(&project, Trigger::Rollback, by, Some(&source)).await
    }
}
