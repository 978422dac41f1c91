//! The worker end of the hub: `GET /api/v1/workers/connect` upgraded to a WebSocket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use nsm_core::protocol::{
    ServerMessage, WorkerMessage, DEAD_AFTER_SECS, HEARTBEAT_SECS, MAX_HELLO_BYTES, MAX_MESSAGE_BYTES, PROTOCOL_VERSION,
};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

use crate::auth::token;
use crate::control_plane::Plane;
use crate::db;

const HELLO_WITHIN: Duration = Duration::from_secs(10);

pub async fn connect(
    State(plane): State<Arc<Plane>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| serve_link(socket, plane, peer))
}

fn encode(message: &ServerMessage) -> Option<Message> {
    match serde_json::to_string(message) {
        Ok(text) => Some(Message::Text(text.into())),
        Err(error) => {
            tracing::error!(%error, "cannot encode a message for a worker");
            None
        }
    }
}

async fn refuse(socket: &mut WebSocket, reason: &str) {
    if let Some(message) = encode(&ServerMessage::Refused { reason: reason.to_owned() }) {
        let _ = socket.send(message).await;
    }
    let _ = socket.send(Message::Close(None)).await;
}

/// Checks a Hello; the same answer for an unknown worker and a wrong token.
async fn authenticate(plane: &Plane, worker_id: &str, presented: &str) -> Result<bool, sqlx::Error> {
    let stored = db::workers::token_hash(&plane.db, worker_id).await?;
    let presented = token::digest(presented);
    Ok(match stored {
        Some(stored) => bool::from(stored.as_bytes().ct_eq(presented.as_bytes())),
        None => false,
    })
}

#[tracing::instrument(name = "worker_link", skip_all, fields(%peer, worker = tracing::field::Empty))]
async fn serve_link(mut socket: WebSocket, plane: Arc<Plane>, peer: SocketAddr) {
    let hello = match tokio::time::timeout(HELLO_WITHIN, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) if text.len() > MAX_HELLO_BYTES => {
            tracing::warn!(bytes = text.len(), "worker link closed: hello too long");
            refuse(&mut socket, &format!("a hello is at most {MAX_HELLO_BYTES} bytes")).await;
            return;
        }
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<WorkerMessage>(&text).ok(),
        _ => None,
    };
    let Some(WorkerMessage::Hello { protocol, worker_id, token, version, compose, edge }) = hello else {
        tracing::warn!("worker link closed: no valid hello");
        refuse(&mut socket, "expected a hello message").await;
        return;
    };
    let worker = worker_id.to_string();
    tracing::Span::current().record("worker", worker.as_str());
    if protocol != PROTOCOL_VERSION {
        tracing::warn!(protocol, "refused worker: protocol version mismatch");
        refuse(&mut socket, &format!("protocol {protocol} not supported; this server speaks {PROTOCOL_VERSION}")).await;
        return;
    }
    match authenticate(&plane, &worker, &token).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!("refused worker: unknown worker or wrong token");
            refuse(&mut socket, "unknown worker or wrong token").await;
            return;
        }
        Err(error) => {
            tracing::error!(%error, "worker authentication failed");
            refuse(&mut socket, "server error").await;
            return;
        }
    }

    let (outbox, mut outgoing) = mpsc::unbounded_channel::<ServerMessage>();
    let session = plane.hub.attach(&worker, outbox.clone(), compose, version.clone());
    if let Err(error) = db::workers::seen(&plane.db, &worker, &version).await {
        tracing::error!(%error, "cannot record worker presence");
    }
    if let Err(error) = db::sites::set_edge_facts(&plane.db, &worker_id, &edge).await {
        tracing::error!(%error, "cannot record the worker's edge");
    }
    plane.fleet.worker_online(&worker).await;
    tracing::info!(version, ?compose, "worker connected");
    // The receiver is ours (below), so this cannot fail while we hold it.
    outbox.send(ServerMessage::Welcome { protocol: PROTOCOL_VERSION }).ok();
    // After the welcome: what browsers watch on this node, sampled again.
    plane.stats.worker_online(&worker);
    // The hub holds the only sender now: removing the link ends the writer and closes.
    drop(outbox);
    // Once the link serves: what the node publishes, as rendered from what is saved now.
    let (edge, node) = (plane.edge.clone(), worker_id.clone());
    tokio::spawn(async move { edge.republish(&node).await }.in_current_span());
    // And which services' container logs to follow.
    let (logs, node) = (plane.logs.clone(), worker.clone());
    tokio::spawn(async move { logs.push_node(node.as_str()).await }.in_current_span());

    let (mut sink, mut stream) = socket.split();
    let writer = tokio::spawn(async move {
        let mut heartbeat = tokio::time::interval(Duration::from_secs(HEARTBEAT_SECS));
        loop {
            let message = tokio::select! {
                next = outgoing.recv() => match next {
                    Some(message) => message,
                    None => break,
                },
                _ = heartbeat.tick() => ServerMessage::Heartbeat,
            };
            let Some(frame) = encode(&message) else { continue };
            if sink.send(frame).await.is_err() {
                break;
            }
        }
        // The peer may be gone already; closing is a courtesy.
        sink.send(Message::Close(None)).await.ok();
    });

    let reason = loop {
        if plane.hub.session_of(&worker) != Some(session) {
            break "replaced or disconnected by the server".to_owned();
        }
        match tokio::time::timeout(Duration::from_secs(DEAD_AFTER_SECS), stream.next()).await {
            Err(_) => break format!("no heartbeat for {DEAD_AFTER_SECS} s"),
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => break "connection closed".to_owned(),
            Ok(Some(Err(error))) => break format!("connection error: {error}"),
            Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<WorkerMessage>(&text) {
                Ok(WorkerMessage::Heartbeat) => {
                    if let Err(error) = db::workers::seen(&plane.db, &worker, &version).await {
                        tracing::warn!(%error, "cannot record heartbeat");
                    }
                }
                Ok(message) => plane.deployer.on_worker_message(&worker, message).await,
                Err(error) => tracing::warn!(%error, "ignored an unreadable message from a worker"),
            },
            Ok(Some(Ok(_))) => {}
        }
    };
    writer.abort();
    if plane.hub.detach(&worker, session, &reason) {
        tracing::warn!(reason, "worker disconnected");
        plane.deployer.on_worker_lost(&worker, &reason).await;
    }
}
