//! What workers report about deployments: phases, log lines, results, service
//! states, answers, and losing a worker mid-deploy. Only what `admission` admits is
//! acted on.

mod admission;

use std::sync::Arc;

use nsm_core::events::LiveEvent;
use nsm_core::protocol::{DeployOutcome, DeployReport, EdgePlan, JobFailure, LogStream, ServerMessage, WorkerMessage};
use nsm_core::{DeploymentId, DeploymentState, ProjectId};

use super::dispatch::owners;
use super::{spec, Deployer};
use crate::db;
use crate::db::deployments::{self as store, Ending};

/// A service's state as the browsers get it.
fn service_event(project: ProjectId, row: db::services::ServiceRow) -> LiveEvent {
    LiveEvent::Service {
        project,
        expected: Some(row.expected),
        actual: row.actual,
        since: row.actual_at.unwrap_or_default(),
        service: row.name,
    }
}

impl Deployer {
    /// Tells the browsers the state of `service` as now recorded.
    pub async fn announce_service(&self, project: &ProjectId, service: &str) {
        match db::services::get_service(&self.db, project.as_str(), service).await {
            Ok(Some(row)) => self.events.publish(service_event(project.clone(), row)),
            // A container of a service the project no longer lists: nothing shows it.
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, %project, service, "cannot read a service state to announce it"),
        }
    }

    #[tracing::instrument(skip_all, fields(worker = %worker))]
    pub async fn on_worker_message(self: &Arc<Self>, worker: &str, message: WorkerMessage) {
        let Some(message) = self.admit(worker, message).await else { return };
        match message {
            WorkerMessage::DeployPhase { deployment, phase } => {
                let state = admission::phase_state(phase);
                match store::advance(&self.db, deployment, state).await {
                    Ok(true) => self.live.state(deployment, state),
                    Ok(false) => {}
                    Err(error) => tracing::error!(%error, %deployment, "cannot record a deployment's phase"),
                }
            }
            WorkerMessage::PortsLeased { deployment, ports } => {
                // Rendering reads the store: not on this worker's message loop.
                let (this, worker) = (self.clone(), worker.to_owned());
                tokio::spawn(async move { this.leased(&worker, deployment, ports).await });
            }
            WorkerMessage::DeployLog { deployment, line } => {
                if self.live.is_open(deployment) {
                    self.append(deployment, line).await;
                }
            }
            WorkerMessage::DeployFinished { deployment, report } => {
                // Publishing waits on nginx and ACME: not on this worker's message loop.
                let (this, worker) = (self.clone(), worker.to_owned());
                tokio::spawn(async move {
                    this.finished(&worker, deployment, *report).await;
                    this.release_result(deployment);
                });
            }
            WorkerMessage::ServiceChanged { project, service, state } => {
                if let Err(error) = db::services::set_actual(&self.db, project.as_str(), &service, state).await {
                    tracing::warn!(%error, %project, service, "cannot record a service state");
                }
                self.announce_service(&project, &service).await;
            }
            WorkerMessage::Synced { request, .. }
            | WorkerMessage::TornDown { request, .. }
            | WorkerMessage::EdgeDone { request, .. } => {
                // Admitted a moment ago; the request may have timed out since.
                let kind = message.kind();
                if let Err(refusal) = self.workers.answer(worker, request, message) {
                    admission::refused(worker, kind, &admission::Subject::Request(request), &refusal);
                }
            }
            WorkerMessage::Hello { .. } | WorkerMessage::Heartbeat => {}
        }
    }

    /// The node leased the deployment's ports: record them, and answer with the
    /// project's nginx file rendered for them.
    #[tracing::instrument(skip_all, fields(worker = %worker, deployment = %id))]
    async fn leased(self: &Arc<Self>, worker: &str, id: DeploymentId, ports: Vec<(String, u16)>) {
        let plan = self.plan_for(id, &ports).await;
        if let Err(reason) = &plan {
            self.log(id, LogStream::System, format!("edge: {reason}")).await;
        }
        let message = ServerMessage::EdgeFile { deployment: id, plan };
        if let Err(error) = self.workers.send(worker, message) {
            tracing::warn!(%error, "cannot send the nginx file");
        }
    }

    async fn plan_for(&self, id: DeploymentId, ports: &[(String, u16)]) -> Result<EdgePlan, JobFailure> {
        let row = match store::get(&self.db, id).await {
            Ok(Some(row)) => row,
            Ok(None) => return Err(JobFailure("no such deployment".to_owned())),
            Err(error) => {
                tracing::error!(%error, "cannot load a deployment to render its nginx file");
                return Err(JobFailure("the control plane cannot read the deployment".to_owned()));
            }
        };
        if let Err(error) = spec::record_ports(&self.db, &row.worker_id, ports).await {
            tracing::error!(%error, "cannot record port leases");
            return Err(JobFailure("the control plane cannot record the port leases".to_owned()));
        }
        let (project, worker) = owners(&row).map_err(|e| JobFailure::of(&e))?;
        self.edge.plan_deployment(&project, &worker).await.map_err(|failure| JobFailure(failure.reason))
    }

    #[tracing::instrument(skip_all, fields(worker = %worker, deployment = %id))]
    async fn finished(self: &Arc<Self>, worker: &str, id: DeploymentId, report: DeployReport) {
        let row = match store::get(&self.db, id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                tracing::warn!("result for an unknown deployment");
                return;
            }
            Err(error) => {
                tracing::error!(%error, "cannot load a deployment to record its result");
                return;
            }
        };
        // Admitted while it ran; it may have ended since (watchdog, cancel, a lost link).
        if row.state.is_terminal() {
            let subject = admission::Subject::Deployment(id);
            admission::refused(worker, "deploy_finished", &subject, &"the deployment ended meanwhile");
            return;
        }
        if let Err(error) = spec::record_ports(&self.db, &row.worker_id, &report.ports).await {
            tracing::error!(%error, "cannot record port leases");
        }
        let services = match serde_json::to_string(&report.services) {
            Ok(json) => Some(json),
            Err(error) => {
                tracing::error!(%error, "cannot encode the services' results");
                None
            }
        };
        let (state, reason) = match &report.outcome {
            DeployOutcome::Succeeded => (DeploymentState::Succeeded, None),
            DeployOutcome::Failed { reason } => (DeploymentState::Failed, Some(reason.clone())),
            DeployOutcome::TimedOut { reason } => (DeploymentState::TimedOut, Some(reason.clone())),
            DeployOutcome::Cancelled { reason } => (DeploymentState::Cancelled, Some(reason.clone())),
            DeployOutcome::Rejected { changes } => {
                let list: Vec<String> = changes.iter().map(ToString::to_string).collect();
                (
                    DeploymentState::Failed,
                    Some(format!("major changes need review (sync with the repository first): {}", list.join("; "))),
                )
            }
        };
        for service in &report.services {
            if let Err(error) =
                db::services::set_actual(&self.db, &row.project_id, &service.service, service.actual).await
            {
                tracing::warn!(%error, service = service.service, "cannot record a service state");
            }
        }
        // The node published (design §4.6) and said so: record it, then certificates.
        if let Some(edge) = &report.edge {
            match owners(&row) {
                Ok((project, worker)) => {
                    self.edge.deployment_published(self.as_ref(), id, &project, &worker, edge).await
                }
                Err(error) => tracing::error!(%error, "cannot record what the node publishes"),
            }
        }
        let ending = Ending {
            reason: reason.as_deref(),
            commit: report.commit.as_deref(),
            env_masked: report.env_masked.as_deref(),
            compose_override: report.compose_override.as_deref(),
            services: services.as_deref(),
        };
        self.end(id, &row.project_id, state, ending).await;
    }

    /// The worker's link dropped: its deployments in flight have failed.
    #[tracing::instrument(skip_all, fields(worker = %worker))]
    pub async fn on_worker_lost(self: &Arc<Self>, worker: &str, reason: &str) {
        match db::services::forget_actual_on(&self.db, worker).await {
            Ok(rows) => {
                for (project, row) in rows {
                    if let Ok(project) = ProjectId::parse(&project) {
                        self.events.publish(service_event(project, row));
                    }
                }
            }
            Err(error) => tracing::error!(%error, "cannot mark a lost worker's services unknown"),
        }
        let ids = match store::unfinished_on_worker(&self.db, worker).await {
            Ok(ids) => ids,
            Err(error) => {
                tracing::error!(%error, "cannot find the deployments of a lost worker");
                return;
            }
        };
        for id in ids {
            match store::get(&self.db, id).await {
                Ok(Some(row)) => {
                    let reason = format!("worker {worker} disconnected mid-deploy ({reason})");
                    let ending = Ending { reason: Some(&reason), ..Ending::default() };
                    self.end(id, &row.project_id, DeploymentState::Failed, ending).await;
                }
                Ok(None) => {}
                Err(error) => tracing::error!(%error, deployment = %id, "cannot load a deployment of a lost worker"),
            }
        }
    }
}
