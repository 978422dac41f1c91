//! The fleet's live events (`GET /api/v1/events`) from a real deployment on the
//! embedded worker and a container stopped by hand with Docker: each event once, in
//! order; a project filter that shows nothing of other projects; a reconnect with
//! `Last-Event-ID` that resumes exactly where the stream left off; an id from another
//! server start answered with `reset`.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

use super::common::{slow_repo, take_sse_frames, ComposeCleanup, TestServer};

#[derive(Debug, Clone)]
pub(super) struct Received {
    pub id: String,
    pub kind: String,
    pub data: Value,
}

/// Follows the stream in the background; every event goes to the receiver.
pub(super) async fn subscribe(s: &TestServer, query: &str, last: Option<&str>) -> mpsc::UnboundedReceiver<Received> {
    let mut request = s.client.get(s.url(&format!("/api/v1/events{query}")));
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last);
    }
    let response = request.send().await.expect("events request");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/event-stream"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut response = response;
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            for frame in take_sse_frames(&mut buffer) {
                let data = serde_json::from_str(&frame.data).unwrap_or(Value::Null);
                if tx.send(Received { id: frame.id, kind: frame.event, data }).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Receives until `done` says so; everything received, in order.
pub(super) async fn until(
    rx: &mut mpsc::UnboundedReceiver<Received>,
    done: impl Fn(&Received) -> bool,
) -> Vec<Received> {
    let mut got = Vec::new();
    let wait = async {
        while let Some(event) = rx.recv().await {
            let last = done(&event);
            got.push(event);
            if last {
                return;
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(120), wait).await.is_err() {
        panic!("the awaited event never came; received {got:#?}");
    }
    got
}

fn seq(id: &str) -> u64 {
    id.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("bad id {id:?}"))
}

#[tokio::test]
async fn the_event_stream_delivers_each_change_once_in_order_and_resumes() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let unauthenticated = reqwest::get(s.url("/api/v1/events")).await.expect("request");
    assert_eq!(unauthenticated.status().as_u16(), 401);

    let repo = slow_repo(3600);
    let id = s.create_project_from("it-live", &repo.file_url()).await;
    let other = s.create_project_from("it-live-other", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_state(&id, "slow", "running").await;

    let mut all = subscribe(&s, "", None).await;
    let mut others = subscribe(&s, &format!("?project={other}"), None).await;
    let deployment = s.deploy(&id).await;
    let is_end = |e: &Received| {
        e.kind == "deployment"
            && e.data["id"] == deployment
            && ["succeeded", "failed", "timed_out", "cancelled"].contains(&e.data["state"].as_str().unwrap_or(""))
    };
    let seen = until(&mut all, is_end).await;
    let end = seen.last().cloned().expect("an end");
    assert_eq!(end.data["state"], "succeeded", "{seen:#?}");

    // Once each, in order: ids strictly increase; the deployment's states never go back.
    let ids: Vec<u64> = seen.iter().map(|e| seq(&e.id)).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let order = ["queued", "preparing", "starting", "settling", "succeeded"];
    let ranks: Vec<usize> = seen
        .iter()
        .filter(|e| e.kind == "deployment" && e.data["id"] == deployment)
        .filter_map(|e| order.iter().position(|s| e.data["state"] == *s))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]) && ranks.first() == Some(&0), "{ranks:?}");
    let lines: Vec<&str> = seen
        .iter()
        .filter(|e| e.kind == "deployment")
        .flat_map(|e| e.data["lines"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    assert!(lines.iter().any(|l| l.contains(&format!("deployment #{deployment} queued"))), "{lines:?}");
    assert!(
        seen.iter().any(|e| e.kind == "service" && e.data["service"] == "slow" && e.data["actual"] == "running"),
        "the service's state came with it: {seen:#?}"
    );
    assert!(seen.iter().all(|e| e.data["type"] == e.kind.as_str()), "each event says its type");

    // Resumed from an event in the middle: exactly what followed it, then live.
    let middle = &seen[seen.len() / 2];
    let mut resumed = subscribe(&s, "", Some(&middle.id)).await;
    let again = until(&mut resumed, |e| e.id == end.id).await;
    let expected: Vec<&String> = seen.iter().skip(seen.len() / 2 + 1).map(|e| &e.id).collect();
    assert_eq!(again.iter().map(|e| &e.id).collect::<Vec<_>>(), expected);

    // A container stopped by hand: its state comes live, to every follower.
    let container = nsm_testkit::docker_ids(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.compose.project=nsm-{id}"),
        "--filter",
        "label=com.docker.compose.service=slow",
    ]);
    assert_eq!(container.len(), 1, "{container:?}");
    let stopped = std::process::Command::new("docker").args(["stop", "-t", "1", &container[0]]).output();
    assert!(stopped.expect("docker stop").status.success());
    let exited = |e: &Received| e.kind == "service" && e.data["project"] == id.as_str() && e.data["actual"] == "exited";
    let change = until(&mut all, exited).await;
    assert_eq!(change.last().map(|e| e.data["expected"].clone()), Some(Value::from("running")));
    until(&mut resumed, exited).await;

    // The other project's follower saw nothing of this project.
    let mut leaked = Vec::new();
    while let Ok(event) = others.try_recv() {
        leaked.push(event);
    }
    assert!(leaked.iter().all(|e| e.data["project"] != id.as_str()), "{leaked:#?}");

    // An id from another server start: told to reset, then live.
    let mut foreign = subscribe(&s, "", Some("1-5")).await;
    let first = until(&mut foreign, |_| true).await;
    assert_eq!(first[0].kind, "reset");
}
