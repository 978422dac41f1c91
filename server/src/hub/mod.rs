//! The worker hub: which workers are connected, and the one way to talk to them.
//! Workers dial in over WebSocket (`ws.rs`); the embedded worker does the same over
//! loopback, so there is one protocol and one code path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nsm_core::env::ComposeDialect;
use nsm_core::events::LiveEvent;
use nsm_core::protocol::{ServerMessage, WorkerMessage};
use tokio::sync::{mpsc, oneshot};

use crate::events::Events;
use crate::roles::WorkerLinks;

pub use crate::roles::{AnswerRefused, HubError};

/// A request waiting for its answer: the worker it was sent to, and the requester.
type Waiting = (String, oneshot::Sender<WorkerMessage>);

struct Link {
    session: u64,
    outbox: mpsc::UnboundedSender<ServerMessage>,
    compose: Option<ComposeDialect>,
    version: String,
}

pub struct Hub {
    links: Mutex<HashMap<String, Link>>,
    pending: Mutex<HashMap<u64, Waiting>>,
    next_id: AtomicU64,
    /// Workers coming and going, for the browsers.
    events: Arc<Events>,
}

impl Hub {
    pub fn new(events: Arc<Events>) -> Self {
        Self {
            links: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            events,
        }
    }

    fn presence(&self, worker: &str, online: bool, version: Option<String>) {
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.events.publish(LiveEvent::Worker { worker: worker.to_owned(), online, version, at });
    }

    fn links(&self) -> std::sync::MutexGuard<'_, HashMap<String, Link>> {
        self.links.lock().unwrap_or_else(|p| p.into_inner())
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
        self.presence(worker, true, Some(version));
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
            self.pending().retain(|_, (w, _)| w != worker);
            tracing::debug!(worker, reason, "worker link detached");
            self.presence(worker, false, None);
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
        self.pending().insert(id, (worker.to_owned(), tx));
        if let Err(e) = self.send(worker, build(id)) {
            self.pending().remove(&id);
            return Err(e);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(_)) => Err(HubError::Dropped(worker.to_owned())),
            Err(_) => {
                self.pending().remove(&id);
                Err(HubError::NoAnswer(worker.to_owned()))
            }
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Waiting>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The worker a waiting request was sent to.
    pub fn addressee(&self, request: u64) -> Option<String> {
        self.pending().get(&request).map(|(worker, _)| worker.clone())
    }

    /// Routes `worker`'s answer to the request waiting for it. Only the worker the
    /// request was sent to can answer it (request ids are sequential, so guessable);
    /// anyone else's answer is refused and the request keeps waiting.
    pub(crate) fn answer(&self, worker: &str, request: u64, message: WorkerMessage) -> Result<(), AnswerRefused> {
        let tx = {
            let mut pending = self.pending();
            let addressee = pending.get(&request).map(|(w, _)| w.as_str()).ok_or(AnswerRefused::NoneWaiting)?;
            if addressee != worker {
                return Err(AnswerRefused::NotAddressee(addressee.to_owned()));
            }
            pending.remove(&request).map(|(_, tx)| tx).ok_or(AnswerRefused::NoneWaiting)?
        };
        // The requester may have stopped waiting (timed out) a moment ago.
        tx.send(message).map_err(|_| AnswerRefused::NoneWaiting)
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

    fn addressee(&self, request: u64) -> Option<String> {
        Hub::addressee(self, request)
    }

    fn answer(&self, worker: &str, request: u64, message: WorkerMessage) -> Result<(), AnswerRefused> {
        Hub::answer(self, worker, request, message)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use nsm_core::protocol::JobFailure;
    use std::sync::Arc;

    fn torn_down(request: u64) -> WorkerMessage {
        WorkerMessage::TornDown { request, result: Err(JobFailure("from the answerer".into())) }
    }

    #[tokio::test]
    async fn only_the_addressee_answers_a_request() {
        let hub = Arc::new(Hub::new(crate::events::Events::new()));
        let (outbox, mut sent) = mpsc::unbounded_channel();
        hub.attach("edge-1", outbox, None, "test".into());
        let requester = {
            let hub = hub.clone();
            tokio::spawn(async move {
                hub.request("edge-1", Duration::from_secs(30), |request| ServerMessage::Teardown {
                    request,
                    project: nsm_core::ProjectId::parse("shop").expect("id"),
                })
                .await
            })
        };
        let Some(ServerMessage::Teardown { request, .. }) = sent.recv().await else { panic!("no request sent") };
        assert_eq!(hub.addressee(request).as_deref(), Some("edge-1"));

        // Another worker (or a guess at the next id) is refused; the request keeps waiting.
        assert_eq!(
            hub.answer("edge-2", request, torn_down(request)),
            Err(AnswerRefused::NotAddressee("edge-1".into()))
        );
        assert_eq!(hub.answer("edge-1", request + 1, torn_down(request + 1)), Err(AnswerRefused::NoneWaiting));
        assert_eq!(hub.addressee(request).as_deref(), Some("edge-1"));

        assert_eq!(hub.answer("edge-1", request, torn_down(request)), Ok(()));
        assert_eq!(requester.await.expect("task").expect("answered"), torn_down(request));
        // Answered once: a replay finds nobody waiting.
        assert_eq!(hub.answer("edge-1", request, torn_down(request)), Err(AnswerRefused::NoneWaiting));
        assert_eq!(hub.addressee(request), None);
    }
}
