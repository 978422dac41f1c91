//! Live fan-out of a running deployment's log and state to browsers.

use std::collections::HashMap;
use std::sync::Mutex;

use nsm_core::protocol::LogLine;
use tokio::sync::broadcast;

use crate::db::deployments::DeploymentState;

#[derive(Debug, Clone)]
pub enum LiveEvent {
    Line { seq: i64, line: LogLine },
    State(DeploymentState),
}

#[derive(Default)]
pub struct LiveLogs {
    channels: Mutex<HashMap<i64, broadcast::Sender<LiveEvent>>>,
}

impl LiveLogs {
    fn channels(&self) -> std::sync::MutexGuard<'_, HashMap<i64, broadcast::Sender<LiveEvent>>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn open(&self, id: i64) {
        self.channels().entry(id).or_insert_with(|| broadcast::channel(1024).0);
    }

    pub fn is_open(&self, id: i64) -> bool {
        self.channels().contains_key(&id)
    }

    /// None once the deployment has ended: read the stored log instead.
    pub fn subscribe(&self, id: i64) -> Option<broadcast::Receiver<LiveEvent>> {
        self.channels().get(&id).map(broadcast::Sender::subscribe)
    }

    pub fn line(&self, id: i64, seq: i64, line: LogLine) {
        if let Some(tx) = self.channels().get(&id) {
            let _ = tx.send(LiveEvent::Line { seq, line });
        }
    }

    pub fn state(&self, id: i64, state: DeploymentState) {
        if let Some(tx) = self.channels().get(&id) {
            let _ = tx.send(LiveEvent::State(state));
        }
    }

    /// Dropping the sender ends every subscriber's stream.
    pub fn close(&self, id: i64) {
        self.channels().remove(&id);
    }
}
