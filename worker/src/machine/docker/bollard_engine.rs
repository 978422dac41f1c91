//! [`ContainerEngine`] over the Docker Engine API (bollard), through `DOCKER_HOST` or
//! the default unix socket.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    EventsOptions, ListContainersOptions, ListNetworksOptions, LogsOptions, PruneImagesOptions, RemoveContainerOptions,
    RemoveImageOptions, RestartContainerOptions, StatsOptions,
};
use bollard::Docker;
use futures_util::stream::{BoxStream, StreamExt};
use nsm_core::logs::ContainerLogLine;
use nsm_core::protocol::LogStream;
use nsm_core::service::{ContainerHealth, ServiceState};
use tokio::sync::OnceCell;

use super::usage::{usage_of, ContainerUsage};
use super::{ContainerEngine, ContainerEvent, ContainerInfo, ContainerStatus, EngineError, LabelFilter, NetworkInfo};

/// How long collecting a log tail may take.
const LOG_TAIL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one stats reading may take (the engine needs about a second).
const STATS_TIMEOUT: Duration = Duration::from_secs(10);

/// The real engine. It connects on first use (so a worker can start before the
/// daemon does) and negotiates the API version, so an engine older than bollard's
/// default version (Debian 12 ships API 1.41) is spoken to in its own version.
#[derive(Default)]
pub struct BollardEngine {
    docker: Arc<OnceCell<Docker>>,
}

impl BollardEngine {
    /// An engine reached through `DOCKER_HOST`, or the default unix socket.
    pub fn new() -> Self {
        Self::default()
    }

    async fn client(&self) -> Result<&Docker, EngineError> {
        connected(&self.docker).await
    }
}

/// The client, connecting and negotiating on first success; failures are retried on
/// the next call.
async fn connected(cell: &OnceCell<Docker>) -> Result<&Docker, EngineError> {
    cell.get_or_try_init(|| async {
        let docker = Docker::connect_with_defaults().map_err(engine_error)?;
        docker.negotiate_version().await.map_err(engine_error)
    })
    .await
}

fn engine_error(error: BollardError) -> EngineError {
    match error {
        BollardError::DockerResponseServerError { status_code, message } => {
            EngineError::Api { status: status_code, message }
        }
        BollardError::SocketNotFoundError(path) => EngineError::Unreachable(format!("no socket at {path}")),
        BollardError::HyperResponseError { .. }
        | BollardError::HyperLegacyError { .. }
        | BollardError::IOError { .. }
        | BollardError::RequestTimeoutError => EngineError::Unreachable(error.to_string()),
        other => EngineError::Other(other.to_string()),
    }
}

fn label_filters(filter: &LabelFilter) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_owned(), vec![filter.to_filter()])])
}

/// Not-found is success for removals: the object is gone either way.
fn ignore_not_found(result: Result<(), BollardError>) -> Result<(), EngineError> {
    match result.map_err(engine_error) {
        Err(error) if error.is_not_found() => Ok(()),
        other => other,
    }
}

#[async_trait]
impl ContainerEngine for BollardEngine {
    async fn list_containers(&self, filter: &LabelFilter) -> Result<Vec<ContainerInfo>, EngineError> {
        let options = ListContainersOptions { all: true, filters: Some(label_filters(filter)), ..Default::default() };
        let summaries = self.client().await?.list_containers(Some(options)).await.map_err(engine_error)?;
        Ok(summaries
            .into_iter()
            .filter_map(|c| {
                let id = c.id?;
                let name = c.names.and_then(|n| n.into_iter().next()).unwrap_or_default();
                let mut public_ports: Vec<u16> =
                    c.ports.unwrap_or_default().iter().filter_map(|p| p.public_port).collect();
                public_ports.sort_unstable();
                public_ports.dedup();
                let mounts = c.mounts.unwrap_or_default().into_iter().filter_map(|m| m.source).collect();
                Some(ContainerInfo {
                    id,
                    name: name.trim_start_matches('/').to_owned(),
                    labels: c.labels.unwrap_or_default(),
                    state: c.state.map_or(ServiceState::Unknown, |s| ServiceState::from_docker(s.as_ref())),
                    image_id: c.image_id,
                    public_ports,
                    mounts,
                })
            })
            .collect())
    }

    async fn container_status(&self, id: &str) -> Result<Option<ContainerStatus>, EngineError> {
        let inspect = match self.client().await?.inspect_container(id, None).await.map_err(engine_error) {
            Ok(inspect) => inspect,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        let state = inspect.state.unwrap_or_default();
        let restart = inspect.host_config.and_then(|h| h.restart_policy).and_then(|p| p.name);
        let restart_policy = restart.is_some_and(|name| !matches!(name.to_string().as_str(), "" | "no"));
        let status = state.status.map_or(ServiceState::Unknown, |s| ServiceState::from_docker(s.as_ref()));
        let health = state.health.and_then(|h| h.status).and_then(|s| ContainerHealth::from_docker(s.as_ref()));
        // Docker writes the zero time for "never": not a time to show.
        let real = |at: Option<String>| at.filter(|t| !t.starts_with("0001-"));
        let since = if status.is_stopped() { real(state.finished_at) } else { real(state.started_at) };
        Ok(Some(ContainerStatus {
            state: status,
            exit_code: state.exit_code,
            restart_policy,
            restart_count: inspect.restart_count.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            health,
            image: inspect.image,
            labels: inspect.config.and_then(|c| c.labels).unwrap_or_default(),
            since,
        }))
    }

    async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptions { force: true, ..Default::default() };
        ignore_not_found(self.client().await?.remove_container(id, Some(options)).await)
    }

    async fn restart_container(&self, id: &str) -> Result<(), EngineError> {
        let options = RestartContainerOptions { t: Some(10), ..Default::default() };
        self.client().await?.restart_container(id, Some(options)).await.map_err(engine_error)
    }

    async fn list_networks(&self, filter: &LabelFilter) -> Result<Vec<NetworkInfo>, EngineError> {
        let options = ListNetworksOptions { filters: Some(label_filters(filter)) };
        let networks = self.client().await?.list_networks(Some(options)).await.map_err(engine_error)?;
        Ok(networks
            .into_iter()
            .filter_map(|n| Some(NetworkInfo { id: n.id?, name: n.name.unwrap_or_default() }))
            .collect())
    }

    async fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        ignore_not_found(self.client().await?.remove_network(id).await)
    }

    async fn image_tags(&self, id: &str) -> Result<Option<Vec<String>>, EngineError> {
        match self.client().await?.inspect_image(id).await.map_err(engine_error) {
            Ok(image) => {
                Ok(Some(image.repo_tags.unwrap_or_default().into_iter().filter(|t| t != "<none>:<none>").collect()))
            }
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn remove_image(&self, id: &str) -> Result<(), EngineError> {
        let options = RemoveImageOptions { force: false, noprune: false, ..Default::default() };
        let result = self.client().await?.remove_image(id, Some(options), None).await.map(|_| ());
        ignore_not_found(result)
    }

    async fn prune_dangling_images(&self, filter: &LabelFilter) -> Result<usize, EngineError> {
        let mut filters = label_filters(filter);
        filters.insert("dangling".to_owned(), vec!["true".to_owned()]);
        let options = PruneImagesOptions { filters: Some(filters) };
        let pruned = self.client().await?.prune_images(Some(options)).await.map_err(engine_error)?;
        Ok(pruned.images_deleted.map_or(0, |d| d.iter().filter(|i| i.deleted.is_some()).count()))
    }

    async fn log_tail(&self, id: &str, lines: usize) -> Result<Vec<(LogStream, String)>, EngineError> {
        let options = LogsOptions { stdout: true, stderr: true, tail: lines.to_string(), ..Default::default() };
        let mut stream = self.client().await?.logs(id, Some(options));
        let mut out = Vec::new();
        let collect = async {
            while let Some(chunk) = stream.next().await {
                let (kind, bytes) = match chunk.map_err(engine_error)? {
                    bollard::container::LogOutput::StdErr { message } => (LogStream::Stderr, message),
                    bollard::container::LogOutput::StdOut { message }
                    | bollard::container::LogOutput::Console { message } => (LogStream::Stdout, message),
                    bollard::container::LogOutput::StdIn { .. } => continue,
                };
                let text = String::from_utf8_lossy(&bytes);
                for line in text.lines() {
                    out.push((kind, line.to_owned()));
                }
            }
            Ok::<(), EngineError>(())
        };
        match tokio::time::timeout(LOG_TAIL_TIMEOUT, collect).await {
            Ok(result) => result?,
            Err(_) => return Err(EngineError::Other("reading the container log timed out".to_owned())),
        }
        Ok(out)
    }

    async fn container_usage(&self, id: &str) -> Result<Option<ContainerUsage>, EngineError> {
        // Not one-shot: the engine waits for a second reading, so `precpu_stats` is
        // filled and the CPU share is over the last second.
        let options = StatsOptions { stream: false, one_shot: false };
        let mut readings = self.client().await?.stats(id, Some(options));
        match tokio::time::timeout(STATS_TIMEOUT, readings.next()).await {
            Err(_) => Err(EngineError::Other(format!("no stats for container {id} within {STATS_TIMEOUT:?}"))),
            Ok(None) => Ok(None),
            Ok(Some(Err(error))) => match engine_error(error) {
                error if error.is_not_found() => Ok(None),
                error => Err(error),
            },
            Ok(Some(Ok(response))) => Ok(Some(usage_of(&response))),
        }
    }

    fn container_events(&self, filter: &LabelFilter) -> BoxStream<'static, Result<ContainerEvent, EngineError>> {
        let filters = HashMap::from([
            ("type".to_owned(), vec!["container".to_owned()]),
            ("label".to_owned(), vec![filter.to_filter()]),
        ]);
        let options = EventsOptions { filters: Some(filters), ..Default::default() };
        let cell = self.docker.clone();
        let negotiate = async move {
            let docker = connected(&cell).await?;
            Ok::<_, EngineError>(docker.events(Some(options)))
        };
        futures_util::stream::once(negotiate)
            .flat_map(|events| match events {
                Ok(events) => events
                    .filter_map(|event| async move {
                        match event {
                            Ok(event) => to_event(event).map(Ok),
                            Err(error) => Some(Err(engine_error(error))),
                        }
                    })
                    .boxed(),
                Err(error) => futures_util::stream::once(async move { Err(error) }).boxed(),
            })
            .boxed()
    }

    fn follow_logs(
        &self,
        id: &str,
        since_secs: Option<i64>,
    ) -> BoxStream<'static, Result<ContainerLogLine, EngineError>> {
        let options = LogsOptions {
            follow: true,
            stdout: true,
            stderr: true,
            timestamps: true,
            since: since_secs.and_then(|s| i32::try_from(s).ok()).unwrap_or(0),
            tail: "all".to_owned(),
            ..Default::default()
        };
        let (cell, id) = (self.docker.clone(), id.to_owned());
        let negotiate = async move {
            let docker = connected(&cell).await?;
            Ok::<_, EngineError>(docker.logs(&id, Some(options)))
        };
        futures_util::stream::once(negotiate)
            .flat_map(|chunks| match chunks {
                Ok(chunks) => {
                    chunks.flat_map(|chunk| futures_util::stream::iter(log_lines(chunk.map_err(engine_error)))).boxed()
                }
                Err(error) => futures_util::stream::once(async move { Err(error) }).boxed(),
            })
            .boxed()
    }
}

/// The lines of one chunk of a timestamped log stream.
fn log_lines(chunk: Result<bollard::container::LogOutput, EngineError>) -> Vec<Result<ContainerLogLine, EngineError>> {
    use bollard::container::LogOutput;
    use nsm_core::logs::{split_timestamp, LogStream as Stream};
    let (stream, bytes) = match chunk {
        Err(error) => return vec![Err(error)],
        Ok(LogOutput::StdErr { message }) => (Stream::Stderr, message),
        Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => (Stream::Stdout, message),
        Ok(LogOutput::StdIn { .. }) => return Vec::new(),
    };
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|raw| split_timestamp(raw).map(|(at_ms, text)| Ok(ContainerLogLine::new(at_ms, stream, text))))
        .collect()
}

fn to_event(event: bollard::models::EventMessage) -> Option<ContainerEvent> {
    let actor = event.actor?;
    Some(ContainerEvent { id: actor.id?, action: event.action?, labels: actor.attributes.unwrap_or_default() })
}
