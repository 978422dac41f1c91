//! Container state of NSM's projects, reported to the server from Docker's event
//! stream (and as one snapshot after each connect).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use nsm_core::compose::{LABEL_PROJECT, LABEL_SERVICE};
use nsm_core::protocol::{ServiceContainer, WorkerMessage};
use nsm_core::service::ContainerObservation;
use nsm_core::ProjectId;

use crate::machine::docker::{ContainerEngine, ContainerEvent, LabelFilter, COMPOSE_SERVICE_LABEL};
use crate::machine::ledger::Ledger;
use crate::outbox::{post, Outbox};

/// Event actions after which a container's state, restarts or health may have
/// changed (`health_status: …` carries the new health).
const STATE_ACTIONS: [&str; 8] = ["create", "start", "restart", "die", "stop", "pause", "unpause", "destroy"];
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Every container of every managed project, as one message: sent after (re)connecting
/// so the server starts from the truth (a container removed while the link was down
/// is absent from it). `None`: Docker could not be asked; nothing is claimed.
pub(crate) async fn service_snapshot(engine: &dyn ContainerEngine, ledger: &Ledger) -> Option<WorkerMessage> {
    let listed = match engine.list_containers(&LabelFilter::has(LABEL_PROJECT)).await {
        Ok(listed) => listed,
        Err(error) => {
            tracing::warn!(%error, "could not list the containers of managed projects");
            return None;
        }
    };
    let mut containers = Vec::with_capacity(listed.len());
    for info in listed {
        let Some((project, service)) = identify(&info.labels) else { continue };
        match engine.container_status(&info.id).await {
            Ok(Some(status)) => {
                let deployment = ledger.deployment_of(&project, &info.id, &status.labels).await;
                let observation = status.observation(&info.id, deployment);
                containers.push(ServiceContainer { project, service, observation })
            }
            // Removed between the listing and the inspect: not there.
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, container = %info.id, "could not inspect a container for the snapshot");
                return None;
            }
        }
    }
    Some(WorkerMessage::ContainersSnapshot { containers })
}

/// Follows Docker's container events for NSM-labelled containers for as long as the
/// worker runs, re-subscribing with backoff when the engine goes away.
pub(crate) async fn watch_services(engine: Arc<dyn ContainerEngine>, ledger: Arc<Ledger>, out: Outbox) {
    let mut delay = RETRY_MIN;
    loop {
        let mut last: HashMap<String, ContainerObservation> = HashMap::new();
        let mut events = engine.container_events(&LabelFilter::has(LABEL_PROJECT));
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => {
                    delay = RETRY_MIN;
                    if let Some(message) = on_event(engine.as_ref(), &ledger, &event, &mut last).await {
                        if !post(&out, message) {
                            return;
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the Docker event stream failed");
                    break;
                }
            }
        }
        if out.is_closed() {
            return;
        }
        tracing::debug!(retry_in = ?delay, "re-subscribing to Docker events");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(RETRY_MAX);
    }
}

fn is_state_action(action: &str) -> bool {
    STATE_ACTIONS.contains(&action) || action.starts_with("health_status")
}

/// The message for one event, if it changed what the server knows.
async fn on_event(
    engine: &dyn ContainerEngine,
    ledger: &Ledger,
    event: &ContainerEvent,
    last: &mut HashMap<String, ContainerObservation>,
) -> Option<WorkerMessage> {
    if !is_state_action(&event.action) {
        return None;
    }
    let (project, service) = identify(&event.labels)?;
    let removed = || {
        Some(WorkerMessage::ContainerRemoved {
            project: project.clone(),
            service: service.clone(),
            container: event.id.clone(),
        })
    };
    if event.action == "destroy" {
        last.remove(&event.id);
        return removed();
    }
    // Ask rather than infer from the action: events can arrive late or merged.
    let observation = match engine.container_status(&event.id).await {
        Ok(Some(status)) => {
            let deployment = ledger.deployment_of(&project, &event.id, &status.labels).await;
            status.observation(&event.id, deployment)
        }
        Ok(None) => {
            last.remove(&event.id);
            return removed();
        }
        Err(error) => {
            tracing::debug!(%error, container = %event.id, "could not inspect a container after an event");
            return None;
        }
    };
    if last.get(&event.id) == Some(&observation) {
        return None;
    }
    last.insert(event.id.clone(), observation.clone());
    Some(WorkerMessage::ContainerChanged { project, service, observation })
}

/// The NSM project and the service of a container, from its labels.
fn identify(labels: &HashMap<String, String>) -> Option<(ProjectId, String)> {
    let project = ProjectId::parse(labels.get(LABEL_PROJECT)?).ok()?;
    let service = labels.get(LABEL_SERVICE).or_else(|| labels.get(COMPOSE_SERVICE_LABEL))?;
    Some((project, service.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_identified_by_nsm_labels() {
        let labels = HashMap::from([
            (LABEL_PROJECT.to_owned(), "shop".to_owned()),
            (COMPOSE_SERVICE_LABEL.to_owned(), "web".to_owned()),
        ]);
        let (project, service) = identify(&labels).unwrap();
        assert_eq!((project.as_str(), service.as_str()), ("shop", "web"));
        assert!(identify(&HashMap::new()).is_none());
        let bad = HashMap::from([(LABEL_PROJECT.to_owned(), "Not A Slug".to_owned())]);
        assert!(identify(&bad).is_none());
    }
}
