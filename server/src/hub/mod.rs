//! The worker hub: which workers are connected, and the one way to talk to them.
//! Workers dial in over WebSocket (`ws.rs`); the embedded worker does the same over
//! loopback, so there is one protocol and one code path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use nsm_core::env::ComposeDialect;
use nsm_core::protocol::{ServerMessage, WorkerMessage};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::roles::WorkerLinks;

pub use crate::roles::HubError;

/// A change the UI shows live.
#[derive(Debug, Clone)]
pub enum PresenceEvent {
    Online { worker: String, version: String },
    Offline { worker: String, reason: String },
}

struct Link {
    session: u64,
    outbox: mpsc::UnboundedSender<ServerMessage>,
    compose: Option<ComposeDialect>,
    version: String,
}

pub struct Hub {
    links: Mutex<HashMap<String, Link>>,
    pending: Mutex<HashMap<u64, (String, oneshot::Sender<WorkerMessage>)>>,
    next_id: AtomicU64,
    presence: broadcast::Sender<PresenceEvent>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Self {
            links: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            presence: broadcast::channel(64).0,
        }
    }

    fn links(&self) -> std::sync::MutexGuard<'_, HashMap<String, Link>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe_presence(&self) -> broadcast::Receiver<PresenceEvent> {
        self.presence.subscribe()
    }

    /// Registers a freshly authenticated link, replacing (and thereby closing) any
    /// older link of the same worker. Returns the session number.
    pub(crate) fn attach(
        &self,
        worker: &str,
        outbox: mpsc::UnboundedSender<ServerMessage>,
        compose: Option<ComposeDialect>,
        version: String,
    ) -> u64 {
        let session = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.links().insert(worker.to_owned(), Link { session, outbox, compose, version: version.clone() });
        let _ = self.presence.send(PresenceEvent::Online { worker: worker.to_owned(), version });
        session
    }

    /// Removes the link if it is still the given session. True when it was.
    pub(crate) fn detach(&self, worker: &str, session: u64, reason: &str) -> bool {
        let removed = {
            let mut links = self.links();
            match links.get(worker) {
                Some(link) if link.session == session => links.remove(worker).is_some(),
                _ => false,
            }
        };
        if removed {
            // Requests waiting on this worker will never be answered.
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, (w, _)| w != worker);
            let _ = self.presence.send(PresenceEvent::Offline { worker: worker.to_owned(), reason: reason.to_owned() });
        }
        removed
    }

    /// Drops a worker's link at once (token rotated or worker removed).
    pub fn disconnect(&self, worker: &str) {
        let session = self.links().get(worker).map(|l| l.session);
        if let Some(session) = session {
            self.detach(worker, session, "disconnected by the server");
        }
    }

    pub fn is_online(&self, worker: &str) -> bool {
        self.links().contains_key(worker)
    }

    pub fn session_of(&self, worker: &str) -> Option<u64> {
        self.links().get(worker).map(|l| l.session)
    }

    pub fn version_of(&self, worker: &str) -> Option<String> {
        self.links().get(worker).map(|l| l.version.clone())
    }

    pub fn compose_of(&self, worker: &str) -> Option<ComposeDialect> {
        self.links().get(worker).and_then(|l| l.compose)
    }

    pub fn send(&self, worker: &str, message: ServerMessage) -> Result<(), HubError> {
        let links = self.links();
        let link = links.get(worker).ok_or_else(|| HubError::Offline(worker.to_owned()))?;
        link.outbox.send(message).map_err(|_| HubError::Offline(worker.to_owned()))
    }

    /// Sends a request built around a fresh request id and waits for its answer.
    pub async fn request(
        &self,
        worker: &str,
        timeout: Duration,
        build: impl FnOnce(u64) -> ServerMessage,
    ) -> Result<WorkerMessage, HubError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, (worker.to_owned(), tx));
        if let Err(e) = self.send(worker, build(id)) {
            self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(HubError::Dropped(worker.to_owned())),
            Err(_) => {
                self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
                Err(HubError::NoAnswer(worker.to_owned()))
            }
        }
    }

    /// Routes an answer to the request waiting for it; returns the message back when
    /// nobody waits (so the caller can log it).
    pub(crate) fn answer(&self, request: u64, message: WorkerMessage) -> Option<WorkerMessage> {
        let waiting = self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&request);
        match waiting {
            Some((_, tx)) => tx.send(message).err(),
            None => Some(message),
        }
    }
}

/// The deployer talks to workers through this role, not through the hub itself.
#[async_trait::async_trait]
impl WorkerLinks for Hub {
    fn is_online(&self, worker: &str) -> bool {
        Hub::is_online(self, worker)
    }

    fn send(&self, worker: &str, message: ServerMessage) -> Result<(), HubError> {
        Hub::send(self, worker, message)
    }

    async fn request(
        &self,
        worker: &str,
        timeout: Duration,
        build: Box<dyn FnOnce(u64) -> ServerMessage + Send>,
    ) -> Result<WorkerMessage, HubError> {
        Hub::request(self, worker, timeout, build).await
    }

    fn answer(&self, request: u64, message: WorkerMessage) -> Option<WorkerMessage> {
        Hub::answer(self, request, message)
    }
}
