//! Starting a queued deployment: build its spec, let the edge check the nginx file,
//! hand it to the project's worker, and watch for a worker that never answers.

use std::sync::Arc;
use std::time::Duration;

use nsm_core::protocol::{LogStream, ServerMessage};
use nsm_core::{DeploymentId, DeploymentState, ProjectId, WorkerId};

use super::spec::{self, SpecError};
use super::Deployer;
use crate::db::deployments::{self as store, DeploymentRow, Ending};

/// Extra time the server grants a worker beyond the project's timeout before it
/// gives up on hearing back.
const WATCHDOG_MARGIN: Duration = Duration::from_secs(120);

/// A stored deployment's project and worker as typed ids.
pub(super) fn owners(row: &DeploymentRow) -> Result<(ProjectId, WorkerId), SpecError> {
    let project = ProjectId::parse(&row.project_id).map_err(SpecError::StoredId)?;
    let worker = WorkerId::parse(&row.worker_id).map_err(SpecError::StoredId)?;
    Ok((project, worker))
}

impl Deployer {
    pub(super) fn spawn_start(self: &Arc<Self>, id: DeploymentId) {
        let this = self.clone();
        tokio::spawn(async move { this.start(id).await });
    }

    #[tracing::instrument(skip_all, fields(deployment = %id))]
    async fn start(self: &Arc<Self>, id: DeploymentId) {
        let row = match store::get(&self.db, id).await {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(%error, "cannot load a deployment to start");
                return;
            }
        };
        if row.state.is_terminal() {
            return;
        }
        let fail = |reason: String| {
            let this = self.clone();
            let project = row.project_id.clone();
            async move {
                this.end(id, &project, DeploymentState::Failed, Ending { reason: Some(&reason), ..Ending::default() })
                    .await;
            }
        };
        let (project, worker) = match owners(&row) {
            Ok(owners) => owners,
            Err(error) => return fail(error.to_string()).await,
        };
        if !self.workers.is_online(worker.as_str()) {
            return fail(format!("worker {worker} is offline")).await;
        }
        let spec = match spec::build(self, id, &project, &worker).await {
            Ok(spec) => spec,
            Err(error) => return fail(error.to_string()).await,
        };
        let timeout = Duration::from_secs(u64::from(spec.timeout_secs));
        if let Err(error) = store::advance(&self.db, id, DeploymentState::Preparing).await {
            tracing::error!(%error, "cannot record a deployment's start");
        }
        self.live.state(id, DeploymentState::Preparing);
        self.log(id, LogStream::System, format!("dispatched to worker {worker}")).await;
        if let Err(error) = self.workers.send(worker.as_str(), ServerMessage::Deploy { spec: Box::new(spec) }) {
            return fail(error.to_string()).await;
        }
        // A worker that never answers must not leave the deployment in progress forever.
        let this = self.clone();
        let project = row.project_id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(timeout + WATCHDOG_MARGIN).await;
            let reason = format!(
                "no result from the worker within the timeout ({} s) plus {} s",
                timeout.as_secs(),
                WATCHDOG_MARGIN.as_secs()
            );
            this.end(id, &project, DeploymentState::Failed, Ending { reason: Some(&reason), ..Ending::default() })
                .await;
        });
    }
}
