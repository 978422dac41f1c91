//! Expected versus actual against a real Docker Engine: a service stopped by hand, a
//! container started by hand with the project's labels, the deployed container
//! removed — each judged with its reason, live, and kept in the service's history;
//! a worker that was down while a container stopped corrects it from its snapshot.

use std::time::Duration;

use nsm_testkit::{docker_ids, eventually};
use serde_json::Value;

use super::common::{slow_repo, ComposeCleanup, TestServer};
use super::live::{subscribe, until, Received};

async fn service(s: &TestServer, project: &str, name: &str) -> Value {
    let (status, list) = s.call_json("list_services", &[("id", project)]).await;
    assert!(status.is_success(), "{list}");
    let found = list.as_array().and_then(|l| l.iter().find(|x| x["name"] == name)).cloned();
    found.unwrap_or_else(|| panic!("no service {name} in {list}"))
}

/// Waits until the service's assessment satisfies `ok`; returns it.
async fn assessed(s: &TestServer, project: &str, name: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let ok = &ok;
    eventually(Duration::from_secs(60), Duration::from_millis(200), || async move {
        let a = service(s, project, name).await["assessment"].clone();
        if ok(&a) {
            Ok(a)
        } else {
            Err(format!("{project}/{name} is not yet {what}: {a}"))
        }
    })
    .await
}

fn kinds(assessment: &Value) -> Vec<String> {
    let findings = assessment["findings"].as_array().cloned().unwrap_or_default();
    findings.iter().filter_map(|f| f["kind"].as_str().map(str::to_owned)).collect()
}

fn docker(args: &[&str]) {
    let out = std::process::Command::new("docker").args(args).output().expect("docker");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn container_of(project: &str) -> String {
    let label = format!("label=com.docker.compose.project=nsm-{project}");
    let ids = docker_ids(&["ps", "-aq", "--filter", &label, "--filter", "label=dev.nsm.service"]);
    assert_eq!(ids.len(), 1, "{ids:?}");
    ids[0].clone()
}

#[tokio::test]
async fn a_service_is_judged_with_its_reason_and_drift_is_found() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let repo = slow_repo(3600);
    let id = s.create_project_from("it-drift", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_state(&id, "slow", "running").await;
    let deployment = s.deploy(&id).await;
    assert_eq!(s.wait_end(deployment, Duration::from_secs(120)).await["summary"]["state"], "succeeded");
    let matching = assessed(&s, &id, "slow", "matching", |a| a["verdict"] == "matching").await;
    assert!(kinds(&matching).is_empty(), "{matching}");
    let deployed = container_of(&id);

    // Stopped by hand: a mismatch that says what and with which exit code, live.
    let mut events = subscribe(&s, &format!("?project={id}"), None).await;
    docker(&["stop", "-t", "1", &deployed]);
    let mismatch = |e: &Received| e.kind == "service" && e.data["verdict"] == "mismatch";
    let seen = until(&mut events, mismatch).await;
    let event = &seen.last().expect("an event").data;
    assert_eq!((&event["expected"], &event["actual"]), (&Value::from("running"), &Value::from("exited")), "{event}");
    assert!(event["exit_code"].as_i64().is_some_and(|c| c != 0), "{event}");
    assert!(event["since"].is_string(), "{event}");
    assert_eq!(kinds(event), vec!["state"], "{event}");

    // Started again: matching.
    docker(&["start", &deployed]);
    assessed(&s, &id, "slow", "matching again", |a| a["verdict"] == "matching").await;

    // A container started by hand with the project's labels is drift.
    let by_hand = format!("{id}-by-hand");
    let project_label = format!("com.docker.compose.project=nsm-{id}");
    let nsm_label = format!("dev.nsm.project={id}");
    let image = nsm_testkit::BUSYBOX_IMAGE;
    let labels = ["--label", &project_label, "--label", &nsm_label, "--label", "dev.nsm.service=slow"];
    let mut run = vec!["run", "-d", "--name", &by_hand];
    run.extend_from_slice(&labels);
    run.extend_from_slice(&[image, "sleep", "300"]);
    docker(&run);
    let foreign = assessed(&s, &id, "slow", "drifted", |a| kinds(a).contains(&"foreign".to_owned())).await;
    assert_eq!(foreign["verdict"], "mismatch", "{foreign}");
    docker(&["rm", "-f", &by_hand]);
    assessed(&s, &id, "slow", "matching without it", |a| a["verdict"] == "matching").await;

    // The deployed container removed: missing.
    docker(&["rm", "-f", &deployed]);
    let missing = assessed(&s, &id, "slow", "missing", |a| kinds(a) == ["missing"]).await;
    assert_eq!((&missing["verdict"], &missing["actual"]), (&Value::from("mismatch"), &Value::Null));

    // All of it is in the service's history, and in today's cell of the heatmap.
    let (status, timelines) = s.call_json("get_service_timelines", &[("id", &id)]).await;
    assert!(status.is_success(), "{timelines}");
    let segments = timelines["services"][0]["segments"].as_array().cloned().unwrap_or_default();
    let states: Vec<&str> = segments.iter().filter_map(|s| s["state"].as_str()).collect();
    assert!(states.windows(2).any(|w| w == ["matching", "mismatch"]), "{timelines}");
    assert_eq!(states.last(), Some(&"mismatch"), "{timelines}");
    assert_eq!(segments.last().map(|s| &s["to"]), Some(&timelines["to"]));
    let (status, days) = s.call_json("get_fleet_history", &[]).await;
    assert!(status.is_success(), "{days}");
    let days = days.as_array().cloned().unwrap_or_default();
    assert_eq!(days.len(), 90);
    let today = days.last().expect("today");
    assert!(today["uptime"].as_f64().is_some_and(|u| u > 0.0), "the heartbeat counts: {today}");
    assert!(today["incidents"].as_u64().is_some_and(|n| n >= 3), "{today}");
    assert!(days[0]["uptime"].is_null(), "before the first start: no data");
}

fn worker_config(s: &TestServer, token: &str, dir: &std::path::Path) -> nsm_worker::WorkerConfig {
    nsm_worker::WorkerConfig {
        server_url: s.base.replace("http://", "ws://"),
        worker_id: nsm_core::WorkerId::parse("drift-node").expect("id"),
        token: token.to_owned(),
        data_dir: dir.to_path_buf(),
        edge: nsm_worker::EdgeConfig::off(),
    }
}

struct Node {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), nsm_worker::WorkerError>>,
}

fn start_node(s: &TestServer, token: &str, dir: &std::path::Path) -> Node {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(nsm_worker::run(worker_config(s, token, dir), async {
        let _ = stopped.await;
    }));
    Node { stop, task }
}

#[tokio::test]
async fn a_worker_back_from_down_corrects_what_changed_meanwhile() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let (status, issued) = s.call_json("add_worker", &[("id", "drift-node"), ("name", "Drift node")]).await;
    assert!(status.is_success(), "{issued}");
    let token = issued["token"].as_str().expect("token").to_owned();
    let dir = tempfile::tempdir().expect("temp dir");
    let node = start_node(&s, &token, dir.path());
    s.worker_online("drift-node", Duration::from_secs(20)).await;

    let repo = slow_repo(3600);
    let id = super::common::unique_id("it-reconnect");
    let _cleanup = ComposeCleanup(id.clone());
    let form = [("id", id.as_str()), ("repo_url", &repo.file_url()), ("worker", "drift-node")];
    let (status, body) = s.call_json("create_project", &form).await;
    assert!(status.is_success(), "{body}");
    s.expect_state(&id, "slow", "running").await;
    let deployment = s.deploy(&id).await;
    assert_eq!(s.wait_end(deployment, Duration::from_secs(120)).await["summary"]["state"], "succeeded");
    assessed(&s, &id, "slow", "matching", |a| a["verdict"] == "matching").await;

    // The node goes down: its service's state is unknown, not the last value.
    let _ = node.stop.send(());
    let ended = tokio::time::timeout(Duration::from_secs(30), node.task).await.expect("the worker stops");
    assert!(ended.expect("task").is_ok());
    s.worker_offline("drift-node", Duration::from_secs(20)).await;
    let unknown = assessed(&s, &id, "slow", "unknown", |a| a["verdict"] == "unknown").await;
    assert_eq!(unknown["actual"], Value::Null, "{unknown}");

    // Meanwhile the container stops; nobody reports it.
    docker(&["stop", "-t", "1", &container_of(&id)]);

    // Back up: its snapshot corrects the state at once.
    let node = start_node(&s, &token, dir.path());
    s.worker_online("drift-node", Duration::from_secs(20)).await;
    let corrected = assessed(&s, &id, "slow", "corrected", |a| a["verdict"] == "mismatch").await;
    assert_eq!(corrected["actual"], "exited", "{corrected}");
    let _ = node.stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), node.task).await;
}
