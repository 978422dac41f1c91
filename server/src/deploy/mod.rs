//! The orchestrator: per-project queues, the deployment state machine as the server
//! records it, dispatch to workers, and live log fan-out.
//!
//! ```text
//! request ─▶ queued ─▶ dispatch (spec) ─▶ worker: preparing (ports leased ─▶ nginx file rendered
//!          here ─▶ nginx -t there) → starting → settling → publishing (install, probe)
//!          ─▶ report ─▶ certificates ─▶ succeeded | failed | timed_out | cancelled
//! ```
//! `mod.rs` holds the queue side (request, cancel, the log); `dispatch.rs` starts a
//! deployment on its worker; `reports.rs` takes what workers report.

mod dispatch;
mod live;
mod plan;
pub mod queue;
mod redeploy;
mod reports;
pub mod snapshot;
pub mod spec;
pub mod sync;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nsm_core::protocol::{LogLine, LogStream, ServerMessage};
use nsm_core::{DeploymentId, DeploymentState, ProjectId, Trigger};
use tokio::sync::Mutex as AsyncMutex;

pub use live::{DeploymentEvent, Followed};
use queue::{Admission, Queues};
pub use redeploy::RedeployRefusal;

use crate::db::deployments::{self as store, Ending};
use crate::db::projects::ProjectStoreError;
use crate::db::{self, Db};
use crate::events::Events;
use crate::fleet::Fleet;
use crate::roles::{DeploymentLog, HubError, Publisher, WorkerLinks};
use crate::secrets::SecretBox;

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("project {0} was not found")]
    NoProject(String),
    #[error("deployment {0} was not found")]
    NoDeployment(DeploymentId),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Project(#[from] ProjectStoreError),
    #[error("{0}")]
    Worker(#[from] HubError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    /// The worker could not do what it was asked (its reason, in words).
    #[error("{0}")]
    Sync(String),
    #[error(transparent)]
    Redeploy(#[from] RedeployRefusal),
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    Topology(#[from] crate::db::domains::TopologyReadError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    pub deployment: DeploymentId,
    /// The request joined a deployment that was already queued.
    pub coalesced: bool,
}

/// Where what the nodes report besides deployments goes: service states, resource
/// samples, container log lines.
pub struct Observers {
    pub fleet: Arc<Fleet>,
    pub stats: Arc<crate::stats::Stats>,
    pub logs: Arc<crate::logs::ContainerLogs>,
}

/// Lines from its worker one deployment's log keeps (the one at this seq marks the cut).
pub const MAX_LOG_LINES: i64 = 20_000;

/// Who wrote a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Server,
    Worker,
}

pub struct Deployer {
    db: Db,
    workers: Arc<dyn WorkerLinks>,
    secrets: Arc<SecretBox>,
    /// Checks the nginx configuration before dispatch, publishes it on success.
    edge: Arc<dyn Publisher>,
    queues: AsyncMutex<Queues>,
    live: live::LiveLogs,
    /// Next log sequence number per deployment in flight.
    seqs: Mutex<HashMap<DeploymentId, i64>>,
    /// Deployments whose result is being recorded: a second result (a replay sent
    /// at once) is refused at admission, before either is recorded.
    finishing: Mutex<std::collections::HashSet<DeploymentId>>,
    /// Service states: what a deployment left is their baseline.
    fleet: Arc<Fleet>,
    /// Where admitted resource samples go.
    stats: Arc<crate::stats::Stats>,
    /// Where admitted container log lines go.
    logs: Arc<crate::logs::ContainerLogs>,
}

impl Deployer {
    pub fn new(
        db: Db,
        workers: Arc<dyn WorkerLinks>,
        secrets: Arc<SecretBox>,
        edge: Arc<dyn Publisher>,
        events: Arc<Events>,
        observers: Observers,
    ) -> Arc<Self> {
        let Observers { fleet, stats, logs } = observers;
        Arc::new(Self {
            db,
            workers,
            secrets,
            edge,
            queues: AsyncMutex::new(Queues::default()),
            live: live::LiveLogs::new(events),
            fleet,
            stats,
            logs,
            seqs: Mutex::new(HashMap::new()),
            finishing: Mutex::new(std::collections::HashSet::new()),
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

    pub fn subscribe(&self, deployment: DeploymentId) -> Option<tokio::sync::broadcast::Receiver<DeploymentEvent>> {
        self.live.subscribe(deployment)
    }

    /// Queues a deployment of `project` (or joins the one already queued).
    #[tracing::instrument(skip_all, fields(project = %project, trigger = %trigger))]
    pub async fn request(
        self: &Arc<Self>,
        project: &ProjectId,
        trigger: Trigger,
        by: Option<&str>,
    ) -> Result<Requested, DeployError> {
        self.enqueue(project, trigger, by, None).await
    }

    /// Queues a new deployment (a redeploy: never joining a queued one), or joins the
    /// one already queued.
    async fn enqueue(
        self: &Arc<Self>,
        project: &ProjectId,
        trigger: Trigger,
        by: Option<&str>,
        redeploy: Option<&redeploy::Source>,
    ) -> Result<Requested, DeployError> {
        let mut superseded = 0;
        let (mut queues, admission) = loop {
            let queues = self.queues.lock().await;
            let admission = queues.admit(project.as_str());
            match admission {
                Admission::Coalesced(existing) | Admission::Supersedes(existing) if redeploy.is_some() => {
                    return Err(RedeployRefusal::Queued(existing).into());
                }
                Admission::Supersedes(existing) if superseded < 3 => {
                    // Cancelled outside the lock: ending a deployment takes it too.
                    drop(queues);
                    superseded += 1;
                    let reason = "superseded: a deploy was asked for while this redeploy waited";
                    self.end(
                        existing,
                        project.as_str(),
                        DeploymentState::Cancelled,
                        Ending { reason: Some(reason), ..Ending::default() },
                    )
                    .await;
                }
                // Joining a queued deployment needs nothing from the store (the CI hot path).
                Admission::Coalesced(existing) | Admission::Supersedes(existing) => {
                    return Ok(Requested { deployment: existing, coalesced: true });
                }
                Admission::StartNow | Admission::Queued => break (queues, admission),
            }
        };
        let row = db::projects::get_project(&self.db, project)
            .await?
            .ok_or_else(|| DeployError::NoProject(project.to_string()))?;
        let id = store::insert(&self.db, project.as_str(), row.config.worker.as_str(), trigger, by).await?;
        let what = match redeploy {
            Some(source) => {
                if let Err(error) = source.record(&self.db, id).await {
                    let ending =
                        Ending { reason: Some("its configuration could not be recorded"), ..Ending::default() };
                    if let Err(error) = store::finish(&self.db, id, DeploymentState::Failed, ending).await {
                        tracing::error!(%error, deployment = %id, "cannot record a deployment's end");
                    }
                    return Err(error.into());
                }
                format!("redeploy of #{} at commit {}, ", source.deployment, source.short_commit())
            }
            None => String::new(),
        };
        queues.record(project.as_str(), id, admission, redeploy.is_some());
        drop(queues);
        self.live.open(id, project);
        let who = by.map(|b| format!(" by {b}")).unwrap_or_default();
        self.log(id, LogStream::System, format!("deployment #{id} queued ({what}{trigger}{who})")).await;
        if admission == Admission::StartNow {
            self.spawn_start(id);
        } else {
            self.log(id, LogStream::System, "waiting for the running deployment of this project to end".into()).await;
        }
        Ok(Requested { deployment: id, coalesced: false })
    }

    /// Cancels a queued or running deployment.
    #[tracing::instrument(skip_all, fields(deployment = %id))]
    pub async fn cancel(self: &Arc<Self>, id: DeploymentId, by: &str) -> Result<(), DeployError> {
        let row = store::get(&self.db, id).await?.ok_or(DeployError::NoDeployment(id))?;
        match row.state {
            DeploymentState::Queued => {
                self.end(
                    id,
                    &row.project_id,
                    DeploymentState::Cancelled,
                    Ending { reason: Some(&format!("cancelled by {by} before it started")), ..Ending::default() },
                )
                .await;
            }
            state if !state.is_terminal() => {
                self.log(id, LogStream::System, format!("cancel requested by {by}")).await;
                if self.workers.send(&row.worker_id, ServerMessage::Cancel { deployment: id }).is_err() {
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

    /// Records a terminal state once, then starts whatever waited behind it.
    async fn end(self: &Arc<Self>, id: DeploymentId, project: &str, state: DeploymentState, ending: Ending<'_>) {
        let reason = ending.reason.map(str::to_owned);
        match store::finish(&self.db, id, state, ending).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::error!(%error, deployment = %id, "cannot record a deployment's end");
                return;
            }
        }
        let summary = match &reason {
            Some(reason) => format!("deployment #{id} {state}: {reason}"),
            None => format!("deployment #{id} {state}"),
        };
        tracing::info!(deployment = %id, project, state = state.as_str(), reason, "deployment ended");
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
    pub(crate) async fn log(&self, id: DeploymentId, stream: LogStream, text: String) {
        let line = LogLine { at: db::now(), stream, text };
        self.append(id, line, Source::Server).await;
    }

    async fn append(&self, id: DeploymentId, mut line: LogLine, source: Source) {
        let cached = self.seqs.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&id);
        let stored_next = if cached {
            0
        } else {
            match store::next_log_seq(&self.db, id).await {
                Ok(next) => next,
                Err(error) => {
                    tracing::error!(%error, deployment = %id, "cannot read a deployment's log position");
                    0
                }
            }
        };
        // Taken and bumped under one lock, so concurrent writers never share a number.
        let seq = {
            let mut seqs = self.seqs.lock().unwrap_or_else(|p| p.into_inner());
            let next = seqs.entry(id).or_insert(stored_next);
            let seq = *next;
            *next += 1;
            seq
        };
        // Bounded whatever a worker sends: a line's length, and the lines one deployment
        // keeps (the last one kept says the rest was dropped).
        match seq.cmp(&MAX_LOG_LINES) {
            // The server's own lines (few: phases, the outcome) are always kept.
            _ if source == Source::Server => {}
            std::cmp::Ordering::Greater => return,
            std::cmp::Ordering::Equal => {
                line = LogLine {
                    at: line.at,
                    stream: LogStream::System,
                    text: format!("… the log stops here: a deployment keeps at most {MAX_LOG_LINES} lines"),
                };
            }
            std::cmp::Ordering::Less => line.text = nsm_core::logs::cut_line(&line.text),
        }
        if let Err(error) = store::append_log(&self.db, id, seq, &line).await {
            tracing::error!(%error, deployment = %id, "cannot store a log line");
        }
        self.live.line(id, seq, line);
    }

    /// Waits until a deployment ends, up to `bound`; None if it is still running then.
    pub async fn wait_for_end(
        &self,
        id: DeploymentId,
        bound: Duration,
    ) -> Result<Option<store::DeploymentRow>, DeployError> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            // Subscribe before reading, so an ending between the two is not missed.
            let mut live = self.live.subscribe(id);
            let row = store::get(&self.db, id).await?.ok_or(DeployError::NoDeployment(id))?;
            if row.state.is_terminal() {
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
                    Ok(Ok(DeploymentEvent::State(state))) if state.is_terminal() => break,
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

    pub fn workers(&self) -> &dyn WorkerLinks {
        self.workers.as_ref()
    }

    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }
}

/// The edge narrates its steps into the deployment's log through this role.
#[async_trait]
impl DeploymentLog for Deployer {
    async fn log(&self, deployment: DeploymentId, stream: LogStream, text: String) {
        Deployer::log(self, deployment, stream, text).await;
    }
}
