//! Resource sampling: while the server says some browser watches projects of this
//! node ([`ServerMessage::WatchStats`](nsm_core::protocol::ServerMessage)), every
//! [`SAMPLE_EVERY_SECS`] one stats reading of each of their running containers, sent
//! as one `ContainerStats` batch. An empty set stops it at once; nothing is sampled
//! (or kept) while no one watches.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use nsm_core::compose::{LABEL_PROJECT, LABEL_SERVICE};
use nsm_core::protocol::WorkerMessage;
use nsm_core::service::ServiceState;
use nsm_core::stats::{ContainerSample, SAMPLE_EVERY_SECS};
use nsm_core::ProjectId;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::machine::docker::{ContainerEngine, ContainerInfo, LabelFilter};
use crate::outbox::{post, Outbox};

/// Readings taken at once: enough to finish a round of a busy node within the
/// cadence (a reading takes about a second), few enough to keep the worker small.
const CONCURRENT_READINGS: usize = 4;

/// The set of watched projects; the sampling task follows it.
#[derive(Clone)]
pub struct Watched {
    set: Arc<watch::Sender<BTreeSet<ProjectId>>>,
}

impl Watched {
    /// The set (empty at first) and the task that samples while it is not empty.
    pub fn start(engine: Arc<dyn ContainerEngine>, out: Outbox) -> (Self, tokio::task::JoinHandle<()>) {
        let (set, changes) = watch::channel(BTreeSet::new());
        let task = tokio::spawn(sample(engine, out, changes));
        (Self { set: Arc::new(set) }, task)
    }

    /// Replaces the watched set (the server's `WatchStats`, or empty when the link is
    /// lost: the server sends it again after the reconnect).
    pub fn set(&self, projects: impl IntoIterator<Item = ProjectId>) {
        let projects: BTreeSet<ProjectId> = projects.into_iter().collect();
        self.set.send_if_modified(|current| {
            let changed = *current != projects;
            *current = projects;
            changed
        });
    }
}

/// Samples rounds while the set is not empty; a change of the set cuts a round short
/// and starts the next with the new set.
async fn sample(engine: Arc<dyn ContainerEngine>, out: Outbox, mut changes: watch::Receiver<BTreeSet<ProjectId>>) {
    let every = Duration::from_secs(SAMPLE_EVERY_SECS);
    loop {
        let projects = changes.borrow_and_update().clone();
        if projects.is_empty() {
            if changes.changed().await.is_err() {
                return;
            }
            continue;
        }
        let started = Instant::now();
        tokio::select! {
            samples = round(engine.as_ref(), &projects) => {
                if !samples.is_empty() && !post(&out, WorkerMessage::ContainerStats { samples }) {
                    return;
                }
            }
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        }
        tokio::select! {
            () = tokio::time::sleep_until(started + every) => {}
            changed = changes.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// One reading of every running container of `projects`.
async fn round(engine: &dyn ContainerEngine, projects: &BTreeSet<ProjectId>) -> Vec<ContainerSample> {
    let listed = match engine.list_containers(&LabelFilter::has(LABEL_PROJECT)).await {
        Ok(listed) => listed,
        Err(error) => {
            tracing::warn!(%error, "could not list containers to sample");
            return Vec::new();
        }
    };
    let running = listed
        .into_iter()
        .filter(|info| info.state == ServiceState::Running)
        .filter_map(|info| identify(&info).filter(|(project, _)| projects.contains(project)).map(|id| (info.id, id)));
    stream::iter(running)
        .map(|(container, (project, service))| async move {
            match engine.container_usage(&container).await {
                Ok(Some(usage)) => Some(ContainerSample {
                    project,
                    service,
                    container,
                    at: chrono::Utc::now().timestamp_millis(),
                    cpu_percent: usage.cpu_percent,
                    memory_bytes: usage.memory_bytes,
                    memory_limit: usage.memory_limit,
                }),
                // Gone since the listing.
                Ok(None) => None,
                Err(error) => {
                    tracing::debug!(%error, %container, "could not read a container's stats");
                    None
                }
            }
        })
        .buffer_unordered(CONCURRENT_READINGS)
        .filter_map(std::future::ready)
        .collect()
        .await
}

/// The NSM project and service of a listed container.
fn identify(info: &ContainerInfo) -> Option<(ProjectId, String)> {
    let project = ProjectId::parse(info.labels.get(LABEL_PROJECT)?).ok()?;
    let service = info.labels.get(LABEL_SERVICE).map(String::as_str).or_else(|| info.service())?;
    Some((project, service.to_owned()))
}
