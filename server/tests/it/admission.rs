//! A worker speaks only for its own work (design §5; issue 10, "Forged messages"): a
//! second connected worker that forges phases, log lines, results, port leases,
//! service states and answers for the embedded worker's deployment and requests
//! changes nothing, and each forgery is logged as refused with the forger's id. The
//! forger is the rightful worker of its own project, whose messages are admitted —
//! except a phase that goes back, a lease for another project's resource, a second
//! result sent right behind the first, and a replayed result once the deployment has
//! ended.
//!
//! The forger is a raw WebSocket client speaking the real protocol. A worker's
//! messages are handled in order, so once the effect of a later (admitted) message is
//! visible, every message before it has been admitted or refused.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use nsm_core::compose::{Discovery, ServiceName};
use nsm_core::protocol::{
    DeployOutcome, DeployPhase, DeployReport, EdgeAnswer, LogLine, LogStream, ServerMessage, ServiceContainer,
    SyncReport, WorkerMessage, CONNECT_PATH, PROTOCOL_VERSION,
};
use nsm_core::service::{ContainerObservation, ServiceState};
use nsm_core::{DeploymentId, ProjectId, WorkerId};
use nsm_testkit::{capture_warnings, deployment_log_text, eventually};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::common::{slow_repo, unique_id, ComposeCleanup, TestServer};
use super::edge::{add_resource, resource_id};

/// Request ids the forger tries: every id a fresh server has handed out by then
/// (they are sequential, shared with link sessions) and then some.
const GUESSED_REQUESTS: u64 = 40;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A worker link driven by the test, message by message.
pub(super) struct RawWorker {
    socket: Socket,
}

impl RawWorker {
    pub(super) async fn connect(s: &TestServer, worker: &str, token: &str) -> Self {
        let url = format!("{}{}", s.base.replace("http://", "ws://"), CONNECT_PATH);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket upgrade");
        let mut link = Self { socket };
        link.send(&WorkerMessage::Hello {
            protocol: PROTOCOL_VERSION,
            worker_id: WorkerId::parse(worker).expect("worker id"),
            token: token.to_owned(),
            version: "forger".to_owned(),
            compose: None,
            edge: nsm_core::protocol::EdgeFacts::off(),
        })
        .await;
        match link.next().await {
            ServerMessage::Welcome { .. } => link,
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    pub(super) async fn send(&mut self, message: &WorkerMessage) {
        let text = serde_json::to_string(message).expect("encode");
        self.socket.send(Message::text(text)).await.expect("send to the server");
    }

    /// The server's next message other than a heartbeat or a set of services to follow.
    pub(super) async fn next(&mut self) -> ServerMessage {
        let within = Duration::from_secs(60);
        loop {
            let frame = tokio::time::timeout(within, self.socket.next()).await.expect("a message from the server");
            match frame.expect("link open").expect("readable frame") {
                Message::Text(text) => match serde_json::from_str(&text).expect("a protocol message") {
                    // The set of services to follow logs of comes with every connect and
                    // deployment; these tests are about other messages (see `logs.rs`).
                    ServerMessage::Heartbeat | ServerMessage::FollowLogs { .. } => {}
                    message => return message,
                },
                Message::Close(_) => panic!("the server closed the link"),
                _ => {}
            }
        }
    }
}

fn line(text: &str) -> LogLine {
    LogLine { at: "2030-01-01T00:00:00Z".to_owned(), stream: LogStream::Stdout, text: text.to_owned() }
}

fn result(outcome: DeployOutcome, ports: Vec<(String, u16)>) -> Box<DeployReport> {
    let mut report = DeployReport::early(outcome);
    report.commit = Some("f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0".to_owned());
    report.ports = ports;
    Box::new(report)
}

fn key(resource: i64) -> String {
    nsm_core::variables::resource_key(resource)
}

/// A project's domain `<project>.test` with an API Service at `/api`; its resource id.
async fn api_resource(s: &TestServer, project: &str) -> i64 {
    let host = format!("{project}.test");
    let (status, body) = s.call_json("add_domain", &[("id", project), ("hostname", &host)]).await;
    assert!(status.is_success(), "{body}");
    add_resource(s, project, &host, "/api", &[("kind", "api")]).await;
    resource_id(s, project, &host, "/api").await
}

/// A container as a worker would describe it.
fn container(id: &str, state: ServiceState) -> ContainerObservation {
    ContainerObservation {
        container: id.to_owned(),
        state,
        exit_code: None,
        restarts: 0,
        health: None,
        image: None,
        deployment: None,
        since: None,
    }
}

async fn actual_state(s: &TestServer, project: &str, service: &str) -> Value {
    let (status, list) = s.call_json("list_services", &[("id", project)]).await;
    assert!(status.is_success(), "{list}");
    let found = list.as_array().and_then(|l| l.iter().find(|x| x["name"] == service)).cloned();
    found.unwrap_or_else(|| panic!("no service {service} in {list}"))["assessment"]["actual"].clone()
}

/// Waits until the last message sent on a link has been handled: its effect, a
/// service state of the link's own project, shows.
async fn handled(s: &TestServer, project: &str, service: &str, state: &str) {
    eventually(Duration::from_secs(20), Duration::from_millis(100), || async move {
        let actual = actual_state(s, project, service).await;
        if actual == state {
            return Ok(());
        }
        Err(format!("{project}/{service} is {actual}, not yet {state}"))
    })
    .await;
}

/// A git "server" that accepts connections and never answers: a sync from it stays
/// pending (a request waiting on the embedded worker) until it is stopped.
struct SilentGitServer {
    url: String,
    first_connection: tokio::sync::oneshot::Receiver<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl SilentGitServer {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/acme/silent.git", listener.local_addr().expect("address"));
        let (seen, first_connection) = tokio::sync::oneshot::channel();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let (mut held, mut seen) = (Vec::new(), Some(seen));
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((connection, _)) = accepted {
                            held.push(connection);
                            if let Some(seen) = seen.take() {
                                let _ = seen.send(());
                            }
                        }
                    }
                    _ = &mut stopped => break,
                }
            }
            // Dropping the listener and the held connections fails the clone.
        });
        Self { url, first_connection, stop }
    }
}

#[tokio::test]
async fn a_worker_speaks_only_for_its_own_work() {
    let log = capture_warnings().expect("the test process's log can be captured");
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let db = s.server.as_ref().expect("running").plane.db.clone();

    // The victim: a deployment of the embedded worker's, in progress (its service
    // sleeps while it settles against `exited`; it is cancelled at the end).
    let repo = slow_repo(600);
    let victim = s.create_project_from("it-victim", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(victim.clone());
    s.expect_slow_exited(&victim).await;
    let victim_api = api_resource(&s, &victim).await;

    // A request waiting on the embedded worker: the sync of a repository that never answers.
    let mut silent = SilentGitServer::start().await;
    let pending_project = s.create_project_from("it-pending", &silent.url).await;
    let pending_api = api_resource(&s, &pending_project).await;
    let pending_sync = {
        let (client, url) = (s.client.clone(), s.url("/api/fn/sync_project"));
        let form = [("id", pending_project.clone())];
        tokio::spawn(async move {
            let response = client.post(url).header("accept", "application/json").form(&form).send().await;
            let response = response.expect("request");
            (response.status(), response.text().await.expect("body"))
        })
    };
    tokio::time::timeout(Duration::from_secs(60), &mut silent.first_connection)
        .await
        .expect("the embedded worker starts cloning")
        .expect("connection seen");

    let running = s.deploy(&victim).await;
    s.wait_state(running, &["settling"], Duration::from_secs(120)).await;
    let victim_before = s.deployment(running).await;

    // The forger: a second worker, rightful for its own project `own`.
    let forger = unique_id("it-forger");
    let (status, issued) = s.call_json("add_worker", &[("id", &forger), ("name", "Forger")]).await;
    assert!(status.is_success(), "{issued}");
    let token = issued["token"].as_str().expect("token").to_owned();
    let own = unique_id("it-own");
    let (status, body) = s
        .call_json("create_project", &[("id", &own), ("repo_owner", "acme"), ("repo_name", "own"), ("worker", &forger)])
        .await;
    assert!(status.is_success(), "{body}");
    let own_api = api_resource(&s, &own).await;
    let mut link = RawWorker::connect(&s, &forger, &token).await;

    // Its own deployment, played by the book up to the forgeries: a first deploy
    // syncs through the forger, then hands it the job.
    let own_deployment = s.deploy(&own).await;
    let ServerMessage::Sync { request, .. } = link.next().await else { panic!("expected a sync request") };
    let discovery = Discovery {
        compose_file: Some("compose.yaml".to_owned()),
        services: vec![ServiceName::parse("web").expect("name")],
        variables: BTreeSet::new(),
    };
    let commit = "0123456789abcdef0123456789abcdef01234567".to_owned();
    link.send(&WorkerMessage::Synced { request, result: Ok(SyncReport { commit, discovery }) }).await;
    let ServerMessage::Deploy { spec } = link.next().await else { panic!("expected the deployment's job") };
    assert_eq!(spec.deployment, DeploymentId(own_deployment));

    // Forgeries against the embedded worker's deployment, project and requests.
    let victim_id = DeploymentId(running);
    let victim_project = ProjectId::parse(&victim).expect("id");
    link.send(&WorkerMessage::DeployPhase { deployment: victim_id, phase: DeployPhase::Preparing }).await;
    link.send(&WorkerMessage::DeployLog { deployment: victim_id, line: line("forged line") }).await;
    let leases = vec![(key(victim_api), 47001), (key(pending_api), 47002)];
    let report = result(DeployOutcome::Succeeded, leases);
    link.send(&WorkerMessage::DeployFinished { deployment: victim_id, report }).await;
    let ports = vec![(key(victim_api), 47003), (key(pending_api), 47004)];
    link.send(&WorkerMessage::PortsLeased { deployment: victim_id, ports }).await;
    let forged = container("forged", ServiceState::Paused);
    let changed = WorkerMessage::ContainerChanged {
        project: victim_project.clone(),
        service: "slow".into(),
        observation: forged.clone(),
    };
    link.send(&changed).await;
    let entry = ServiceContainer { project: victim_project, service: "slow".into(), observation: forged };
    link.send(&WorkerMessage::ContainersSnapshot { containers: vec![entry] }).await;
    for request in 1..=GUESSED_REQUESTS {
        let forged = Discovery { services: vec![ServiceName::parse("forged").expect("name")], ..Discovery::default() };
        let report = SyncReport { commit: "f".repeat(40), discovery: forged };
        link.send(&WorkerMessage::Synced { request, result: Ok(report) }).await;
        link.send(&WorkerMessage::TornDown { request, result: Ok(()) }).await;
        link.send(&WorkerMessage::EdgeDone { request, result: Ok(EdgeAnswer::Done) }).await;
    }

    // Its own deployment: forward is admitted, backwards is not; a lease for the
    // victim's resource is refused, its own is kept.
    let own_id = DeploymentId(own_deployment);
    link.send(&WorkerMessage::DeployPhase { deployment: own_id, phase: DeployPhase::Starting }).await;
    link.send(&WorkerMessage::DeployPhase { deployment: own_id, phase: DeployPhase::Preparing }).await;
    link.send(&WorkerMessage::DeployLog { deployment: own_id, line: line("own line") }).await;
    let leases = vec![(key(own_api), 47010), (key(victim_api), 47011)];
    let report = result(DeployOutcome::Failed { reason: "own result".into() }, leases);
    link.send(&WorkerMessage::DeployFinished { deployment: own_id, report }).await;
    // A second result right behind it, before the first can be recorded: refused.
    let report = result(DeployOutcome::Succeeded, vec![(key(own_api), 47012)]);
    link.send(&WorkerMessage::DeployFinished { deployment: own_id, report }).await;
    let own_project = ProjectId::parse(&own).expect("id");
    let running_state = ServiceState::Running;
    link.send(&WorkerMessage::ContainerChanged {
        project: own_project.clone(),
        service: "web".into(),
        observation: container("own", running_state),
    })
    .await;
    handled(&s, &own, "web", "running").await;
    let own_after = s.wait_end(own_deployment, Duration::from_secs(20)).await;
    assert_eq!(own_after["summary"]["state"], "failed", "{own_after}");
    assert_eq!(own_after["summary"]["reason"], "own result", "{own_after}");
    assert!(deployment_log_text(&own_after).contains("own line"), "{own_after}");

    // A replayed result for the ended deployment, from its rightful worker.
    let report = result(DeployOutcome::Succeeded, vec![(key(own_api), 47020)]);
    link.send(&WorkerMessage::DeployFinished { deployment: own_id, report }).await;
    let exited = ServiceState::Exited;
    let observation = container("own", exited);
    link.send(&WorkerMessage::ContainerChanged { project: own_project, service: "web".into(), observation }).await;
    handled(&s, &own, "web", "exited").await;

    // Nothing forged changed anything.
    let victim_after = s.deployment(running).await;
    assert_eq!(victim_after["summary"]["state"], "settling", "{victim_after}");
    assert_eq!(victim_after["summary"]["reason"], Value::Null, "{victim_after}");
    assert_eq!(victim_after["summary"]["commit"], victim_before["summary"]["commit"], "{victim_after}");
    assert!(!deployment_log_text(&victim_after).contains("forged"), "{victim_after}");
    assert_ne!(actual_state(&s, &victim, "slow").await, "paused");
    let on_local = nsm_server::db::domains::leases_on(&db, "local").await.expect("leases");
    assert!(on_local.iter().all(|(r, _)| ![victim_api, pending_api].contains(r)), "{on_local:?}");
    let on_forger = nsm_server::db::domains::leases_on(&db, &forger).await.expect("leases");
    assert_eq!(on_forger, vec![(own_api, 47010)], "only its own lease, from the first result only");
    let replayed = s.deployment(own_deployment).await;
    assert_eq!(replayed["summary"], own_after["summary"], "a replayed result changes nothing");

    // The pending sync was not answered by the forger: it fails with the embedded
    // worker's own answer once the repository hangs up.
    let _ = silent.stop.send(());
    let (status, body) =
        tokio::time::timeout(Duration::from_secs(120), pending_sync).await.expect("the sync ends").expect("task");
    assert!(!status.is_success(), "the sync must fail, not take the forged answer: {body}");
    let (_, services) = s.call_json("list_services", &[("id", &pending_project)]).await;
    assert!(!services.to_string().contains("forged"), "{services}");

    // Each refusal was logged, naming the forger, the kind and the subject.
    let refused = |words: &[&str]| {
        let mut all = vec![forger.as_str(), "refused"];
        all.extend_from_slice(words);
        let found = log.lines_with(&all);
        assert!(!found.is_empty(), "no warning with {all:?} among:\n{}", log.lines_with(&["refused"]).join("\n"));
    };
    let victim_field = format!("deployment={running} ");
    for kind in ["deploy_phase", "deploy_log", "deploy_finished", "ports_leased"] {
        refused(&[kind, &victim_field, "assigned to worker local"]);
    }
    refused(&["container_changed", &format!("project={victim} "), "assigned to worker local"]);
    let left_out = log.lines_with(&[forger.as_str(), "a snapshot listed containers of other nodes' projects"]);
    assert!(!left_out.is_empty(), "the forged snapshot entry was not reported as left out");
    for request in 1..=GUESSED_REQUESTS {
        let field = format!("request={request} ");
        refused(&["\"synced\"", &field]);
        refused(&["\"torn_down\"", &field]);
        refused(&["\"edge_done\"", &field]);
    }
    refused(&["\"synced\"", "the request was sent to worker local"]);
    refused(&["\"torn_down\"", "the request was sent to worker local"]);
    let own_field = format!("deployment={own_deployment} ");
    refused(&["deploy_phase", &own_field, "never goes back"]);
    refused(&["port lease", &own_field, &format!("resource=\"{}\"", key(victim_api))]);
    refused(&["deploy_finished", &own_field, "already ended"]);

    // The victim's rightful worker still has its say.
    let (status, body) = s.call_json("cancel_deployment", &[("deployment", &running.to_string())]).await;
    assert!(status.is_success(), "{body}");
    let ended = s.wait_end(running, Duration::from_secs(60)).await;
    assert_eq!(ended["summary"]["state"], "cancelled", "{ended}");
}
