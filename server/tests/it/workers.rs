//! Worker nodes over the real WebSocket protocol: the embedded worker, a remote
//! worker run in-process with its own data directory, tokens, rotation, removal.

use std::time::Duration;

use super::common::TestServer;
use reqwest::StatusCode;

fn worker_config(s: &TestServer, id: &str, token: &str, dir: &std::path::Path) -> nsm_worker::WorkerConfig {
    nsm_worker::WorkerConfig {
        server_url: s.base.replace("http://", "ws://"),
        worker_id: nsm_core::WorkerId::parse(id).expect("id"),
        token: token.to_owned(),
        data_dir: dir.to_path_buf(),
    }
}

#[tokio::test]
async fn the_embedded_worker_comes_online_over_the_protocol() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let local = s.worker_online("local", Duration::from_secs(20)).await;
    assert_eq!(local["version"], env!("CARGO_PKG_VERSION"));
    assert!(local["last_seen"].is_string());
}

#[tokio::test]
async fn add_connect_rotate_and_remove_a_worker() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let dir = tempfile::tempdir().expect("temp dir");

    let (status, issued) = s.call_json("add_worker", &[("id", "edge-1"), ("name", "Edge one")]).await;
    assert!(status.is_success(), "{issued}");
    let token = issued["token"].as_str().expect("token shown once").to_owned();
    let (_, again) = s.call_json("add_worker", &[("id", "edge-1"), ("name", "x")]).await;
    assert!(super::common::field_error(&again, "id").is_some_and(|m| m.contains("already exists")));

    // A wrong token is refused, and the worker gives up instead of retrying forever.
    let refused = tokio::time::timeout(
        Duration::from_secs(20),
        nsm_worker::run(worker_config(&s, "edge-1", "not-the-token", dir.path()), std::future::pending()),
    )
    .await
    .expect("a refused worker stops");
    assert!(refused.is_err(), "a wrong token must be refused");

    // The right one connects.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(nsm_worker::run(worker_config(&s, "edge-1", &token, dir.path()), async {
        let _ = stopped.await;
    }));
    let online = s.worker_online("edge-1", Duration::from_secs(20)).await;
    assert_eq!(online["name"], "Edge one");

    // Rotating drops the connected worker at once; its old token no longer works.
    let (status, rotated) = s.call_json("rotate_worker_token", &[("id", "edge-1")]).await;
    assert!(status.is_success(), "{rotated}");
    assert_ne!(rotated["token"], token);
    s.worker_offline("edge-1", Duration::from_secs(10)).await;
    let outcome = tokio::time::timeout(Duration::from_secs(30), worker).await.expect("old worker stops");
    assert!(outcome.expect("task").is_err(), "the old token is refused on reconnect");
    drop(stop);

    // Removal is refused while a project uses the worker.
    let (status, body) = s
        .call_json(
            "create_project",
            &[("id", "on-edge"), ("repo_owner", "a"), ("repo_name", "b"), ("worker", "edge-1")],
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = s.call_json("remove_worker", &[("id", "edge-1")]).await;
    assert!(!status.is_success());
    assert!(body.to_string().contains("on-edge"), "{body}");
    let (status, _) = s.call_json("delete_project", &[("id", "on-edge"), ("confirm", "on-edge")]).await;
    assert!(status.is_success());
    let (status, body) = s.call_json("remove_worker", &[("id", "edge-1")]).await;
    assert!(status.is_success(), "{body}");
    let (_, list) = s.call_json("list_workers", &[]).await;
    assert!(!list.to_string().contains("edge-1"));
}

#[tokio::test]
async fn the_worker_endpoint_refuses_garbage() {
    let s = TestServer::start().await;
    // Plain HTTP without an upgrade is not a session.
    let response = s.client.get(s.url(nsm_core::protocol::CONNECT_PATH)).send().await.expect("request");
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_ne!(response.status(), StatusCode::OK);
}
