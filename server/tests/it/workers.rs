//! Worker nodes over the real WebSocket protocol: the embedded worker, a remote
//! worker run in-process with its own data directory, tokens, rotation, removal.

use std::time::Duration;

use super::common::TestServer;

fn worker_config(s: &TestServer, id: &str, token: &str, dir: &std::path::Path) -> nsm_worker::WorkerConfig {
    nsm_worker::WorkerConfig {
        server_url: s.base.replace("http://", "ws://"),
        worker_id: nsm_core::WorkerId::parse(id).expect("id"),
        token: token.to_owned(),
        data_dir: dir.to_path_buf(),
        edge: nsm_worker::EdgeConfig::off(),
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

/// Opens a worker link by hand, sends `first`, and returns the server's answer before
/// it closes the link.
async fn refusal_for(s: &TestServer, first: String) -> String {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("{}{}", s.base.replace("http://", "ws://"), nsm_core::protocol::CONNECT_PATH);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket upgrade");
    socket.send(Message::text(first)).await.expect("send");
    let mut answer = None;
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = socket.next().await {
            match frame {
                Ok(Message::Text(text)) => answer = Some(text.to_string()),
                Ok(Message::Close(_)) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server must close a refused link");
    let answer = answer.expect("a refusal before the close");
    let message: nsm_core::protocol::ServerMessage = serde_json::from_str(&answer).expect("a protocol message");
    match message {
        nsm_core::protocol::ServerMessage::Refused { reason } => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn hello(protocol: u32, worker: &str, token: &str) -> String {
    serde_json::to_string(&nsm_core::protocol::WorkerMessage::Hello {
        protocol,
        worker_id: nsm_core::WorkerId::parse(worker).expect("id"),
        token: token.to_owned(),
        version: "test".to_owned(),
        compose: None,
        edge: nsm_core::protocol::EdgeFacts::off(),
    })
    .expect("encode")
}

#[tokio::test]
async fn the_worker_endpoint_refuses_garbage() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    // Plain HTTP without an upgrade is not a link.
    let response = s.client.get(s.url(nsm_core::protocol::CONNECT_PATH)).send().await.expect("request");
    assert!(response.status().is_client_error(), "{}", response.status());

    // Anything but a hello first, an old protocol, or a wrong token: refused and closed.
    assert_eq!(refusal_for(&s, "not json".to_owned()).await, "expected a hello message");
    let old = refusal_for(&s, hello(nsm_core::protocol::PROTOCOL_VERSION + 1, "local", "x")).await;
    assert!(old.contains("not supported"), "{old}");
    let wrong = refusal_for(&s, hello(nsm_core::protocol::PROTOCOL_VERSION, "local", "not-the-token")).await;
    assert_eq!(wrong, "unknown worker or wrong token");
    let unknown = refusal_for(&s, hello(nsm_core::protocol::PROTOCOL_VERSION, "ghost", "x")).await;
    assert_eq!(unknown, wrong, "an unknown worker gets the same answer as a wrong token");
    // Before it is authenticated, a connection gets 4 KiB to say hello in.
    let padded = hello(nsm_core::protocol::PROTOCOL_VERSION, "local", &"x".repeat(5000));
    assert_eq!(refusal_for(&s, padded).await, "a hello is at most 4096 bytes");
    // The refusals did not disturb the embedded worker.
    s.worker_online("local", Duration::from_secs(20)).await;
}
