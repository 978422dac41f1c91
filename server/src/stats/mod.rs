//! Resource use per service: which projects browsers watch (so their nodes sample
//! them, and only then), and each service's last hour, kept in memory only: it is a
//! view of now, not a record, and starts empty after a restart.
//!
//! A watch is a guard: the first one of a project sends its node the node's new
//! watched set ([`ServerMessage::WatchStats`]); dropping the last sends the reduced
//! set. A worker that (re)connects is sent its set again.

mod history;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use nsm_core::protocol::ServerMessage;
use nsm_core::stats::{ContainerSample, StatsUpdate};
use nsm_core::ProjectId;
use tokio::sync::broadcast;

use self::history::History;
use crate::db::{self, Db};
use crate::roles::WorkerLinks;

/// Batches a slow stream may fall behind by before it skips some.
const LIVE_CAPACITY: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("no such project")]
    UnknownProject,
    #[error("cannot look up the project's node: {0}")]
    Database(#[from] sqlx::Error),
}

/// One project's new points, as published to its streams.
#[derive(Debug, Clone)]
pub struct Published {
    pub project: ProjectId,
    pub update: Arc<StatsUpdate>,
}

pub struct Stats {
    db: Db,
    workers: Arc<dyn WorkerLinks>,
    state: Mutex<State>,
    live: broadcast::Sender<Published>,
}

#[derive(Default)]
struct State {
    /// Open watches per project, with the node the project is on.
    watchers: HashMap<ProjectId, (String, usize)>,
    history: History,
}

impl Stats {
    pub fn new(db: Db, workers: Arc<dyn WorkerLinks>) -> Arc<Self> {
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        Arc::new(Self { db, workers, state: Mutex::default(), live })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts watching `project`: its node samples it until every watch is dropped.
    /// Returns the guard, the last hour so far and the stream of what comes next
    /// (subscribed before the history is read, so nothing falls between).
    pub async fn watch(
        self: &Arc<Self>,
        project: &ProjectId,
    ) -> Result<(Watch, StatsUpdate, broadcast::Receiver<Published>), WatchError> {
        let worker = db::projects::worker_of(&self.db, project.as_str()).await?.ok_or(WatchError::UnknownProject)?;
        let live = self.live.subscribe();
        let (first, history) = {
            let mut state = self.state();
            let entry = state.watchers.entry(project.clone()).or_insert_with(|| (worker.clone(), 0));
            entry.1 += 1;
            let first = entry.1 == 1;
            (first, state.history.of(project, chrono::Utc::now().timestamp_millis()))
        };
        if first {
            tracing::debug!(%project, worker, "a browser watches the project's resource use");
            self.send_set(&worker);
        }
        Ok((Watch { stats: self.clone(), project: project.clone() }, history, live))
    }

    fn unwatch(&self, project: &ProjectId) {
        let last = {
            let mut state = self.state();
            match state.watchers.get_mut(project) {
                Some((worker, count)) if *count <= 1 => {
                    let worker = worker.clone();
                    state.watchers.remove(project);
                    Some(worker)
                }
                Some((_, count)) => {
                    *count -= 1;
                    None
                }
                None => None,
            }
        };
        if let Some(worker) = last {
            tracing::debug!(%project, worker, "no browser watches the project's resource use any more");
            self.send_set(&worker);
        }
    }

    /// The projects of `worker` watched now.
    pub fn watched_on(&self, worker: &str) -> BTreeSet<ProjectId> {
        self.state().watchers.iter().filter(|(_, (node, _))| node == worker).map(|(p, _)| p.clone()).collect()
    }

    /// Sends `worker` its whole watched set (empty: stop sampling).
    fn send_set(&self, worker: &str) {
        let projects = self.watched_on(worker).into_iter().collect();
        if let Err(error) = self.workers.send(worker, ServerMessage::WatchStats { projects }) {
            // Offline: it is sent the set when it connects.
            tracing::debug!(%error, worker, "cannot send the watched set");
        }
    }

    /// A worker connected: it samples what is watched on it (nothing is sent when
    /// nothing is; a fresh worker samples nothing).
    pub fn worker_online(&self, worker: &str) {
        if !self.watched_on(worker).is_empty() {
            self.send_set(worker);
        }
    }

    /// Records an admitted batch and publishes each project's new points.
    pub fn record(&self, samples: &[ContainerSample]) {
        let updates = self.state().history.record(samples);
        for (project, update) in updates {
            // No stream open: nobody to tell.
            let _ = self.live.send(Published { project, update: Arc::new(update) });
        }
    }
}

/// An open watch of a project's resource use; dropping it ends the watch.
pub struct Watch {
    stats: Arc<Stats>,
    project: ProjectId,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.stats.unwatch(&self.project);
    }
}
