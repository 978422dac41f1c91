//! Container logs from a real deployment on the embedded worker: switched on, a
//! service's lines are stored tagged with the deployment and follow live (resuming by
//! `Last-Event-ID`); a restarted container keeps being followed; while the service
//! writes 50 MB the stored size stays under the cap with the newest lines kept;
//! switched off, collection stops at once. And at the protocol: a node's lines for
//! another node's project are refused.

use std::time::Duration;

use nsm_core::logs::{ContainerLogLine, LogCap, LogEntry, LogStream};
use nsm_core::protocol::WorkerMessage;
use nsm_core::ProjectId;
use nsm_testkit::{capture_warnings, docker_ids, eventually, FixtureRepo, BUSYBOX_IMAGE};
use tokio::sync::mpsc;

use super::admission::RawWorker;
use super::common::{sse_frames, unique_id, ComposeCleanup, SseFrame, TestServer};

/// Lines written once `/tmp/go` exists, and their size.
const LINES: u32 = 50_000;
const PAD: usize = 1000;
/// The cap under test (the smallest allowed): 50 MB written is ten times over it.
const CAP_MB: u64 = 5;

/// Says `started`, then `waiting` every 0.2 s until `/tmp/go` appears; then writes
/// `LINES` padded lines (50 MB), says `done-writing`, removes the file and waits again.
fn talker_repo() -> FixtureRepo {
    let script = format!(
        "echo started; while :; do if [ -e /tmp/go ]; then rm /tmp/go; pad=$(printf '%0{PAD}d' 0); i=0; \
         while [ $i -lt {LINES} ]; do echo \"line $i $pad\"; i=$((i+1)); done; echo done-writing; \
         else echo waiting; echo oops >&2; sleep 0.2; fi; done"
    );
    let compose = format!(
        "services:\n  talk:\n    image: {BUSYBOX_IMAGE}\n    init: true\n    command: [\"sh\", \"-c\", {}]\n",
        // `$$`: Compose would interpolate `$`.
        serde_json::to_string(&script.replace('$', "$$")).expect("a JSON string is YAML")
    );
    let repo = FixtureRepo::new().expect("repo");
    repo.commit(&[("compose.yaml", compose.as_str())], "talker").expect("commit");
    repo
}

async fn stored(s: &TestServer, project: &str, query: &str) -> Vec<LogEntry> {
    let response =
        s.client.get(s.url(&format!("/api/v1/projects/{project}/logs{query}"))).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.expect("log entries")
}

async fn collect(s: &TestServer, project: &str, on: bool) {
    let mut form = vec![("id", project), ("service", "talk"), ("expected", "running")];
    if on {
        form.push(("collect_logs", "on"));
    }
    let (status, body) = s.call_json("update_service", &form).await;
    assert!(status.is_success(), "{body}");
}

/// Follows `/logs/follow` in the background (from after `last`, if given).
async fn follow(s: &TestServer, project: &str, last: Option<i64>) -> mpsc::UnboundedReceiver<SseFrame> {
    let mut request = s.client.get(s.url(&format!("/api/v1/projects/{project}/logs/follow?q=waiting")));
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last.to_string());
    }
    let response = request.send().await.expect("follow request");
    assert_eq!(response.status().as_u16(), 200);
    sse_frames(response)
}

/// The next `line` event: its id and entry.
async fn next_line(rx: &mut mpsc::UnboundedReceiver<SseFrame>) -> (String, LogEntry) {
    let frame = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a line within 20 s")
        .expect("stream open");
    assert_eq!(frame.event, "line");
    (frame.id, serde_json::from_str(&frame.data).expect("a log entry"))
}

fn container_of(project: &str) -> String {
    let ids = docker_ids(&["ps", "-q", "--filter", &format!("label=com.docker.compose.project=nsm-{project}")]);
    assert_eq!(ids.len(), 1, "one running container: {ids:?}");
    ids[0].clone()
}

fn docker(args: &[&str]) {
    let out = std::process::Command::new("docker").args(args).output().expect("docker");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn collected_logs_are_tagged_followed_across_restarts_capped_and_stop_when_switched_off() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let plane = &s.server.as_ref().expect("running").plane;
    let cap = LogCap::parse_megabytes(&CAP_MB.to_string()).expect("a valid cap");
    nsm_server::db::settings::set(&plane.db, LogCap::SETTING, &cap.bytes().to_string()).await.expect("setting");
    let repo = talker_repo();
    let id = s.create_project_from("it-logs", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_state(&id, "talk", "running").await;
    let deployment = s.deploy(&id).await;
    let detail = s.wait_end(deployment, Duration::from_secs(120)).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{detail}");

    // Off (the default): nothing is stored.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(stored(&s, &id, "").await.is_empty());

    // On: lines arrive with their stream, tagged with the deployment; following
    // delivers new ones in order.
    let mut live = follow(&s, &id, None).await;
    collect(&s, &id, true).await;
    let (first_id, first) = next_line(&mut live).await;
    let (second_id, second) = next_line(&mut live).await;
    assert_eq!((first.text.as_str(), first.stream), ("waiting", LogStream::Stdout));
    assert_eq!(first.deployment.map(|d| d.0), Some(deployment));
    assert!(second.id > first.id && second.at_ms >= first.at_ms, "{first:?} then {second:?}");
    assert_eq!(first_id, first.id.to_string());
    let stderr = stored(&s, &id, "?q=oops").await;
    assert!(stderr.iter().all(|line| line.stream == LogStream::Stderr) && !stderr.is_empty(), "{stderr:?}");
    drop(live);
    // Resumed after the first line: the second comes next, nothing lost.
    let mut resumed = follow(&s, &id, Some(first.id)).await;
    let (again_id, _) = next_line(&mut resumed).await;
    assert_eq!(again_id, second_id);
    drop(resumed);

    // A restarted container keeps being followed.
    docker(&["restart", "-t", "2", &container_of(&id)]);
    eventually(Duration::from_secs(30), Duration::from_millis(300), || async {
        let started = stored(&s, &id, "?q=started").await;
        if started.len() == 1 {
            Ok(())
        } else {
            Err(format!("the restarted container's first line not stored: {started:?}"))
        }
    })
    .await;

    // 50 MB written: the stored size stays under the cap, the newest lines kept.
    docker(&["exec", &container_of(&id), "touch", "/tmp/go"]);
    eventually(Duration::from_secs(240), Duration::from_millis(500), || async {
        if stored(&s, &id, "?q=done-writing").await.is_empty() {
            Err("the last line written not stored yet".to_owned())
        } else {
            Ok(())
        }
    })
    .await;
    let total = nsm_server::db::logs::stored_bytes(&plane.db, &id, "talk").await.expect("total");
    let summed: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(bytes), 0) FROM container_logs WHERE project_id = ?")
        .bind(&id)
        .fetch_one(&plane.db)
        .await
        .expect("sum");
    assert_eq!(u64::try_from(summed).ok(), Some(total), "the running total matches the rows");
    assert!(total <= cap.bytes(), "{total} bytes stored over a cap of {}", cap.bytes());
    assert!(total >= cap.bytes() / 2, "trimming kept too little: {total}");
    let last = format!("line {} ", LINES - 1);
    assert_eq!(stored(&s, &id, &format!("?q={}", last.replace(' ', "%20"))).await.len(), 1, "the newest line kept");
    assert!(stored(&s, &id, "?q=line%200%20").await.is_empty(), "the oldest line dropped");

    // The download holds every stored line, each with its time, service and stream.
    let download = s
        .client
        .get(s.url(&format!("/api/v1/projects/{id}/logs/download?q=done-writing")))
        .send()
        .await
        .expect("download");
    assert!(download.headers()["content-disposition"].to_str().unwrap_or_default().contains("attachment"));
    let text = download.text().await.expect("text");
    assert!(
        text.lines().next().is_some_and(|l| l.ends_with(" talk stdout done-writing")),
        "{}",
        &text[..200.min(text.len())]
    );

    // Off: nothing more is stored, though the service keeps printing.
    collect(&s, &id, false).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = stored(&s, &id, "?limit=1").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(stored(&s, &id, "?limit=1").await, before, "lines stored after collection was switched off");
}

#[tokio::test]
async fn a_node_cannot_store_lines_for_another_nodes_project() {
    let log = capture_warnings().expect("the test process's log can be captured");
    let s = TestServer::start().await;
    s.setup_admin().await;
    let unauthenticated = reqwest::get(s.url("/api/v1/projects/x/logs")).await.expect("request");
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let missing = s.client.get(s.url("/api/v1/projects/no-such-project/logs")).send().await.expect("request");
    assert_eq!(missing.status().as_u16(), 404);

    let mut nodes = Vec::new();
    for prefix in ["it-logs-a", "it-logs-b"] {
        let worker = unique_id(prefix);
        let (status, issued) = s.call_json("add_worker", &[("id", &worker), ("name", "Node")]).await;
        assert!(status.is_success(), "{issued}");
        let project = unique_id("it-logs-p");
        let form = [("id", project.as_str()), ("repo_owner", "acme"), ("repo_name", "shop"), ("worker", &worker)];
        let (status, body) = s.call_json("create_project", &form).await;
        assert!(status.is_success(), "{body}");
        nodes.push((worker, issued["token"].as_str().expect("token").to_owned(), project));
    }
    let (a, a_token, mine) = &nodes[0];
    let (_, _, theirs) = &nodes[1];
    let mut node_a = RawWorker::connect(&s, a, a_token).await;
    let batch = |project: &str, text: &str| WorkerMessage::ContainerLogs {
        project: ProjectId::parse(project).expect("id"),
        service: "web".to_owned(),
        container: "c1".to_owned(),
        lines: vec![ContainerLogLine::new(chrono::Utc::now().timestamp_millis(), LogStream::Stdout, text)],
    };
    node_a.send(&batch(theirs, "forged")).await;
    node_a.send(&batch(mine, &"x".repeat(100_000))).await;
    let own = eventually(Duration::from_secs(10), Duration::from_millis(100), || async {
        let lines = stored(&s, mine, "").await;
        if lines.is_empty() {
            Err("the node's own line not stored".to_owned())
        } else {
            Ok(lines)
        }
    })
    .await;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].text.len(), nsm_core::logs::MAX_LINE_BYTES, "an overlong line is cut on the server too");
    assert!(stored(&s, theirs, "").await.is_empty(), "the forged line was stored");
    assert!(!log.lines_with(&[a.as_str(), "container_logs", theirs.as_str()]).is_empty(), "the refusal is logged");
}
