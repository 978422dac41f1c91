//! Following the container logs of the services the server names: one task per
//! followed service, across restarts and replaced containers, shipping batched lines.

mod follow;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use nsm_core::ProjectId;
use tokio::task::AbortHandle;
use tracing::Instrument;

use crate::machine::docker::ContainerEngine;
use crate::outbox::Outbox;

/// The running followers, keyed by project and service.
pub(crate) struct LogFollowers {
    engine: Arc<dyn ContainerEngine>,
    out: Outbox,
    running: Mutex<HashMap<(ProjectId, String), AbortHandle>>,
}

impl LogFollowers {
    pub fn new(engine: Arc<dyn ContainerEngine>, out: Outbox) -> Self {
        Self { engine, out, running: Mutex::default() }
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
            let task = follow::Follower::new(self.engine.clone(), self.out.clone(), project.clone(), service.clone());
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
