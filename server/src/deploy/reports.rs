//! What workers report about deployments: phases, log lines, results, service
//! states, answers, and losing a worker mid-deploy. Only what `admission` admits is
//! acted on.

mod admission;

use std::sync::Arc;

use nsm_core::protocol::{DeployOutcome, DeployReport, EdgePlan, JobFailure, LogStream, ServerMessage, WorkerMessage};
use nsm_core::{DeploymentId, DeploymentState, ProjectId};

use super::dispatch::owners;
use super::{spec, Deployer};
use crate::db::deployments::{self as store, Ending};

impl Deployer {
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
                    self.append(deployment, line, super::Source::Worker).await;
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
            WorkerMessage::ContainerChanged { project, service, observation } => {
                self.fleet.container_changed(&project, &service, &observation).await;
            }
            WorkerMessage::ContainerRemoved { project, service, container } => {
                self.fleet.container_removed(&project, &service, &container).await;
            }
            WorkerMessage::ContainersSnapshot { containers } => self.fleet.snapshot(worker, &containers).await,
            WorkerMessage::ContainerStats { samples } => self.stats.record(&samples),
            WorkerMessage::ContainerLogs { project, service, container, lines } => {
                self.logs.ingest(&project, &service, &container, &lines).await;
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
        let plan = self.edge.plan_deployment(&project, &worker).await.map_err(|failure| JobFailure(failure.reason))?;
        // What this deployment serves, for the next plan to compare with.
        let nginx = match &plan {
            EdgePlan::Publish(file) => Some(file.text.as_str()),
            EdgePlan::Off | EdgePlan::Unpublish => None,
        };
        if let Err(error) = crate::db::deployment_config::record_nginx(&self.db, id, nginx).await {
            tracing::error!(%error, "cannot record the deployment's nginx file");
        }
        Ok(plan)
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
        match ProjectId::parse(&row.project_id) {
            Ok(project) => self.fleet.deployed(&project, id, &report).await,
            Err(error) => tracing::error!(%error, "a stored project id does not parse"),
        }
        // Which containers it started, kept and removed: kept as the server's own lines,
        // which the log's cap never drops.
        for account in &report.containers {
            let service = account.service.as_deref().unwrap_or("no service");
            let text = format!("containers: {} {} ({service})", account.action, account.container);
            self.log(id, LogStream::System, text).await;
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
        // A deployment may have replaced containers or brought new services: resend.
        self.logs.push_project(&row.project_id).await;
    }

    /// The worker's link dropped: its deployments in flight have failed.
    #[tracing::instrument(skip_all, fields(worker = %worker))]
    pub async fn on_worker_lost(self: &Arc<Self>, worker: &str, reason: &str) {
        self.fleet.worker_lost(worker).await;
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
