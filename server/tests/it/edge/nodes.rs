//! Every worker publishes its own projects: the embedded `local` node and a second
//! worker with its own data directory and its own managed nginx on other ports (as
//! on another machine) each serve their project — Static Page, API Service, Redirect
//! — through their own edge; the second keeps serving without the control plane and
//! adopts its files when restarted. A deployment whose API Service does not listen,
//! or whose Static Page directory stays empty, fails with what the edge answered.

use std::path::Path;
use std::time::Duration;

use nsm_core::WorkerId;
use nsm_testkit::{docker_or_skip, nginx_or_skip, FixtureRepo, BUSYBOX_IMAGE};

use super::super::common::{ComposeCleanup, TestServer};
use super::support::{browser, edge_settings, start_with_edge};
use super::{add_resource, reference, resource_id};

/// A page written into the Static Page's directory, and an API answering under
/// `/api/`; what each does is the project's `SITE_SCRIPT` / `API_SCRIPT`.
fn app_files() -> Vec<(&'static str, String)> {
    let compose = format!(
        r#"services:
  site:
    image: {BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "${{SITE_SCRIPT}}"]
    volumes:
      - "${{SITE_DIR}}:/out"
  api:
    image: {BUSYBOX_IMAGE}
    init: true
    command: ["sh", "-c", "${{API_SCRIPT}}"]
    environment:
      NODE: "${{NODE}}"
    ports:
      - "${{API_PORT}}:8081"
"#
    );
    vec![("compose.yaml", compose)]
}

pub(super) const SERVE_API: &str =
    "mkdir -p /w/api && echo \"api of $NODE\" > /w/api/hello.txt && exec httpd -f -p 8081 -h /w";

/// A project on `worker` with a Static Page at `/`, an API Service at `/api` and a
/// Redirect at `/old` on `hostname`.
pub(super) async fn site_project(
    s: &TestServer,
    worker: &str,
    hostname: &str,
    site_script: &str,
    api_script: &str,
) -> (String, FixtureRepo) {
    let repo = FixtureRepo::new().expect("repo");
    let files = app_files();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    repo.commit(&refs, "node fixture").expect("commit");
    let id = super::super::common::unique_id("it-node");
    let form = [("id", id.as_str()), ("repo_url", &repo.file_url()), ("worker", worker), ("timeout_secs", "120")];
    let (status, body) = s.call_json("create_project", &form).await;
    assert!(status.is_success(), "{body}");
    let (status, body) = s.call_json("add_domain", &[("id", &id), ("hostname", hostname)]).await;
    assert!(status.is_success(), "{body}");
    add_resource(s, &id, hostname, "/", &[("kind", "static")]).await;
    add_resource(s, &id, hostname, "/api", &[("kind", "api")]).await;
    add_resource(s, &id, hostname, "/old", &[("kind", "redirect"), ("target", "https://example.com/moved")]).await;
    reference(s, &id, "SITE_DIR", "directory", resource_id(s, &id, hostname, "/").await).await;
    reference(s, &id, "API_PORT", "port", resource_id(s, &id, hostname, "/api").await).await;
    s.set_plain(&id, "SITE_SCRIPT", site_script).await;
    s.set_plain(&id, "API_SCRIPT", api_script).await;
    s.set_plain(&id, "NODE", worker).await;
    (id, repo)
}

pub(super) fn write_page(node: &str) -> String {
    format!("echo 'page of {node}' > /out/index.html && exec sleep 3600")
}

/// GETs until the answer is `expected`: `<status> <body>`, or a bare status.
pub(super) async fn answers(https: u16, hostname: &str, path: &str, expected: &str) {
    let url = format!("https://{hostname}:{https}{path}");
    nsm_testkit::eventually(Duration::from_secs(30), Duration::from_millis(300), || async {
        let client = browser(&[hostname], https);
        let got = match client.get(&url).send().await {
            Ok(r) => format!("{} {}", r.status().as_u16(), r.text().await.unwrap_or_default().trim()),
            Err(e) => e.to_string(),
        };
        // A bare status (`404`) says nothing of the body (nginx's own page).
        if got == expected || (expected.len() == 3 && got.split(' ').next() == Some(expected)) {
            Ok(())
        } else {
            Err(format!("{url}: expected {expected:?}, got {got:?}"))
        }
    })
    .await;
}

/// Adds worker `node-2` and starts it, online, with its data directory under `temp`
/// and its edge on free ports: (node, token, data dir, (http, https)).
pub(super) async fn second_node(
    s: &TestServer,
    temp: &Path,
    nginx: &Path,
    stop_on_exit: bool,
) -> (Node, String, std::path::PathBuf, (u16, u16)) {
    let (_, issued) = s.call_json("add_worker", &[("id", "node-2"), ("name", "Node 2")]).await;
    let token = issued["token"].as_str().expect("token").to_owned();
    let dir = temp.join("node-2");
    let ports = (nsm_testkit::free_port(), nsm_testkit::free_port());
    let node = Node::start_at(&s.base, &token, &dir, nginx, ports, stop_on_exit);
    s.worker_online("node-2", Duration::from_secs(20)).await;
    (node, token, dir, ports)
}

/// A second worker, in this process, with its own data directory and edge.
pub(super) struct Node {
    task: tokio::task::JoinHandle<Result<(), nsm_worker::WorkerError>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Node {
    /// `stop_on_exit: false`: its nginx keeps serving when it stops, as in production.
    fn start_at(base: &str, token: &str, dir: &Path, nginx: &Path, ports: (u16, u16), stop_on_exit: bool) -> Self {
        let mut edge = nsm_worker::EdgeConfig::off();
        edge.stop_on_exit = stop_on_exit;
        edge.mode = nsm_core::edge::EdgeMode::Managed;
        edge.nginx_bin = nginx.to_path_buf();
        (edge.http_port, edge.https_port) = (Some(ports.0), Some(ports.1));
        edge.nginx_user = nix::unistd::geteuid().is_root().then(|| "root".to_owned());
        let config = nsm_worker::WorkerConfig {
            server_url: base.replace("http://", "ws://"),
            worker_id: WorkerId::parse("node-2").expect("id"),
            token: token.to_owned(),
            data_dir: dir.to_path_buf(),
            edge,
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(nsm_worker::run(config, async {
            let _ = stopped.await;
        }));
        Self { task, stop }
    }

    pub(super) async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("worker task").expect("worker stops cleanly");
    }
}

#[tokio::test]
async fn each_node_serves_its_own_projects_through_its_own_edge() {
    let Some(nginx) = nginx_or_skip() else { return };
    if !docker_or_skip() {
        return;
    }
    let temp = tempfile::tempdir().expect("temp");
    let edge = edge_settings(&nginx);
    let local_https = edge.https_port.unwrap_or_default();
    let s = start_with_edge(temp.path().join("control"), edge).await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;
    let (node, token, node_dir, node_ports) = second_node(&s, temp.path(), &nginx, false).await;

    let (on_local, _repo_a) = site_project(&s, "local", "a.nodes.test", &write_page("local"), SERVE_API).await;
    let (on_node, _repo_b) = site_project(&s, "node-2", "b.nodes.test", &write_page("node-2"), SERVE_API).await;
    let (_a, _b) = (ComposeCleanup(on_local.clone()), ComposeCleanup(on_node.clone()));
    for id in [&on_local, &on_node] {
        let deployment = s.deploy(id).await;
        let detail = s.wait_end(deployment, Duration::from_secs(180)).await;
        let log = nsm_testkit::deployment_log_text(&detail);
        assert_eq!(detail["summary"]["state"], "succeeded", "{log}");
        assert!(
            log.contains("edge: API Service https://") && log.contains("/api answered"),
            "the API was probed: {log}"
        );
    }

    // Each project is served by its own node's nginx, and only there.
    answers(local_https, "a.nodes.test", "/", "200 page of local").await;
    answers(local_https, "a.nodes.test", "/api/hello.txt", "200 api of local").await;
    answers(node_ports.1, "b.nodes.test", "/", "200 page of node-2").await;
    answers(node_ports.1, "b.nodes.test", "/api/hello.txt", "200 api of node-2").await;
    let redirect = browser(&["b.nodes.test"], node_ports.1)
        .get(format!("https://b.nodes.test:{}/old", node_ports.1))
        .send()
        .await
        .expect("request");
    assert_eq!(redirect.status().as_u16(), 302);
    answers(local_https, "b.nodes.test", "/", "404").await;
    answers(node_ports.1, "a.nodes.test", "/", "404").await;

    // The hostname's key lives on the node that serves it, and nowhere else.
    let node_cert = node_dir.join("edge").join("certs").join("b.nodes.test.pem");
    assert!(node_cert.exists(), "node-2 holds its hostname's certificate and key");
    assert!(!temp.path().join("control").join("edge").join("certs").join("b.nodes.test.pem").exists());
    let view = super::domains_view(&s, &on_node).await;
    assert_eq!(view["node"], "node-2");
    assert_eq!(view["https_port"], node_ports.1);
    assert_eq!(view["published"], true);

    // The control plane goes away: the node keeps serving.
    s.server.expect("running").shutdown().await.expect("clean shutdown");
    answers(node_ports.1, "b.nodes.test", "/", "200 page of node-2").await;
    // The worker stops: its nginx is its own process and keeps serving.
    let pid_file = node_dir.join("edge").join("nginx").join("nginx.pid");
    let master = std::fs::read_to_string(&pid_file).expect("pid file").trim().to_owned();
    node.stop().await;
    answers(node_ports.1, "b.nodes.test", "/", "200 page of node-2").await;
    // It starts again (still without its control plane): it adopts that nginx, and
    // its files.
    let restarted = Node::start_detached(&token, &node_dir, &nginx, node_ports);
    answers(node_ports.1, "b.nodes.test", "/", "200 page of node-2").await;
    answers(node_ports.1, "b.nodes.test", "/api/hello.txt", "200 api of node-2").await;
    assert_eq!(std::fs::read_to_string(&pid_file).expect("pid file").trim(), master, "the same master, adopted");
    restarted.stop().await;
    // Told to stop it on exit, the worker did.
    nsm_testkit::eventually(Duration::from_secs(15), Duration::from_millis(100), || async {
        // A zombie (exited, not yet reaped by this process) serves nothing.
        let stat = std::fs::read_to_string(format!("/proc/{master}/stat")).unwrap_or_default();
        let running = stat.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'));
        if running {
            Err(format!("nginx {master} still runs"))
        } else {
            Ok(())
        }
    })
    .await;
}

impl Node {
    /// The worker with nobody to talk to: it serves what it has and keeps dialling.
    fn start_detached(token: &str, dir: &Path, nginx: &Path, ports: (u16, u16)) -> Self {
        let nowhere = format!("http://127.0.0.1:{}", nsm_testkit::free_port());
        Self::start_at(&nowhere, token, dir, nginx, ports, true)
    }
}

#[tokio::test]
async fn a_deployment_that_is_not_served_fails_with_what_the_edge_answered() {
    let Some(nginx) = nginx_or_skip() else { return };
    if !docker_or_skip() {
        return;
    }
    let temp = tempfile::tempdir().expect("temp");
    let s = start_with_edge(temp.path().to_path_buf(), edge_settings(&nginx)).await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;

    // The API Service's container runs, but nothing listens on its port.
    let (silent, _repo_s) =
        site_project(&s, "local", "silent.nodes.test", &write_page("local"), "exec sleep 3600").await;
    // The Static Page's directory is never written.
    let (empty, _repo_e) = site_project(&s, "local", "empty.nodes.test", "exec sleep 3600", SERVE_API).await;
    let _cleanup = (ComposeCleanup(silent.clone()), ComposeCleanup(empty.clone()));

    let deployment = s.deploy(&silent).await;
    let detail = s.wait_end(deployment, Duration::from_secs(180)).await;
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default().to_owned();
    assert_eq!(detail["summary"]["state"], "failed", "{detail}");
    assert!(
        reason.contains("silent.nodes.test/api (API Service) is not served: nginx answered 502"),
        "the reason names the resource and the answer: {reason}"
    );

    let deployment = s.deploy(&empty).await;
    let detail = s.wait_end(deployment, Duration::from_secs(180)).await;
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default().to_owned();
    assert_eq!(detail["summary"]["state"], "failed", "{detail}");
    assert!(
        reason.contains("empty.nodes.test/ (Static Page) is not served") && reason.contains("is empty"),
        "{reason}"
    );
}
