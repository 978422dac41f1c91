//! Container state of NSM's projects, reported to the server from Docker's event
//! stream (and as a snapshot after each connect).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use nsm_core::compose::{LABEL_PROJECT, LABEL_SERVICE};
use nsm_core::protocol::WorkerMessage;
use nsm_core::service::ServiceState;
use nsm_core::ProjectId;

use crate::machine::docker::{ContainerEngine, ContainerEvent, LabelFilter, COMPOSE_SERVICE_LABEL};
use crate::outbox::{post, Outbox};

/// Event actions after which a container's state may have changed.
const STATE_ACTIONS: [&str; 8] = ["create", "start", "restart", "die", "stop", "pause", "unpause", "destroy"];
const RETRY_MIN: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// The current state of every container of a managed project, as `ServiceChanged`
/// messages: sent after (re)connecting so the server starts from the truth.
pub(crate) async fn service_snapshot(engine: &dyn ContainerEngine) -> Vec<WorkerMessage> {
    match engine.list_containers(&LabelFilter::has(LABEL_PROJECT)).await {
        Ok(containers) => containers
            .into_iter()
            .filter_map(|c| {
                let (project, service) = identify(&c.labels)?;
                Some(WorkerMessage::ServiceChanged { project, service, state: c.state })
            })
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "could not list the containers of managed projects");
            Vec::new()
        }
    }
}

/// Follows Docker's container events for NSM-labelled containers for as long as the
/// worker runs, re-subscribing with backoff when the engine goes away.
pub(crate) async fn watch_services(engine: Arc<dyn ContainerEngine>, out: Outbox) {
    let mut delay = RETRY_MIN;
    loop {
        let mut last_state: HashMap<String, ServiceState> = HashMap::new();
        let mut events = engine.container_events(&LabelFilter::has(LABEL_PROJECT));
        while let Some(event) = events.next().await {
            match event {
                Ok(event) => {
                    delay = RETRY_MIN;
                    if let Some(message) = on_event(engine.as_ref(), &event, &mut last_state).await {
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

/// The message for one event, if it changed what the server knows.
async fn on_event(
    engine: &dyn ContainerEngine,
    event: &ContainerEvent,
    last_state: &mut HashMap<String, ServiceState>,
) -> Option<WorkerMessage> {
    if !STATE_ACTIONS.contains(&event.action.as_str()) {
        return None;
    }
    let (project, service) = identify(&event.labels)?;
    let state = if event.action == "destroy" {
        // The container is gone; `removing` is the last state Docker would show.
        last_state.remove(&event.id);
        ServiceState::Removing
    } else {
        // Ask rather than infer from the action: events can arrive late or merged.
        let state = match engine.container_status(&event.id).await {
            Ok(Some(status)) => status.state,
            Ok(None) => ServiceState::Removing,
            Err(error) => {
                tracing::debug!(%error, container = %event.id, "could not inspect a container after an event");
                return None;
            }
        };
        if last_state.insert(event.id.clone(), state) == Some(state) {
            return None;
        }
        state
    };
    Some(WorkerMessage::ServiceChanged { project, service, state })
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
