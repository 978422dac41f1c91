//! Admission: which worker messages the deployer acts on (design §5: a worker speaks
//! only for its own work). Every rule is in [`Deployer::rule`], one arm per message
//! kind; a message it refuses is logged once, as a warning naming the worker, the
//! kind and what the message was about, and changes nothing.
//!
//! - A deployment's phase, log line or result: only from the worker the deployment is
//!   assigned to, and only while it runs (dispatched and not ended). A phase never
//!   goes back; a result for an ended deployment (a replay) is refused, and so is a
//!   second result while the first is being recorded.
//! - The port leases in a result: only for the API Services of the deployment's own
//!   project. Others are refused one by one; the rest of the result stands.
//! - A service's state: only for a project assigned to that worker.
//! - Resource samples: likewise, sample by sample; the others in the batch stand.
//! - The leases a deployment announces (`PortsLeased`, before its nginx file is
//!   rendered): as for a result's, only from its worker while it runs, only for its
//!   own project's API Services.
//! - An answer (`Synced`, `TornDown`, `EdgeDone`): only from the worker its request was sent to,
//!   while the request waits. The hub checks it again where it routes the answer.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Display;

use nsm_core::domain::ResourceType;
use nsm_core::protocol::{DeployPhase, WorkerMessage};
use nsm_core::stats::ContainerSample;
use nsm_core::variables::parse_resource_key;
use nsm_core::{DeploymentId, DeploymentState, ProjectId};

use crate::db;
use crate::db::deployments::{self as store, Assignment};
use crate::db::domains::TopologyReadError;
use crate::deploy::Deployer;

/// Why a worker's message is not acted on.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    #[error("no such deployment")]
    UnknownDeployment,
    #[error("the deployment is assigned to worker {0}")]
    NotAssigned(String),
    #[error("the deployment has not been dispatched yet")]
    NotDispatched,
    #[error("the deployment has already ended ({0})")]
    Ended(DeploymentState),
    #[error("the deployment is already {current}; a phase never goes back")]
    Backwards { current: DeploymentState },
    #[error("a result for the deployment is already being recorded")]
    ResultPending,
    #[error("no such project")]
    UnknownProject,
    #[error("the project is assigned to worker {0}")]
    ProjectElsewhere(String),
    #[error("no request waits for this answer")]
    NoRequest,
    #[error("the request was sent to worker {0}")]
    NotAddressee(String),
    /// The message could not be checked; it is not trusted either.
    #[error("cannot check the message: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot check the message: {0}")]
    Topology(#[from] TopologyReadError),
}

/// What a message is about, for the log line that refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Subject {
    Deployment(DeploymentId),
    Project(ProjectId),
    Request(u64),
    Link,
}

pub(super) fn subject(message: &WorkerMessage) -> Subject {
    match message {
        WorkerMessage::DeployPhase { deployment, .. }
        | WorkerMessage::DeployLog { deployment, .. }
        | WorkerMessage::DeployFinished { deployment, .. }
        | WorkerMessage::PortsLeased { deployment, .. } => Subject::Deployment(*deployment),
        WorkerMessage::ContainerChanged { project, .. }
        | WorkerMessage::ContainerRemoved { project, .. }
        | WorkerMessage::ContainerLogs { project, .. } => Subject::Project(project.clone()),
        WorkerMessage::Synced { request, .. }
        | WorkerMessage::TornDown { request, .. }
        | WorkerMessage::EdgeDone { request, .. } => Subject::Request(*request),
        // Each entry is checked against the worker's projects where it is stored.
        WorkerMessage::ContainersSnapshot { .. }
        | WorkerMessage::ContainerStats { .. }
        | WorkerMessage::Hello { .. }
        | WorkerMessage::Heartbeat => Subject::Link,
    }
}

/// Logs a refused message. The worker is named in the line itself (not only in the
/// link's span), so a log filtered down to warnings still says who sent it.
pub(super) fn refused(worker: &str, kind: &str, subject: &Subject, reason: &dyn Display) {
    match subject {
        Subject::Deployment(id) => tracing::warn!(worker, kind, deployment = %id, %reason, "refused a worker message"),
        Subject::Project(project) => tracing::warn!(worker, kind, %project, %reason, "refused a worker message"),
        Subject::Request(request) => tracing::warn!(worker, kind, request, %reason, "refused a worker message"),
        Subject::Link => tracing::warn!(worker, kind, %reason, "refused a worker message"),
    }
}

/// The state a reported phase moves a deployment to.
pub(super) fn phase_state(phase: DeployPhase) -> DeploymentState {
    match phase {
        DeployPhase::Preparing => DeploymentState::Preparing,
        DeployPhase::Starting => DeploymentState::Starting,
        DeployPhase::Settling => DeploymentState::Settling,
    }
}

/// Where a state is in the lifecycle; a phase may repeat the current one (the
/// worker's `preparing` follows the server's) but never go back.
fn rank(state: DeploymentState) -> u8 {
    match state {
        DeploymentState::Queued => 0,
        DeploymentState::Preparing => 1,
        DeploymentState::Starting => 2,
        DeploymentState::Settling => 3,
        DeploymentState::Succeeded
        | DeploymentState::Failed
        | DeploymentState::TimedOut
        | DeploymentState::Cancelled => 4,
    }
}

impl Deployer {
    /// The message to act on (a result without its refused leases), or None when it
    /// is refused; a refusal is logged here.
    pub(super) async fn admit(&self, worker: &str, message: WorkerMessage) -> Option<WorkerMessage> {
        let (kind, subject) = (message.kind(), subject(&message));
        match self.rule(worker, message).await {
            Ok(message) => Some(message),
            Err(error @ (Refusal::Database(_) | Refusal::Topology(_))) => {
                tracing::error!(worker, kind, ?subject, %error, "cannot check a worker message; it is ignored");
                None
            }
            Err(refusal) => {
                refused(worker, kind, &subject, &refusal);
                None
            }
        }
    }

    /// The admission rules, one arm per message kind.
    async fn rule(&self, worker: &str, mut message: WorkerMessage) -> Result<WorkerMessage, Refusal> {
        match &mut message {
            WorkerMessage::DeployPhase { deployment, phase } => {
                let current = self.running_on(worker, *deployment).await?.state;
                if rank(phase_state(*phase)) < rank(current) {
                    return Err(Refusal::Backwards { current });
                }
            }
            WorkerMessage::DeployLog { deployment, .. } => {
                self.running_on(worker, *deployment).await?;
            }
            WorkerMessage::DeployFinished { deployment, report } => {
                let assignment = self.running_on(worker, *deployment).await?;
                self.keep_own_leases(worker, *deployment, &assignment, &mut report.ports).await?;
                // Recorded off the message loop: claim it now, so a second result
                // cannot pass this check before the first is recorded.
                if !self.claim_result(*deployment) {
                    return Err(Refusal::ResultPending);
                }
            }
            WorkerMessage::PortsLeased { deployment, ports } => {
                let assignment = self.running_on(worker, *deployment).await?;
                self.keep_own_leases(worker, *deployment, &assignment, ports).await?;
            }
            WorkerMessage::ContainerChanged { project, .. }
            | WorkerMessage::ContainerRemoved { project, .. }
            | WorkerMessage::ContainerLogs { project, .. } => {
                match db::projects::worker_of(&self.db, project.as_str()).await? {
                    None => return Err(Refusal::UnknownProject),
                    Some(owner) if owner != worker => return Err(Refusal::ProjectElsewhere(owner)),
                    Some(_) => {}
                }
            }
            WorkerMessage::Synced { request, .. }
            | WorkerMessage::TornDown { request, .. }
            | WorkerMessage::EdgeDone { request, .. } => match self.workers.addressee(*request) {
                None => return Err(Refusal::NoRequest),
                Some(addressee) if addressee != worker => return Err(Refusal::NotAddressee(addressee)),
                Some(_) => {}
            },
            WorkerMessage::ContainerStats { samples } => self.keep_own_samples(worker, samples).await?,
            WorkerMessage::ContainersSnapshot { .. } | WorkerMessage::Hello { .. } | WorkerMessage::Heartbeat => {}
        }
        Ok(message)
    }

    /// Marks `id`'s result as being recorded; `false` if it already is.
    fn claim_result(&self, id: DeploymentId) -> bool {
        self.finishing.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id)
    }

    /// The result is recorded (or refused): the claim goes.
    pub(super) fn release_result(&self, id: DeploymentId) {
        self.finishing.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&id);
    }

    /// The deployment, when `worker` runs it now.
    async fn running_on(&self, worker: &str, id: DeploymentId) -> Result<Assignment, Refusal> {
        let assignment = store::assignment(&self.db, id).await?.ok_or(Refusal::UnknownDeployment)?;
        if assignment.worker_id != worker {
            return Err(Refusal::NotAssigned(assignment.worker_id));
        }
        if assignment.state.is_terminal() {
            return Err(Refusal::Ended(assignment.state));
        }
        if assignment.state == DeploymentState::Queued {
            return Err(Refusal::NotDispatched);
        }
        Ok(assignment)
    }

    /// Drops (and logs) the samples of projects not assigned to `worker`.
    async fn keep_own_samples(&self, worker: &str, samples: &mut Vec<ContainerSample>) -> Result<(), Refusal> {
        let projects: BTreeSet<ProjectId> = samples.iter().map(|s| s.project.clone()).collect();
        let mut owners: HashMap<ProjectId, Option<String>> = HashMap::new();
        for project in projects {
            let owner = db::projects::worker_of(&self.db, project.as_str()).await?;
            owners.insert(project, owner);
        }
        samples.retain(|sample| match owners.get(&sample.project).and_then(Option::as_deref) {
            Some(owner) if owner == worker => true,
            owner => {
                let reason = owner.map_or(Refusal::UnknownProject, |o| Refusal::ProjectElsewhere(o.to_owned()));
                refused(worker, "container_stats", &Subject::Project(sample.project.clone()), &reason);
                false
            }
        });
        Ok(())
    }

    /// Drops (and logs) the leases of a result that are not for an API Service of the
    /// deployment's own project.
    async fn keep_own_leases(
        &self,
        worker: &str,
        id: DeploymentId,
        assignment: &Assignment,
        ports: &mut Vec<(String, u16)>,
    ) -> Result<(), Refusal> {
        if ports.is_empty() {
            return Ok(());
        }
        let topology = db::domains::topology(&self.db, &assignment.project_id).await?;
        let own: BTreeSet<i64> = topology
            .resources
            .iter()
            .filter(|r| r.config.kind.resource_type() == ResourceType::Api)
            .map(|r| r.id)
            .collect();
        ports.retain(|(key, port)| {
            let mine = parse_resource_key(key).is_some_and(|resource| own.contains(&resource));
            if !mine {
                tracing::warn!(
                    worker,
                    deployment = %id,
                    resource = key.as_str(),
                    port,
                    project = assignment.project_id.as_str(),
                    "refused a port lease: not an API Service of the deployment's project"
                );
            }
            mine
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_only_move_forward_and_may_repeat() {
        let order = [DeployPhase::Preparing, DeployPhase::Starting, DeployPhase::Settling];
        for pair in order.windows(2) {
            assert!(rank(phase_state(pair[0])) < rank(phase_state(pair[1])));
        }
        assert!(rank(DeploymentState::Queued) < rank(phase_state(DeployPhase::Preparing)));
        for ended in DeploymentState::TERMINAL {
            assert!(rank(DeploymentState::Settling) < rank(ended));
        }
    }

    #[test]
    fn every_kind_is_named_as_on_the_wire() {
        let message = WorkerMessage::TornDown { request: 7, result: Ok(()) };
        let json = serde_json::to_value(&message).unwrap_or_default();
        assert_eq!(json["type"], message.kind());
        assert_eq!(subject(&message), Subject::Request(7));
        let message = WorkerMessage::Heartbeat;
        assert_eq!(serde_json::to_value(&message).unwrap_or_default()["type"], message.kind());
    }
}
