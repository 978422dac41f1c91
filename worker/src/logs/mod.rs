//! Following the container logs of the services the server names: one task per
//! followed service, across restarts and replaced containers, shipping batched lines.

mod follow;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use nsm_core::ProjectId;
use tokio::sync::Semaphore;
use tokio::task::AbortHandle;
use tracing::Instrument;

use crate::machine::docker::ContainerEngine;
use crate::outbox::Outbox;

/// Log batches posted and not yet sent, across every follower: a follower waits for
/// the link before posting more, so a slow or lost link never piles lines up in
/// memory (Docker keeps them; the follower reads on when the link catches up).
const BATCHES_IN_FLIGHT: usize = 8;

/// The running followers, keyed by project and service.
pub(crate) struct LogFollowers {
    engine: Arc<dyn ContainerEngine>,
    out: Outbox,
    in_flight: Arc<Semaphore>,
    running: Mutex<HashMap<(ProjectId, String), AbortHandle>>,
}

impl LogFollowers {
    pub fn new(engine: Arc<dyn ContainerEngine>, out: Outbox) -> Self {
        Self { engine, out, in_flight: Arc::new(Semaphore::new(BATCHES_IN_FLIGHT)), running: Mutex::default() }
    }

    /// The link sent a log batch: a follower may post another.
    pub fn batch_sent(&self) {
        if self.in_flight.available_permits() < BATCHES_IN_FLIGHT {
            self.in_flight.add_permits(1);
        }
    }

    /// Makes `services` the project's followed set: new ones start, the others stop at once.
    pub fn follow(&self, project: &ProjectId, services: &[String]) {
        let mut running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        running.retain(|(p, service), task| {
            let keep = p != project || services.contains(service);
            if !keep {
                tracing::info!(project = %p, service, "no longer following the container log");
                task.abort();
            }
            keep
        });
        for service in services {
            let key = (project.clone(), service.clone());
            if running.get(&key).is_some_and(|task| !task.is_finished()) {
                continue;
            }
            tracing::info!(%project, service, "following the container log");
            let task = follow::Follower {
                engine: self.engine.clone(),
                out: self.out.clone(),
                in_flight: self.in_flight.clone(),
                project: project.clone(),
                service: service.clone(),
                last_ms: None,
            };
            let span = tracing::info_span!("container_log", %project, service);
            let handle = tokio::spawn(task.run().instrument(span));
            running.insert(key, handle.abort_handle());
        }
    }
}

impl Drop for LogFollowers {
    fn drop(&mut self) {
        let running = self.running.get_mut().unwrap_or_else(PoisonError::into_inner);
        for task in running.values() {
            task.abort();
        }
    }
}
