//! Live fan-out of a running deployment's log and state to browsers: to the viewers
//! of that deployment, and as `deployment` events to everyone following the fleet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nsm_core::events::LiveEvent;
use nsm_core::protocol::LogLine;
use tokio::sync::broadcast;

use nsm_core::{DeploymentId, DeploymentState, ProjectId};

use crate::events::Events;

#[derive(Debug, Clone)]
pub enum DeploymentEvent {
    Line { seq: i64, line: LogLine },
    State(DeploymentState),
}

/// A deployment in flight: its viewers' channel, and what fleet events need.
struct Open {
    tx: broadcast::Sender<DeploymentEvent>,
    project: ProjectId,
    state: DeploymentState,
}

pub struct LiveLogs {
    channels: Mutex<HashMap<DeploymentId, Open>>,
    events: Arc<Events>,
}

impl LiveLogs {
    pub fn new(events: Arc<Events>) -> Self {
        Self { channels: Mutex::new(HashMap::new()), events }
    }

    fn channels(&self) -> std::sync::MutexGuard<'_, HashMap<DeploymentId, Open>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn open(&self, id: DeploymentId, project: &ProjectId) {
        let mut channels = self.channels();
        channels.entry(id).or_insert_with(|| Open {
            tx: broadcast::channel(1024).0,
            project: project.clone(),
            state: DeploymentState::Queued,
        });
        self.events.publish(LiveEvent::Deployment {
            id,
            project: project.clone(),
            state: DeploymentState::Queued,
            lines: Vec::new(),
        });
    }

    pub fn is_open(&self, id: DeploymentId) -> bool {
        self.channels().contains_key(&id)
    }

    /// None once the deployment has ended: read the stored log instead.
    pub fn subscribe(&self, id: DeploymentId) -> Option<broadcast::Receiver<DeploymentEvent>> {
        self.channels().get(&id).map(|open| open.tx.subscribe())
    }

    pub fn line(&self, id: DeploymentId, seq: i64, line: LogLine) {
        if let Some(open) = self.channels().get(&id) {
            let (project, state, text) = (open.project.clone(), open.state, line.text.clone());
            // No viewer is no one to tell.
            let _ = open.tx.send(DeploymentEvent::Line { seq, line });
            self.events.publish(LiveEvent::Deployment { id, project, state, lines: vec![text] });
        }
    }

    pub fn state(&self, id: DeploymentId, state: DeploymentState) {
        if let Some(open) = self.channels().get_mut(&id) {
            open.state = state;
            let _ = open.tx.send(DeploymentEvent::State(state));
            let project = open.project.clone();
            self.events.publish(LiveEvent::Deployment { id, project, state, lines: Vec::new() });
        }
    }

    /// Dropping the sender ends every subscriber's stream.
    pub fn close(&self, id: DeploymentId) {
        self.channels().remove(&id);
    }
}

/// One item of a followed deployment: its state, or a log line.
#[derive(Debug, Clone)]
pub enum Followed {
    State(DeploymentState),
    Line { seq: i64, line: LogLine },
}

/// Where a follower is: lines before `next` have been sent.
struct Follower {
    db: crate::db::Db,
    id: DeploymentId,
    next: i64,
    live: Option<broadcast::Receiver<DeploymentEvent>>,
    queue: std::collections::VecDeque<Followed>,
}

impl super::Deployer {
    /// A deployment's state and log from line `from` on: what is stored, then (with
    /// `live`) each new line once, in order, until the deployment ends. A reader too slow
    /// for the live channel catches up from the store, so no line is ever skipped.
    /// `None` for an unknown deployment.
    pub async fn follow(
        &self,
        id: DeploymentId,
        from: i64,
        live: bool,
    ) -> Result<Option<futures::stream::BoxStream<'static, Followed>>, sqlx::Error> {
        use futures::StreamExt;
        // Subscribe before reading what is stored, so no line falls between the two.
        let receiver = if live { self.subscribe(id) } else { None };
        let Some(row) = crate::db::deployments::get(self.db(), id).await? else {
            return Ok(None);
        };
        let stored = crate::db::deployments::log_since(self.db(), id, from).await?;
        let next = stored.last().map_or(from, |(seq, _)| seq + 1);
        let mut queue: std::collections::VecDeque<Followed> = std::iter::once(Followed::State(row.state)).collect();
        queue.extend(stored.into_iter().map(|(seq, line)| Followed::Line { seq, line }));
        let follower = Follower { db: self.db().clone(), id, next, live: receiver, queue };
        Ok(Some(futures::stream::unfold(follower, step).boxed()))
    }
}

async fn step(mut f: Follower) -> Option<(Followed, Follower)> {
    loop {
        if let Some(item) = f.queue.pop_front() {
            return Some((item, f));
        }
        let receiver = f.live.as_mut()?;
        match receiver.recv().await {
            Ok(DeploymentEvent::Line { seq, line }) if seq >= f.next => {
                f.next = seq + 1;
                return Some((Followed::Line { seq, line }, f));
            }
            Ok(DeploymentEvent::Line { .. }) => {}
            Ok(DeploymentEvent::State(state)) => return Some((Followed::State(state), f)),
            // Every line is stored before it is broadcast: the missed ones are there.
            Err(broadcast::error::RecvError::Lagged(_)) => {
                match crate::db::deployments::log_since(&f.db, f.id, f.next).await {
                    Ok(lines) => {
                        for (seq, line) in lines {
                            f.next = seq + 1;
                            f.queue.push_back(Followed::Line { seq, line });
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, deployment = %f.id, "cannot catch a slow log reader up");
                        f.live = None;
                    }
                }
            }
            Err(broadcast::error::RecvError::Closed) => f.live = None,
        }
    }
}
