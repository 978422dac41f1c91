//! One followed service: find its container, stream its output, batch, ship; re-attach
//! when the stream ends (stopped, restarted or replaced container).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use nsm_core::compose::LABEL_PROJECT;
use nsm_core::logs::ContainerLogLine;
use nsm_core::protocol::{WorkerMessage, LOG_BATCH_BYTES, LOG_BATCH_LINES, LOG_BATCH_MILLIS};
use nsm_core::service::ServiceState;
use nsm_core::ProjectId;
use tokio::sync::{mpsc, Semaphore};

use crate::machine::docker::{ContainerEngine, LabelFilter};
use crate::outbox::{post, Outbox};

const RETRY_MIN: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(10);
/// Lines read ahead of the batcher; the reader waits when it is full.
const READ_AHEAD: usize = 2 * LOG_BATCH_LINES;

pub(super) struct Follower {
    pub engine: Arc<dyn ContainerEngine>,
    pub out: Outbox,
    /// Shared by every follower (see `BATCHES_IN_FLIGHT`).
    pub in_flight: Arc<Semaphore>,
    pub project: ProjectId,
    pub service: String,
    /// The last shipped line's time: a re-attach continues after it.
    pub last_ms: Option<i64>,
}

impl Follower {
    pub async fn run(mut self) {
        // Lines from before the switch was turned on are not collected.
        let started_ms = now_ms();
        let mut delay = RETRY_MIN;
        loop {
            match self.container().await {
                Some(container) => {
                    let since = self.last_ms.unwrap_or(started_ms);
                    if self.stream(&container, since).await {
                        delay = RETRY_MIN;
                    }
                }
                None => tracing::trace!("no container for the service yet"),
            }
            if self.out.is_closed() {
                return;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(RETRY_MAX);
        }
    }

    /// The service's container: the running one if any, else any.
    async fn container(&self) -> Option<String> {
        let filter = LabelFilter::is(LABEL_PROJECT, self.project.as_str());
        let listed = match self.engine.list_containers(&filter).await {
            Ok(listed) => listed,
            Err(error) => {
                tracing::debug!(%error, "could not list the project's containers");
                return None;
            }
        };
        let mut mine: Vec<_> = listed.into_iter().filter(|c| c.service() == Some(self.service.as_str())).collect();
        mine.sort_by_key(|c| c.state != ServiceState::Running);
        mine.into_iter().next().map(|c| c.id)
    }

    /// Ships the container's lines after `since_ms` until its stream ends; true when
    /// any line was shipped.
    async fn stream(&mut self, container: &str, since_ms: i64) -> bool {
        let (tx, mut rx) = mpsc::channel::<ContainerLogLine>(READ_AHEAD);
        let mut lines = self.engine.follow_logs(container, Some(since_ms.div_euclid(1000)));
        let reader = async move {
            while let Some(line) = lines.next().await {
                match line {
                    Ok(line) if line.at_ms > since_ms => {
                        if tx.send(line).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::debug!(%error, "the container log stream failed");
                        return;
                    }
                }
            }
        };
        let reader = tokio::spawn(reader);
        let mut shipped = false;
        let window = Duration::from_millis(LOG_BATCH_MILLIS);
        while let Some(first) = rx.recv().await {
            let mut bytes = first.text.len();
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + window;
            while batch.len() < LOG_BATCH_LINES && bytes < LOG_BATCH_BYTES {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(line)) => {
                        bytes += line.text.len();
                        batch.push(line);
                    }
                    Ok(None) | Err(_) => break,
                }
            }
            // Returned by the link when it has sent a log batch; nothing awaits between
            // here and the post, so an aborted follower never holds one.
            match self.in_flight.acquire().await {
                Ok(permit) => permit.forget(),
                Err(_) => break,
            }
            self.last_ms = batch.last().map(|l| l.at_ms).or(self.last_ms);
            shipped = true;
            let message = WorkerMessage::ContainerLogs {
                project: self.project.clone(),
                service: self.service.clone(),
                container: container.to_owned(),
                lines: batch,
            };
            if !post(&self.out, message) {
                break;
            }
        }
        reader.abort();
        shipped
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
