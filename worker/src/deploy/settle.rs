//! Waiting until every service with a known expected state reaches it (design §4.5).
//! Polls inspect: a deployment's settle window is short and bounded.

use std::collections::HashMap;
use std::time::Duration;

use nsm_core::protocol::{DeploySpec, LogStream, ServiceResult};
use nsm_core::service::{verdict, ServiceState, Verdict};
use tokio::time::Instant;

use super::error::{describe, DeployError};
use super::guard::Guard;
use super::narrator::Narrator;
use crate::machine::docker::{
    compose_project_name, ContainerEngine, ContainerInfo, EngineError, LabelFilter, COMPOSE_PROJECT_LABEL,
};

const POLL: Duration = Duration::from_millis(500);
/// How long every service must hold its expected state: a service that crashes right
/// after starting has not settled.
const STABLE_FOR: Duration = Duration::from_secs(3);
/// Log lines shown for a service that stopped when it should run.
const LOG_TAIL_LINES: usize = 20;

/// One service's observed state.
struct Observation {
    result: ServiceResult,
    /// It cannot reach its expected state any more (exited, no restart policy).
    settled_wrong: bool,
    /// The container to show logs of.
    container: Option<String>,
}

const DURING: &str = "waiting for the services to settle";

/// Every service's observed state, and whether the deployment settled.
#[tracing::instrument(name = "settle", skip_all)]
pub(crate) async fn settle(
    engine: &dyn ContainerEngine,
    spec: &DeploySpec,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> (Vec<ServiceResult>, Result<(), DeployError>) {
    let watched: Vec<String> = spec
        .services
        .iter()
        .filter(|s| s.expected != ServiceState::Unknown)
        .map(|s| format!("{} {}", s.service, s.expected))
        .collect();
    if watched.is_empty() {
        narr.system("No service has an expected state: nothing to wait for");
    } else {
        narr.system(format!("Waiting up to {} s for: {}", spec.settle_secs, watched.join(", ")));
    }
    let window_end = Instant::now() + Duration::from_secs(spec.settle_secs.into());
    let filter = LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_project_name(&spec.project));
    let mut observations: Option<Vec<Observation>> = None;
    let mut all_ok_since: Option<Instant> = None;
    // Nothing to hold: one look for the report is enough.
    let stable_for = if watched.is_empty() { Duration::ZERO } else { STABLE_FOR.min(window_end - Instant::now()) };
    let outcome = loop {
        match guard.step(DURING, observe(engine, &filter, spec)).await {
            Err(stopped) => break Err(stopped),
            Ok(Err(error)) => tracing::warn!(%error, "could not inspect the project's containers"),
            Ok(Ok(observed)) => observations = Some(observed),
        }
        let pending: Vec<&Observation> = observations.iter().flatten().filter(|o| !o.result.ok).collect();
        let now = Instant::now();
        if observations.is_some() && pending.is_empty() {
            let since = *all_ok_since.get_or_insert(now);
            if now - since >= stable_for || now >= window_end {
                break Ok(());
            }
        } else {
            all_ok_since = None;
        }
        let hopeless = !pending.is_empty() && pending.iter().all(|o| o.settled_wrong);
        if hopeless || now >= window_end {
            break Err(match &observations {
                None => DeployError::Uninspectable,
                Some(_) => DeployError::Unsettled(pending.iter().map(|o| o.result.clone()).collect()),
            });
        }
        if let Err(stopped) = guard.sleep(DURING, POLL.min(window_end - now)).await {
            break Err(stopped);
        }
    };
    let observations = observations.unwrap_or_default();
    for observation in observations.iter().filter(|o| !o.result.ok) {
        explain(engine, observation, narr).await;
    }
    (observations.into_iter().map(|o| o.result).collect(), outcome)
}

async fn observe(
    engine: &dyn ContainerEngine,
    filter: &LabelFilter,
    spec: &DeploySpec,
) -> Result<Vec<Observation>, EngineError> {
    let containers = engine.list_containers(filter).await?;
    let mut by_service: HashMap<&str, Vec<&ContainerInfo>> = HashMap::new();
    for container in &containers {
        if let Some(service) = container.service() {
            by_service.entry(service).or_default().push(container);
        }
    }
    let mut observed = Vec::new();
    for expectation in &spec.services {
        let expected = expectation.expected;
        let mine = by_service.get(expectation.service.as_str()).map(Vec::as_slice).unwrap_or_default();
        // The first container that is off (or the first at all) speaks for the service.
        let Some(shown) = mine.iter().find(|c| c.state != expected).or(mine.first()) else {
            observed.push(Observation {
                result: ServiceResult {
                    service: expectation.service.clone(),
                    expected,
                    actual: ServiceState::Unknown,
                    exit_code: None,
                    ok: expected == ServiceState::Unknown,
                    container: None,
                    image: None,
                },
                // `up` has finished: a service without a container will not get one.
                settled_wrong: true,
                container: None,
            });
            continue;
        };
        let status = if shown.state.is_stopped() { engine.container_status(&shown.id).await? } else { None };
        let exit_code = status.as_ref().and_then(|s| s.exit_code);
        // A job expected to exit has settled only with exit code 0.
        let ok = verdict(expected, Some(shown.state), exit_code) != Verdict::Mismatch;
        let settled_wrong = !ok && shown.state.is_stopped() && status.as_ref().is_some_and(|s| !s.restart_policy);
        observed.push(Observation {
            result: ServiceResult {
                service: expectation.service.clone(),
                expected,
                actual: shown.state,
                exit_code,
                ok,
                container: Some(shown.id.clone()),
                image: shown.image_id.clone(),
            },
            settled_wrong,
            container: Some(shown.id.clone()),
        });
    }
    Ok(observed)
}

/// Narrates why a service is off, with the end of its log when it stopped.
async fn explain(engine: &dyn ContainerEngine, observation: &Observation, narr: &Narrator<'_>) {
    narr.system(format!("Service {}", describe(&observation.result)));
    let stopped = matches!(observation.result.actual, ServiceState::Exited | ServiceState::Dead);
    let Some(container) = observation.container.as_deref().filter(|_| stopped) else {
        return;
    };
    match engine.log_tail(container, LOG_TAIL_LINES).await {
        Ok(lines) if lines.is_empty() => narr.system(format!("`{}` wrote no output", observation.result.service)),
        Ok(lines) => {
            narr.system(format!("Last lines of `{}`:", observation.result.service));
            for (stream, line) in lines {
                narr.line(stream, format!("{} | {line}", observation.result.service));
            }
        }
        Err(error) => {
            tracing::debug!(%error, container, "could not read a container's log");
            narr.line(LogStream::System, format!("Could not read its log: {error}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;
    use futures_util::stream::BoxStream;
    use nsm_core::changes::SavedShape;
    use nsm_core::protocol::{DeployOutcome, RepoSource, ServiceExpectation};
    use nsm_core::{DeploymentId, ProjectId};
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::machine::docker::{ContainerEvent, ContainerStatus, NetworkInfo, COMPOSE_SERVICE_LABEL};

    /// Answers listings from a script of frames (the last one repeats).
    struct Scripted {
        frames: Mutex<Vec<Vec<(&'static str, ServiceState)>>>,
        restarts: bool,
        exit_code: i64,
    }

    impl Scripted {
        fn new(frames: Vec<Vec<(&'static str, ServiceState)>>, restarts: bool) -> Self {
            Self { frames: Mutex::new(frames), restarts, exit_code: 2 }
        }

        fn exiting(self, exit_code: i64) -> Self {
            Self { exit_code, ..self }
        }
    }

    #[async_trait]
    impl ContainerEngine for Scripted {
        async fn list_containers(&self, _: &LabelFilter) -> Result<Vec<ContainerInfo>, EngineError> {
            let mut frames = self.frames.lock().unwrap();
            let frame = if frames.len() > 1 { frames.remove(0) } else { frames[0].clone() };
            Ok(frame
                .into_iter()
                .map(|(service, state)| ContainerInfo {
                    id: service.to_owned(),
                    name: service.to_owned(),
                    labels: HashMap::from([(COMPOSE_SERVICE_LABEL.to_owned(), service.to_owned())]),
                    state,
                    image_id: None,
                    public_ports: vec![],
                    mounts: vec![],
                })
                .collect())
        }
        async fn container_status(&self, _: &str) -> Result<Option<ContainerStatus>, EngineError> {
            Ok(Some(ContainerStatus {
                state: ServiceState::Exited,
                exit_code: Some(self.exit_code),
                restart_policy: self.restarts,
                restart_count: 0,
                health: None,
                image: None,
                labels: HashMap::new(),
                since: None,
            }))
        }
        async fn remove_container(&self, _: &str) -> Result<(), EngineError> {
            Ok(())
        }
        async fn restart_container(&self, _: &str) -> Result<(), EngineError> {
            Ok(())
        }
        async fn list_networks(&self, _: &LabelFilter) -> Result<Vec<NetworkInfo>, EngineError> {
            Ok(vec![])
        }
        async fn remove_network(&self, _: &str) -> Result<(), EngineError> {
            Ok(())
        }
        async fn image_tags(&self, _: &str) -> Result<Option<Vec<String>>, EngineError> {
            Ok(None)
        }
        async fn remove_image(&self, _: &str) -> Result<(), EngineError> {
            Ok(())
        }
        async fn prune_dangling_images(&self, _: &LabelFilter) -> Result<usize, EngineError> {
            Ok(0)
        }
        async fn log_tail(&self, _: &str, _: usize) -> Result<Vec<(LogStream, String)>, EngineError> {
            Ok(vec![(LogStream::Stderr, "boom".to_owned())])
        }
        async fn container_usage(
            &self,
            _: &str,
        ) -> Result<Option<crate::machine::docker::ContainerUsage>, EngineError> {
            Ok(None)
        }
        fn container_events(&self, _: &LabelFilter) -> BoxStream<'static, Result<ContainerEvent, EngineError>> {
            Box::pin(futures_util::stream::empty())
        }
        fn follow_logs(
            &self,
            _: &str,
            _: Option<i64>,
        ) -> BoxStream<'static, Result<nsm_core::logs::ContainerLogLine, EngineError>> {
            Box::pin(futures_util::stream::empty())
        }
    }

    fn spec(expected: &[(&str, ServiceState)], settle_secs: u32) -> DeploySpec {
        DeploySpec {
            deployment: DeploymentId(1),
            project: ProjectId::parse("p").unwrap(),
            source: RepoSource { url: "/r".to_owned(), branch: "main".to_owned(), token: None },
            commit: None,
            saved: SavedShape::default(),
            variables: vec![],
            reserved_ports: vec![],
            directories: vec![],
            services: expected
                .iter()
                .map(|(service, expected)| ServiceExpectation { service: (*service).to_owned(), expected: *expected })
                .collect(),
            timeout_secs: 600,
            settle_secs,
            policy: Default::default(),
            force_recreate: false,
        }
    }

    async fn settle_with(engine: Scripted, spec: &DeploySpec) -> (Vec<ServiceResult>, DeployOutcome, String) {
        let (out, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let narr = Narrator::new(DeploymentId(1), &out);
        let guard = Guard::new(spec.timeout_secs, CancellationToken::new());
        let (results, settled) = settle(&engine, spec, &guard, &narr).await;
        let outcome = settled.map_or_else(|error| error.into_outcome(spec.timeout_secs), |()| DeployOutcome::Succeeded);
        drop(out);
        let mut log = String::new();
        while let Some(message) = rx.recv().await {
            if let nsm_core::protocol::WorkerMessage::DeployLog { line, .. } = message {
                log.push_str(&line.text);
                log.push('\n');
            }
        }
        (results, outcome, log)
    }

    use ServiceState::{Exited, Running};

    #[tokio::test(start_paused = true)]
    async fn a_service_crashing_right_after_start_has_not_settled() {
        let engine = Scripted::new(vec![vec![("api", Running)], vec![("api", Running)], vec![("api", Exited)]], false);
        let (results, outcome, log) = settle_with(engine, &spec(&[("api", Running)], 30)).await;
        assert!(matches!(&outcome, DeployOutcome::Failed { reason } if reason.contains("exit code 2")), "{outcome:?}");
        assert_eq!(results[0].exit_code, Some(2));
        assert!(log.contains("api | boom"), "{log}");
    }

    #[tokio::test(start_paused = true)]
    async fn one_shot_services_settle_once_exited() {
        let engine = Scripted::new(vec![vec![("job", Running)], vec![("job", Exited)]], false).exiting(0);
        let (results, outcome, _) = settle_with(engine, &spec(&[("job", Exited)], 30)).await;
        assert_eq!(outcome, DeployOutcome::Succeeded);
        assert!(results[0].ok);
    }

    #[tokio::test(start_paused = true)]
    async fn a_one_shot_service_that_fails_has_not_settled() {
        let engine = Scripted::new(vec![vec![("job", Exited)]], false).exiting(1);
        let (results, outcome, _) = settle_with(engine, &spec(&[("job", Exited)], 30)).await;
        assert!(matches!(&outcome, DeployOutcome::Failed { reason } if reason.contains("exit code 1")), "{outcome:?}");
        assert!(!results[0].ok);
    }

    #[tokio::test(start_paused = true)]
    async fn a_restarting_service_is_given_the_whole_window() {
        let engine = Scripted::new(vec![vec![("api", Exited)]], true);
        let started = Instant::now();
        let (_, outcome, _) = settle_with(engine, &spec(&[("api", Running)], 10)).await;
        assert!(matches!(outcome, DeployOutcome::Failed { .. }));
        assert!(started.elapsed() >= Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_missing_service_and_unknown_expectations() {
        let engine = Scripted::new(vec![vec![("web", Running)]], false);
        let (results, outcome, _) =
            settle_with(engine, &spec(&[("web", ServiceState::Unknown), ("api", Running)], 10)).await;
        assert!(matches!(&outcome, DeployOutcome::Failed { reason } if reason.contains("`api` is unknown")));
        assert!(results[0].ok && !results[1].ok);
    }
}
