//! The orchestrator: per-project queues, the deployment state machine as the server
//! records it, dispatch to workers, and live log fan-out.

mod live;
pub mod queue;
pub mod spec;
pub mod sync;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nsm_core::protocol::{DeployOutcome, DeployPhase, DeployReport, LogLine, LogStream, ServerMessage, WorkerMessage};
use nsm_core::ProjectId;
use tokio::sync::Mutex as AsyncMutex;

pub use live::{Followed, LiveEvent};
use queue::{Admission, Queues};

use crate::db::deployments::{self as store, DeploymentState, Ending};
use crate::db::{self, Db};
use crate::hub::Hub;
use crate::secrets::SecretBox;

/// Extra time the server grants a worker beyond the project's timeout before it
/// gives up on hearing back.
const WATCHDOG_MARGIN: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("project {0} was not found")]
    NoProject(String),
    #[error("deployment {0} was not found")]
    NoDeployment(i64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Worker(#[from] crate::hub::HubError),
    #[error("{0}")]
    Sync(String),
}

/// Who or what asked for a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Manual,
    Webhook,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Webhook => "webhook",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    pub deployment: i64,
    /// The request joined a deployment that was already queued.
    pub coalesced: bool,
}

pub struct Deployer {
    db: Db,
    hub: Arc<Hub>,
    secrets: Arc<SecretBox>,
    /// Checks the nginx configuration before dispatch, publishes it on success.
    edge: Arc<crate::edge::Edge>,
    queues: AsyncMutex<Queues>,
    live: live::LiveLogs,
    /// Next log sequence number per deployment in flight.
    seqs: Mutex<HashMap<i64, i64>>,
}

impl Deployer {
    pub fn new(db: Db, hub: Arc<Hub>, secrets: Arc<SecretBox>, edge: Arc<crate::edge::Edge>) -> Arc<Self> {
        Arc::new(Self {
            db,
            hub,
            secrets,
            edge,
            queues: AsyncMutex::new(Queues::default()),
            live: live::LiveLogs::default(),
            seqs: Mutex::new(HashMap::new()),
        })
    }

    /// At start-up: whatever was in flight when the server stopped has ended.
    pub async fn recover(&self) -> Result<(), DeployError> {
        let interrupted = store::interrupt_unfinished(&self.db).await?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "deployments interrupted by the restart were marked failed");
        }
        Ok(())
    }

    pub fn subscribe(&self, deployment: i64) -> Option<tokio::sync::broadcast::Receiver<LiveEvent>> {
        self.live.subscribe(deployment)
    }

    /// Queues a deployment of `project` (or joins the one already queued).
    pub async fn request(
        self: &Arc<Self>,
        project: &ProjectId,
        trigger: Trigger,
        by: Option<&str>,
    ) -> Result<Requested, DeployError> {
        let mut queues = self.queues.lock().await;
        let admission = queues.admit(project.as_str());
        // Joining a queued deployment needs nothing from the store (the CI hot path).
        if let Admission::Coalesced(existing) = admission {
            return Ok(Requested { deployment: existing, coalesced: true });
        }
        let row = db::projects::get(&self.db, project)
            .await
            .map_err(|e| DeployError::Sync(e.to_string()))?
            .ok_or_else(|| DeployError::NoProject(project.to_string()))?;
        let id = store::insert(&self.db, project.as_str(), row.config.worker.as_str(), trigger.as_str(), by).await?;
        queues.record(project.as_str(), id, admission);
        drop(queues);
        self.live.open(id);
        let who = by.map(|b| format!(" by {b}")).unwrap_or_default();
        self.log(id, LogStream::System, format!("deployment #{id} queued ({}{who})", trigger.as_str())).await;
        if admission == Admission::StartNow {
            self.spawn_start(id);
        } else {
            self.log(id, LogStream::System, "waiting for the running deployment of this project to end".into()).await;
        }
        Ok(Requested { deployment: id, coalesced: false })
    }

    /// Cancels a queued or running deployment.
    pub async fn cancel(self: &Arc<Self>, id: i64, by: &str) -> Result<(), DeployError> {
        let row = store::get(&self.db, id).await?.ok_or(DeployError::NoDeployment(id))?;
        match DeploymentState::parse(&row.state) {
            Some(DeploymentState::Queued) => {
                self.end(
                    id,
                    &row.project_id,
                    DeploymentState::Cancelled,
                    Ending { reason: Some(&format!("cancelled by {by} before it started")), ..Ending::default() },
                )
                .await;
            }
            Some(state) if !state.is_terminal() => {
                self.log(id, LogStream::System, format!("cancel requested by {by}")).await;
                if self.hub.send(&row.worker_id, ServerMessage::Cancel { deployment: id }).is_err() {
                    self.end(
                        id,
                        &row.project_id,
                        DeploymentState::Cancelled,
                        Ending { reason: Some("cancelled; the worker was offline"), ..Ending::default() },
                    )
                    .await;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn spawn_start(self: &Arc<Self>, id: i64) {
        let this = self.clone();
        tokio::spawn(async move { this.start(id).await });
    }

    async fn start(self: &Arc<Self>, id: i64) {
        let row = match store::get(&self.db, id).await {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(error) => {
                tracing::error!(%error, id, "cannot load a deployment to start");
                return;
            }
        };
        if DeploymentState::parse(&row.state).is_some_and(DeploymentState::is_terminal) {
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
        if !self.hub.is_online(&row.worker_id) {
            return fail(format!("worker {} is offline", row.worker_id)).await;
        }
        let spec = match spec::build(self, id, &row.project_id, &row.worker_id).await {
            Ok(spec) => spec,
            Err(reason) => return fail(reason).await,
        };
        // The nginx configuration is checked before the worker touches anything.
        if let Err(reason) = self.edge.prepare_deployment(self, id, &row.project_id, &row.worker_id).await {
            return fail(reason).await;
        }
        let timeout = Duration::from_secs(u64::from(spec.timeout_secs));
        if let Err(error) = store::advance(&self.db, id, DeploymentState::Preparing).await {
            tracing::error!(%error, id, "cannot record a deployment's start");
        }
        self.live.state(id, DeploymentState::Preparing);
        self.log(id, LogStream::System, format!("dispatched to worker {}", row.worker_id)).await;
        if let Err(error) = self.hub.send(&row.worker_id, ServerMessage::Deploy { spec: Box::new(spec) }) {
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

    /// Records a terminal state once, then starts whatever waited behind it.
    async fn end(self: &Arc<Self>, id: i64, project: &str, state: DeploymentState, ending: Ending<'_>) {
        let reason = ending.reason.map(str::to_owned);
        match store::finish(&self.db, id, state, ending).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::error!(%error, id, "cannot record a deployment's end");
                return;
            }
        }
        let summary = match &reason {
            Some(reason) => format!("deployment #{id} {}: {reason}", state.as_str()),
            None => format!("deployment #{id} {}", state.as_str()),
        };
        tracing::info!(id, project, state = state.as_str(), reason, "deployment ended");
        self.log(id, LogStream::System, summary).await;
        self.live.state(id, state);
        self.live.close(id);
        self.seqs.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        let next = self.queues.lock().await.finished(project, id);
        if let Some(next) = next {
            self.spawn_start(next);
        }
    }

    /// Appends a line to a deployment's log and to its live viewers.
    pub(crate) async fn log(&self, id: i64, stream: LogStream, text: String) {
        let line = LogLine { at: db::now(), stream, text };
        self.append(id, line).await;
    }

    async fn append(&self, id: i64, line: LogLine) {
        let cached = self.seqs.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&id);
        let stored_next = if cached { 0 } else { store::next_log_seq(&self.db, id).await.unwrap_or(0) };
        // Taken and bumped under one lock, so concurrent writers never share a number.
        let seq = {
            let mut seqs = self.seqs.lock().unwrap_or_else(|p| p.into_inner());
            let next = seqs.entry(id).or_insert(stored_next);
            let seq = *next;
            *next += 1;
            seq
        };
        if let Err(error) = store::append_log(&self.db, id, seq, &line).await {
            tracing::error!(%error, id, "cannot store a log line");
        }
        self.live.line(id, seq, line);
    }

    pub async fn on_worker_message(self: &Arc<Self>, worker: &str, message: WorkerMessage) {
        match message {
            WorkerMessage::DeployPhase { deployment, phase } => {
                let state = match phase {
                    DeployPhase::Preparing => DeploymentState::Preparing,
                    DeployPhase::Starting => DeploymentState::Starting,
                    DeployPhase::Settling => DeploymentState::Settling,
                };
                if let Ok(true) = store::advance(&self.db, deployment, state).await {
                    self.live.state(deployment, state);
                }
            }
            WorkerMessage::DeployLog { deployment, line } => {
                if self.live.is_open(deployment) {
                    self.append(deployment, line).await;
                }
            }
            WorkerMessage::DeployFinished { deployment, report } => {
                // Publishing waits on nginx and ACME: not on this worker's message loop.
                let (this, worker) = (self.clone(), worker.to_owned());
                tokio::spawn(async move { this.finished(&worker, deployment, *report).await });
            }
            WorkerMessage::ServiceChanged { project, service, state } => {
                if let Err(error) = db::services::set_actual(&self.db, project.as_str(), &service, state).await {
                    tracing::warn!(%error, "cannot record a service state");
                }
            }
            WorkerMessage::Synced { request, .. } | WorkerMessage::TornDown { request, .. } => {
                if let Some(unclaimed) = self.hub.answer(request, message) {
                    tracing::debug!(?unclaimed, "answer for a request nobody waits for");
                }
            }
            WorkerMessage::Hello { .. } | WorkerMessage::Heartbeat => {}
        }
    }

    async fn finished(self: &Arc<Self>, worker: &str, id: i64, report: DeployReport) {
        let Ok(Some(row)) = store::get(&self.db, id).await else {
            tracing::warn!(worker, id, "result for an unknown deployment");
            return;
        };
        if let Err(error) = spec::record_ports(&self.db, &row.worker_id, &report.ports).await {
            tracing::error!(%error, id, "cannot record port leases");
        }
        let services = serde_json::to_string(&report.services).ok();
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
            let _ = db::services::set_actual(&self.db, &row.project_id, &service.service, service.actual).await;
        }
        // Publish (design §4.6): a configuration nginx refuses fails the deployment,
        // and the previous one keeps serving.
        let (state, reason) = match state {
            DeploymentState::Succeeded => {
                match self.edge.publish_deployment(self, id, &row.project_id, &row.worker_id).await {
                    Ok(()) => (state, reason),
                    Err(why) => (DeploymentState::Failed, Some(why)),
                }
            }
            _ => (state, reason),
        };
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
    pub async fn on_worker_lost(self: &Arc<Self>, worker: &str, reason: &str) {
        let ids = match store::unfinished_on_worker(&self.db, worker).await {
            Ok(ids) => ids,
            Err(error) => {
                tracing::error!(%error, worker, "cannot find the deployments of a lost worker");
                return;
            }
        };
        for id in ids {
            if let Ok(Some(row)) = store::get(&self.db, id).await {
                let reason = format!("worker {worker} disconnected mid-deploy ({reason})");
                self.end(
                    id,
                    &row.project_id,
                    DeploymentState::Failed,
                    Ending { reason: Some(&reason), ..Ending::default() },
                )
                .await;
            }
        }
    }

    /// Waits until a deployment ends, up to `bound`; None if it is still running then.
    pub async fn wait_for_end(&self, id: i64, bound: Duration) -> Result<Option<store::DeploymentRow>, DeployError> {
        let ended =
            |row: &store::DeploymentRow| DeploymentState::parse(&row.state).is_some_and(DeploymentState::is_terminal);
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            // Subscribe before reading, so an ending between the two is not missed.
            let mut live = self.live.subscribe(id);
            let row = store::get(&self.db, id).await?.ok_or(DeployError::NoDeployment(id))?;
            if ended(&row) {
                return Ok(Some(row));
            }
            let Some(rx) = live.as_mut() else {
                // Not live yet (or any more): look again shortly.
                if tokio::time::timeout_at(deadline, tokio::time::sleep(Duration::from_millis(200))).await.is_err() {
                    return Ok(None);
                }
                continue;
            };
            loop {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Err(_) => return Ok(None),
                    Ok(Ok(LiveEvent::State(state))) if state.is_terminal() => break,
                    Ok(Ok(_)) => {}
                    // Closed (ended) or lagged: re-read the stored state.
                    Ok(Err(_)) => break,
                }
            }
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }
}
