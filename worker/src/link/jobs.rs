//! Running the server's requests: jobs run concurrently across projects, one at a time
//! per project, and survive a dropped link (their messages wait in the outbox).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use nsm_core::protocol::{DeployOutcome, DeployReport, DeploySpec, RepoSource, ServerMessage, WorkerMessage};
use nsm_core::ProjectId;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::host::{Host, Outbox};

pub(super) struct Jobs {
    host: Arc<Host>,
    out: Outbox,
    state: Arc<Mutex<State>>,
    tracker: TaskTracker,
    closing: AtomicBool,
}

#[derive(Default)]
struct State {
    /// Held by the job running for a project; later jobs of the project wait for it.
    projects: HashMap<ProjectId, Arc<tokio::sync::Mutex<()>>>,
    /// Running or waiting deployments.
    deployments: HashMap<i64, CancellationToken>,
}

impl State {
    fn project_lock(&mut self, project: &ProjectId) -> Arc<tokio::sync::Mutex<()>> {
        self.projects.entry(project.clone()).or_default().clone()
    }
}

impl Jobs {
    pub fn new(host: Arc<Host>, out: Outbox) -> Self {
        Self { host, out, state: Arc::default(), tracker: TaskTracker::new(), closing: AtomicBool::new(false) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is one call.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Handles a job request; session messages (welcome, heartbeat…) are ignored here.
    pub fn handle(&self, message: ServerMessage) {
        match message {
            ServerMessage::Deploy { spec } => self.deploy(*spec),
            ServerMessage::Cancel { deployment } => self.cancel(deployment),
            ServerMessage::Sync { request, source } => self.sync(request, source),
            ServerMessage::Teardown { request, project } => self.teardown(request, project),
            ServerMessage::Welcome { .. } | ServerMessage::Refused { .. } | ServerMessage::Heartbeat => {}
        }
    }

    fn deploy(&self, spec: DeploySpec) {
        let deployment = spec.deployment;
        if self.closing.load(Ordering::SeqCst) {
            let outcome = DeployOutcome::Cancelled { reason: "the worker is shutting down".to_owned() };
            let report = Box::new(DeployReport::early(outcome));
            let _ = self.out.send(WorkerMessage::DeployFinished { deployment, report });
            return;
        }
        let cancel = CancellationToken::new();
        let lock = {
            let mut state = self.state();
            if state.deployments.contains_key(&deployment) {
                tracing::warn!(deployment, "ignoring a repeated request for a deployment already running");
                return;
            }
            state.deployments.insert(deployment, cancel.clone());
            state.project_lock(&spec.project)
        };
        tracing::info!(deployment, project = %spec.project, "deployment requested");
        let (host, out, state) = (self.host.clone(), self.out.clone(), self.state.clone());
        self.tracker.spawn(async move {
            let _turn = lock.lock().await;
            let report = host.deploy(spec, cancel, &out).await;
            tracing::info!(deployment, outcome = ?report.outcome, "deployment finished");
            state.lock().unwrap_or_else(PoisonError::into_inner).deployments.remove(&deployment);
        });
    }

    fn cancel(&self, deployment: i64) {
        match self.state().deployments.get(&deployment) {
            Some(token) => {
                tracing::info!(deployment, "cancelling");
                token.cancel();
            }
            None => tracing::debug!(deployment, "cancel for a deployment that is not running here"),
        }
    }

    fn sync(&self, request: u64, source: RepoSource) {
        let (host, out) = (self.host.clone(), self.out.clone());
        self.tracker.spawn(async move {
            let result = host.sync(&source).await;
            if let Err(error) = &result {
                tracing::warn!(request, %error, "sync failed");
            }
            let _ = out.send(WorkerMessage::Synced { request, result });
        });
    }

    fn teardown(&self, request: u64, project: ProjectId) {
        let lock = self.state().project_lock(&project);
        let (host, out) = (self.host.clone(), self.out.clone());
        self.tracker.spawn(async move {
            let _turn = lock.lock().await;
            tracing::info!(%project, "tearing down");
            let result = host.teardown(&project).await;
            let _ = out.send(WorkerMessage::TornDown { request, result });
        });
    }

    /// Stops taking deployments and cancels the running ones.
    pub fn shut_down(&self) {
        self.closing.store(true, Ordering::SeqCst);
        for token in self.state().deployments.values() {
            token.cancel();
        }
        self.tracker.close();
    }

    /// Resolves once every job has ended (after [`Self::shut_down`]).
    pub async fn idle(&self) {
        self.tracker.wait().await;
    }
}
