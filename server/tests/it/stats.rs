//! Resource use (`GET /api/v1/projects/{id}/stats`) with raw worker links speaking the
//! real protocol: opening a project's stream makes its node sample it (`WatchStats`
//! with the project), its samples arrive on the stream, a reconnecting node is told
//! again, closing the stream sends the empty set; samples forged for another node's
//! project are dropped and logged.

use std::time::Duration;

use nsm_core::protocol::{ServerMessage, WorkerMessage};
use nsm_core::stats::{ContainerSample, StatsUpdate};
use nsm_core::ProjectId;
use nsm_testkit::capture_warnings;
use tokio::sync::mpsc;

use super::admission::RawWorker;
use super::common::{sse_frames, unique_id, SseFrame, TestServer};

/// Follows a stats stream in the background. Dropping the receiver closes the stream.
async fn follow(s: &TestServer, project: &str) -> mpsc::UnboundedReceiver<SseFrame> {
    let response = s.client.get(s.url(&format!("/api/v1/projects/{project}/stats"))).send().await.expect("request");
    assert_eq!(response.status().as_u16(), 200);
    sse_frames(response)
}

/// The next event: its name and update.
async fn next(rx: &mut mpsc::UnboundedReceiver<SseFrame>) -> (String, StatsUpdate) {
    let frame =
        tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.expect("a stats event").expect("stream open");
    (frame.event, serde_json::from_str(&frame.data).expect("a stats update"))
}

async fn node_with_project(s: &TestServer, prefix: &str) -> (String, String, String) {
    let worker = unique_id(prefix);
    let (status, issued) = s.call_json("add_worker", &[("id", &worker), ("name", "Node")]).await;
    assert!(status.is_success(), "{issued}");
    let token = issued["token"].as_str().expect("token").to_owned();
    let project = unique_id("it-stats");
    let (status, body) = s
        .call_json(
            "create_project",
            &[("id", &project), ("repo_owner", "acme"), ("repo_name", "shop"), ("worker", &worker)],
        )
        .await;
    assert!(status.is_success(), "{body}");
    (worker, token, project)
}

fn sample(project: &str, service: &str, cpu: f64) -> ContainerSample {
    ContainerSample {
        project: ProjectId::parse(project).expect("id"),
        service: service.to_owned(),
        container: format!("{service}-1"),
        at: chrono::Utc::now().timestamp_millis(),
        cpu_percent: cpu,
        memory_bytes: 1 << 20,
        memory_limit: 1 << 26,
    }
}

#[tokio::test]
async fn a_watched_project_is_sampled_by_its_node_and_forged_samples_are_dropped() {
    let log = capture_warnings().expect("the test process's log can be captured");
    let s = TestServer::start().await;
    s.setup_admin().await;
    let unauthenticated = reqwest::get(s.url("/api/v1/projects/x/stats")).await.expect("request");
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let missing = s.client.get(s.url("/api/v1/projects/no-such-project/stats")).send().await.expect("request");
    assert_eq!(missing.status().as_u16(), 404);

    let (a, a_token, mine) = node_with_project(&s, "it-node-a").await;
    let (b, b_token, theirs) = node_with_project(&s, "it-node-b").await;
    let mut node_a = RawWorker::connect(&s, &a, &a_token).await;
    let mut node_b = RawWorker::connect(&s, &b, &b_token).await;

    // Opening the stream: the node is told to sample the project; the stream starts
    // with the (empty) last hour.
    let mut stream = follow(&s, &mine).await;
    let ServerMessage::WatchStats { projects } = node_a.next().await else { panic!("expected WatchStats") };
    assert_eq!(projects, vec![ProjectId::parse(&mine).expect("id")]);
    let (kind, history) = next(&mut stream).await;
    assert_eq!((kind.as_str(), history.services.len()), ("history", 0));

    // A batch with a forged sample for node B's project: only the own one arrives.
    node_a
        .send(&WorkerMessage::ContainerStats { samples: vec![sample(&theirs, "db", 50.0), sample(&mine, "web", 12.5)] })
        .await;
    let (kind, update) = next(&mut stream).await;
    assert_eq!(kind, "sample");
    assert_eq!(update.services.len(), 1, "{update:?}");
    assert_eq!(update.services[0].service, "web");
    assert_eq!(update.services[0].points[0].cpu_percent, 12.5);
    let refused = log.lines_with(&[a.as_str(), "container_stats", theirs.as_str()]);
    assert!(!refused.is_empty(), "the forged sample is logged as refused");

    // Node B's project kept nothing of the forgery.
    let mut other = follow(&s, &theirs).await;
    let ServerMessage::WatchStats { projects } = node_b.next().await else { panic!("expected WatchStats") };
    assert_eq!(projects, vec![ProjectId::parse(&theirs).expect("id")]);
    let (_, history) = next(&mut other).await;
    assert!(history.services.is_empty(), "{history:?}");
    drop(other);
    let ServerMessage::WatchStats { projects } = node_b.next().await else { panic!("expected WatchStats") };
    assert!(projects.is_empty());

    // A second stream of the project sees the hour so far.
    let mut second = follow(&s, &mine).await;
    let (_, history) = next(&mut second).await;
    assert_eq!(history.services.len(), 1);
    assert_eq!(history.services[0].points.len(), 1);
    drop(second);

    // A node that reconnects is told again what is watched on it.
    drop(node_a);
    let mut node_a = RawWorker::connect(&s, &a, &a_token).await;
    let ServerMessage::WatchStats { projects } = node_a.next().await else { panic!("expected WatchStats") };
    assert_eq!(projects, vec![ProjectId::parse(&mine).expect("id")]);

    // The last stream closes: sampling stops.
    drop(stream);
    let ServerMessage::WatchStats { projects } = node_a.next().await else { panic!("expected WatchStats") };
    assert!(projects.is_empty(), "{projects:?}");
}
