//! `nsm_worker::run` against a stand-in server speaking the worker protocol over a
//! real WebSocket: hello and refusal, jobs over the link, reconnection, and a job that
//! outlives a dropped link.
// Helpers panic on a broken fixture; the handshake callback's error type is tungstenite's.
#![allow(clippy::expect_used, clippy::result_large_err)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{fixture_shape, TestResult};
use futures_util::{SinkExt, StreamExt};
use nsm_core::env::EnvName;
use nsm_core::protocol::{
    DeployOutcome, DeploySpec, JobValue, JobVariable, RepoSource, ServerMessage, WorkerMessage, CONNECT_PATH,
    PROTOCOL_VERSION,
};
use nsm_core::service::ServiceState;
use nsm_core::{DeploymentId, ProjectId, WorkerId};
use nsm_testkit::{docker_or_skip, fixture_app_files, FixtureApp, FixtureRepo};
use nsm_worker::{run, WorkerConfig, WorkerError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const TOKEN: &str = "link-test-token";
const WAIT: Duration = Duration::from_secs(30);

type Socket = WebSocketStream<TcpStream>;

struct Worker {
    task: JoinHandle<Result<(), WorkerError>>,
    stop: Option<oneshot::Sender<()>>,
    _data: tempfile::TempDir,
}

impl Worker {
    fn start(addr: std::net::SocketAddr) -> TestResult<Self> {
        let data = tempfile::tempdir()?;
        let config = WorkerConfig {
            server_url: format!("ws://{addr}"),
            worker_id: WorkerId::parse("test-link")?,
            token: TOKEN.to_owned(),
            data_dir: data.path().to_owned(),
            edge: nsm_worker::EdgeConfig::off(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(run(config, async {
            let _ = stopped.await;
        }));
        Ok(Self { task, stop: Some(stop), _data: data })
    }

    async fn shut_down(mut self) -> Result<(), WorkerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(WAIT, &mut self.task).await.expect("the worker stops").expect("the task ran")
    }
}

/// Accepts the next WebSocket connection; returns it with the path it asked for.
async fn accept(listener: &TcpListener) -> TestResult<(Socket, String)> {
    let (stream, _) = tokio::time::timeout(WAIT, listener.accept()).await??;
    let path = Arc::new(Mutex::new(String::new()));
    let seen = path.clone();
    let socket = tokio_tungstenite::accept_hdr_async(stream, move |request: &Request, response: Response| {
        *seen.lock().expect("not poisoned") = request.uri().path().to_owned();
        Ok(response)
    })
    .await?;
    let path = path.lock().map_err(|_| "poisoned")?.clone();
    Ok((socket, path))
}

async fn send(socket: &mut Socket, message: &ServerMessage) -> TestResult {
    socket.send(Message::text(serde_json::to_string(message)?)).await?;
    Ok(())
}

/// The next message `wanted` accepts, skipping heartbeats, state reports and others.
async fn expect<T>(socket: &mut Socket, mut wanted: impl FnMut(WorkerMessage) -> Option<T>) -> TestResult<T> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next()).await?.ok_or("the worker hung up")??;
        if let Message::Text(text) = frame {
            if let Some(found) = wanted(serde_json::from_str(&text)?) {
                return Ok(found);
            }
        }
    }
}

/// Accepts a connection, checks the hello, and welcomes the worker.
async fn welcome(listener: &TcpListener) -> TestResult<Socket> {
    let (mut socket, path) = accept(listener).await?;
    assert_eq!(path, CONNECT_PATH);
    let hello = expect(&mut socket, |m| matches!(m, WorkerMessage::Hello { .. }).then_some(m)).await?;
    let WorkerMessage::Hello { protocol, worker_id, token, version, .. } = hello else { unreachable!() };
    assert_eq!((protocol, worker_id.as_str(), token.as_str()), (PROTOCOL_VERSION, "test-link", TOKEN));
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    send(&mut socket, &ServerMessage::Welcome { protocol: PROTOCOL_VERSION }).await?;
    Ok(socket)
}

#[tokio::test]
async fn a_refused_worker_returns_the_reason_instead_of_retrying() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let worker = Worker::start(listener.local_addr()?)?;
    let (mut socket, _) = accept(&listener).await?;
    expect(&mut socket, |m| matches!(m, WorkerMessage::Hello { .. }).then_some(())).await?;
    send(&mut socket, &ServerMessage::Refused { reason: "unknown worker or wrong token".to_owned() }).await?;
    let result = tokio::time::timeout(WAIT, worker.task).await??;
    match result {
        Err(WorkerError::Refused { reason }) => assert_eq!(reason, "unknown worker or wrong token"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn an_http_401_is_a_refusal() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let worker = Worker::start(listener.local_addr()?)?;
    let (mut stream, _) = tokio::time::timeout(WAIT, listener.accept()).await??;
    let mut request = vec![0u8; 4096];
    let _ = stream.read(&mut request).await?;
    stream.write_all(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 9\r\nConnection: close\r\n\r\nbad token").await?;
    drop(stream);
    let result = tokio::time::timeout(WAIT, worker.task).await??;
    assert!(matches!(&result, Err(WorkerError::Refused { reason }) if reason.contains("401")), "{result:?}");
    Ok(())
}

#[tokio::test]
async fn serves_jobs_and_reconnects_after_the_link_drops() -> TestResult {
    let repo = FixtureRepo::new()?;
    let files = fixture_app_files(&FixtureApp::default());
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    let head = repo.commit(&borrowed, "app")?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let worker = Worker::start(listener.local_addr()?)?;
    let mut socket = welcome(&listener).await?;

    let source = RepoSource { url: repo.file_url(), branch: "main".to_owned(), token: None };
    send(&mut socket, &ServerMessage::Sync { request: 7, source }).await?;
    let result = expect(&mut socket, |m| match m {
        WorkerMessage::Synced { request: 7, result } => Some(result),
        _ => None,
    })
    .await?;
    let report = result?;
    assert_eq!(report.commit, head);
    assert_eq!(report.discovery.services.len(), 2);

    // Containers of managed projects are reported from Docker's event stream, and
    // again as a snapshot after reconnecting (this part needs Docker).
    let docker = docker_or_skip();
    let watched = format!("wt-events-{}", std::process::id());
    let container = format!("nsmtest-events-{}", std::process::id());
    if docker {
        let started = std::process::Command::new("docker")
            .args(["run", "-d", "--init", "--name", &container, "--label"])
            .arg(format!("dev.nsm.project={watched}"))
            .args(["--label", "dev.nsm.service=web", nsm_testkit::BUSYBOX_IMAGE, "sleep", "300"])
            .output()?;
        assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
        expect(&mut socket, |m| service_state(&m, &watched).filter(|s| *s == ServiceState::Running)).await?;
    }

    // The server goes away; the worker comes back by itself.
    drop(socket);
    let started = std::time::Instant::now();
    let mut socket = welcome(&listener).await?;
    assert!(started.elapsed() < Duration::from_secs(5), "reconnected after {:?}", started.elapsed());
    send(&mut socket, &ServerMessage::Heartbeat).await?;

    if docker {
        expect(&mut socket, |m| service_state(&m, &watched).filter(|s| *s == ServiceState::Running)).await?;
        let _ = std::process::Command::new("docker").args(["rm", "-f", &container]).output()?;
        let gone = expect(&mut socket, |m| {
            service_state(&m, &watched).filter(|s| matches!(s, ServiceState::Exited | ServiceState::Removing))
        })
        .await?;
        assert!(matches!(gone, ServiceState::Exited | ServiceState::Removing));

        let project = ProjectId::parse(&format!("wt-link-{}", std::process::id()))?;
        send(&mut socket, &ServerMessage::Teardown { request: 8, project }).await?;
        let result = expect(&mut socket, |m| match m {
            WorkerMessage::TornDown { request: 8, result } => Some(result),
            _ => None,
        })
        .await?;
        assert_eq!(result, Ok(()));
    }
    worker.shut_down().await?;
    Ok(())
}

/// The state a message reports for `project`'s `web` service (a removed container:
/// `removing`, the last state Docker would show).
fn service_state(message: &WorkerMessage, project: &str) -> Option<ServiceState> {
    let web = |p: &ProjectId, service: &str| p.as_str() == project && service == "web";
    match message {
        WorkerMessage::ContainerChanged { project: p, service, observation } if web(p, service) => {
            Some(observation.state)
        }
        WorkerMessage::ContainerRemoved { project: p, service, .. } if web(p, service) => Some(ServiceState::Removing),
        WorkerMessage::ContainersSnapshot { containers } => {
            containers.iter().find(|c| web(&c.project, &c.service)).map(|c| c.observation.state)
        }
        _ => None,
    }
}

fn slow_spec(project: &ProjectId, deployment: i64, url: &str) -> DeploySpec {
    let var = |name: &str, value| JobVariable { name: EnvName::parse(name).expect("valid name"), value };
    DeploySpec {
        deployment: DeploymentId(deployment),
        project: project.clone(),
        source: RepoSource { url: url.to_owned(), branch: "main".to_owned(), token: None },
        commit: None,
        saved: fixture_shape(),
        variables: vec![
            var("WEB_PORT", JobValue::Port { resource: "web".to_owned(), preferred: None }),
            var("API_PORT", JobValue::Port { resource: "api".to_owned(), preferred: None }),
            var("GREETING", JobValue::Text { text: "hi".to_owned(), secret: false }),
        ],
        reserved_ports: Vec::new(),
        directories: Vec::new(),
        services: Vec::new(),
        timeout_secs: 120,
        settle_secs: 5,
        policy: Default::default(),
        force_recreate: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_outlives_a_dropped_link_and_reports_after_reconnecting() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    nsm_testkit::ensure_busybox_image()?;
    let repo = FixtureRepo::new()?;
    let files = fixture_app_files(&FixtureApp { build_sleep_secs: Some(123), ..Default::default() });
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    repo.commit(&borrowed, "slow build")?;
    let project = ProjectId::parse(&format!("wt-linkjob-{}", std::process::id()))?;
    let _cleanup = common::Deployer::new("linkjob").await?;

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let worker = Worker::start(listener.local_addr()?)?;
    let mut socket = welcome(&listener).await?;
    send(&mut socket, &ServerMessage::Deploy { spec: Box::new(slow_spec(&project, 601, &repo.file_url())) }).await?;
    expect(&mut socket, |m| {
        matches!(m, WorkerMessage::DeployPhase { deployment: DeploymentId(601), .. }).then_some(())
    })
    .await?;
    drop(socket);

    // Reconnected: the job is still running; cancel it and get its report here.
    let mut socket = welcome(&listener).await?;
    expect(&mut socket, |m| {
        matches!(m, WorkerMessage::DeployLog { deployment: DeploymentId(601), ref line } if line.text.contains("Step"))
            .then_some(())
    })
    .await?;
    send(&mut socket, &ServerMessage::Cancel { deployment: DeploymentId(601) }).await?;
    let report = expect(&mut socket, |m| match m {
        WorkerMessage::DeployFinished { deployment: DeploymentId(601), report } => Some(report),
        _ => None,
    })
    .await?;
    assert!(matches!(report.outcome, DeployOutcome::Cancelled { .. }), "{:?}", report.outcome);

    // Stopping the worker mid-job cancels the job and still reports it.
    send(&mut socket, &ServerMessage::Deploy { spec: Box::new(slow_spec(&project, 602, &repo.file_url())) }).await?;
    expect(&mut socket, |m| {
        matches!(m, WorkerMessage::DeployLog { deployment: DeploymentId(602), ref line } if line.text.contains("Step"))
            .then_some(())
    })
    .await?;
    let stopping = tokio::spawn(worker.shut_down());
    let report = expect(&mut socket, |m| match m {
        WorkerMessage::DeployFinished { deployment: DeploymentId(602), report } => Some(report),
        _ => None,
    })
    .await?;
    assert!(matches!(report.outcome, DeployOutcome::Cancelled { .. }), "{:?}", report.outcome);
    stopping.await??;
    Ok(())
}
