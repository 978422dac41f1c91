//! Running the server's requests: jobs run concurrently across projects, one at a time
//! per project, and survive a dropped link (their messages wait in the outbox). Job
//! results become wire messages here; their errors become the messages' reason text.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use nsm_core::protocol::{
    DeployOutcome, DeployReport, DeploySpec, EdgeCommand, EdgePlan, JobFailure, RepoSource, ServerMessage,
    WorkerMessage,
};
use nsm_core::{DeploymentId, ProjectId};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use crate::deploy::EdgePlans;
use crate::host::Host;
use crate::logs::LogFollowers;
use crate::outbox::{post, Outbox};

pub(super) struct Jobs {
    host: Arc<Host>,
    /// The worker's span: jobs outlive the session (and the message) that started them.
    span: tracing::Span,
    out: Outbox,
    state: Arc<Mutex<State>>,
    tracker: TaskTracker,
    closing: AtomicBool,
    logs: LogFollowers,
}

#[derive(Default)]
struct State {
    /// Held by the job running for a project; later jobs of the project wait for it.
    projects: HashMap<ProjectId, Arc<tokio::sync::Mutex<()>>>,
    /// Running or waiting deployments.
    deployments: HashMap<DeploymentId, CancellationToken>,
    /// Deployments waiting for the control plane's `EdgeFile`.
    edge_files: HashMap<DeploymentId, oneshot::Sender<Result<EdgePlan, JobFailure>>>,
}

impl State {
    fn project_lock(&mut self, project: &ProjectId) -> Arc<tokio::sync::Mutex<()>> {
        self.projects.entry(project.clone()).or_default().clone()
    }
}

/// The state stays consistent even if a holder panicked: every update is one call.
fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Jobs {
    pub fn new(host: Arc<Host>, out: Outbox) -> Self {
        let span = tracing::Span::current();
        let logs = LogFollowers::new(host.engine().clone(), out.clone());
        Self {
            host,
            span,
            out,
            state: Arc::default(),
            tracker: TaskTracker::new(),
            closing: AtomicBool::new(false),
            logs,
        }
    }

    /// The link sent a container log batch (see [`LogFollowers::batch_sent`]).
    pub fn log_batch_sent(&self) {
        self.logs.batch_sent();
    }

    /// Handles a job request; session messages (welcome, heartbeat…) are ignored here.
    #[tracing::instrument(name = "server_message", skip_all, fields(kind = message.kind()))]
    pub fn handle(&self, message: ServerMessage) {
        match message {
            ServerMessage::Deploy { spec } => self.deploy(*spec),
            ServerMessage::Cancel { deployment } => self.cancel(deployment),
            ServerMessage::Sync { request, source } => self.sync(request, source),
            ServerMessage::Teardown { request, project } => self.teardown(request, project),
            ServerMessage::EdgeFile { deployment, plan } => self.edge_file(deployment, plan),
            ServerMessage::Edge { request, command } => self.edge_command(request, command),
            ServerMessage::FollowLogs { project, services } => {
                let _entered = self.span.enter();
                self.logs.follow(&project, &services);
            }
            // The session hands `WatchStats` to the sampler.
            ServerMessage::Welcome { .. }
            | ServerMessage::Refused { .. }
            | ServerMessage::Heartbeat
            | ServerMessage::WatchStats { .. } => {}
        }
    }

    fn deploy(&self, spec: DeploySpec) {
        let deployment = spec.deployment;
        let request = tracing::info_span!("deploy_request", deployment = %deployment, project = %spec.project);
        let _entered = request.enter();
        if self.closing.load(Ordering::SeqCst) {
            tracing::info!("refusing a deployment: the worker is shutting down");
            let outcome = DeployOutcome::Cancelled { reason: "the worker is shutting down".to_owned() };
            let report = Box::new(DeployReport::early(outcome));
            post(&self.out, WorkerMessage::DeployFinished { deployment, report });
            return;
        }
        let cancel = CancellationToken::new();
        let project_lock = {
            let mut state = lock(&self.state);
            if state.deployments.contains_key(&deployment) {
                tracing::warn!("ignoring a repeated request for a deployment already running");
                return;
            }
            state.deployments.insert(deployment, cancel.clone());
            state.project_lock(&spec.project)
        };
        tracing::info!("deployment requested");
        let (host, out, state) = (self.host.clone(), self.out.clone(), self.state.clone());
        let plans = LinkPlans { out: out.clone(), state: state.clone() };
        // The job logs in its own `deployment` span (see `deploy::run`).
        let job = async move {
            let _turn = project_lock.lock().await;
            host.deploy(spec, cancel, &out, &plans).await;
            lock(&state).deployments.remove(&deployment);
        };
        self.tracker.spawn(job.instrument(self.span.clone()));
    }

    fn cancel(&self, deployment: DeploymentId) {
        match lock(&self.state).deployments.get(&deployment) {
            Some(token) => {
                tracing::info!(%deployment, "cancelling");
                token.cancel();
            }
            None => tracing::debug!(%deployment, "cancel for a deployment that is not running here"),
        }
    }

    fn edge_file(&self, deployment: DeploymentId, plan: Result<EdgePlan, JobFailure>) {
        match lock(&self.state).edge_files.remove(&deployment) {
            Some(waiting) => {
                if waiting.send(plan).is_err() {
                    tracing::debug!(%deployment, "the deployment stopped before its nginx file came");
                }
            }
            None => tracing::warn!(%deployment, "an nginx file for a deployment that does not wait for one"),
        }
    }

    fn edge_command(&self, request: u64, command: EdgeCommand) {
        let (host, out) = (self.host.clone(), self.out.clone());
        let job = async move {
            let result = host.edge().run_command(command).await;
            if let Err(error) = &result {
                tracing::warn!(%error, "edge request failed");
            }
            let result = result.map_err(|error| JobFailure::of(&error));
            post(&out, WorkerMessage::EdgeDone { request, result });
        };
        self.tracker.spawn(job.instrument(tracing::info_span!(parent: &self.span, "edge_request", request)));
    }

    fn sync(&self, request: u64, source: RepoSource) {
        let (host, out) = (self.host.clone(), self.out.clone());
        let job = async move {
            let result = host.sync(&source).await;
            if let Err(error) = &result {
                tracing::warn!(%error, "sync failed");
            }
            let result = result.map_err(|error| JobFailure::of(&error));
            post(&out, WorkerMessage::Synced { request, result });
        };
        self.tracker.spawn(job.instrument(tracing::info_span!(parent: &self.span, "sync_request", request)));
    }

    fn teardown(&self, request: u64, project: ProjectId) {
        let span = tracing::info_span!(parent: &self.span, "teardown_request", request);
        let project_lock = lock(&self.state).project_lock(&project);
        let (host, out) = (self.host.clone(), self.out.clone());
        let job = async move {
            let _turn = project_lock.lock().await;
            let result = host.teardown(&project).await.map_err(|error| JobFailure::of(&error));
            post(&out, WorkerMessage::TornDown { request, result });
        };
        self.tracker.spawn(job.instrument(span));
    }

    /// Stops taking deployments and cancels the running ones.
    pub fn shut_down(&self) {
        self.closing.store(true, Ordering::SeqCst);
        for token in lock(&self.state).deployments.values() {
            token.cancel();
        }
        self.tracker.close();
    }

    /// Resolves once every job has ended (after [`Self::shut_down`]).
    pub async fn idle(&self) {
        self.tracker.wait().await;
    }
}

/// How long the control plane may take to render a project's nginx file.
const EDGE_FILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A deployment's nginx file, asked of the control plane over the link.
struct LinkPlans {
    out: Outbox,
    state: Arc<Mutex<State>>,
}

#[async_trait::async_trait]
impl EdgePlans for LinkPlans {
    async fn edge_plan(&self, deployment: DeploymentId, ports: &[(String, u16)]) -> Result<EdgePlan, JobFailure> {
        let (tx, rx) = oneshot::channel();
        lock(&self.state).edge_files.insert(deployment, tx);
        post(&self.out, WorkerMessage::PortsLeased { deployment, ports: ports.to_vec() });
        let answer = tokio::time::timeout(EDGE_FILE_TIMEOUT, rx).await;
        lock(&self.state).edge_files.remove(&deployment);
        match answer {
            Ok(Ok(plan)) => plan,
            Ok(Err(_)) => Err(JobFailure("the worker stopped waiting for the nginx configuration".to_owned())),
            Err(_) => Err(JobFailure(format!(
                "the control plane sent no nginx configuration within {} s",
                EDGE_FILE_TIMEOUT.as_secs()
            ))),
        }
    }
}
