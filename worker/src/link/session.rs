//! One connection to the server: dial, hello/welcome, then messages both ways with
//! heartbeats until the link dies or the worker stops.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nsm_core::protocol::{ServerMessage, WorkerMessage, DEAD_AFTER_SECS, HEARTBEAT_SECS, PROTOCOL_VERSION};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use super::error::LinkError;
use super::jobs::Jobs;
use super::services::service_snapshot;
use super::WorkerConfig;
use crate::host::Host;
use crate::machine::tls;
use crate::stats::Watched;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const DEAD_AFTER: Duration = Duration::from_secs(DEAD_AFTER_SECS);
/// How long a shutting-down worker waits for its cancelled jobs to report.
const DRAIN_GRACE: Duration = Duration::from_secs(20);

/// How a session ended.
#[derive(Debug)]
pub(super) enum SessionEnd {
    /// The worker is stopping; everything was flushed.
    Stopped,
    /// The server refused the worker: do not retry.
    Refused(String),
    /// Never got as far as a welcome.
    Failed(LinkError),
    /// Was connected, then lost the link.
    Lost(LinkError),
}

pub(super) struct Session<'a> {
    pub url: &'a str,
    pub config: &'a WorkerConfig,
    pub host: &'a Host,
    pub jobs: &'a Jobs,
    pub watched: &'a Watched,
    pub outbox: &'a mut UnboundedReceiver<WorkerMessage>,
    /// A message taken from the outbox whose sending failed: sent first next time.
    pub unsent: &'a mut Option<WorkerMessage>,
    pub stop: &'a CancellationToken,
}

impl Session<'_> {
    #[tracing::instrument(name = "session", skip_all)]
    pub async fn run(self) -> SessionEnd {
        let mut socket = match self.connect().await {
            Ok(socket) => socket,
            Err(end) => return end,
        };
        tracing::info!(url = self.url, "connected to the server");
        match self.serve(&mut socket).await {
            Ok(end) => end,
            Err(reason) => SessionEnd::Lost(reason),
        }
    }

    async fn connect(&self) -> Result<Socket, SessionEnd> {
        let connector = if self.url.starts_with("wss://") {
            let config = tls::client_config().map_err(|e| SessionEnd::Failed(e.into()))?;
            Some(tokio_tungstenite::Connector::Rustls(config))
        } else {
            None
        };
        let dial = tokio_tungstenite::connect_async_tls_with_config(self.url, None, true, connector);
        let mut socket = match tokio::time::timeout(DEAD_AFTER, dial).await {
            Err(_) => return Err(SessionEnd::Failed(LinkError::ConnectTimedOut)),
            Ok(Err(tungstenite::Error::Http(response))) if matches!(response.status().as_u16(), 401 | 403) => {
                let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                return Err(SessionEnd::Refused(format!("HTTP {} {}", response.status(), body.trim())));
            }
            Ok(Err(error)) => return Err(SessionEnd::Failed(error.into())),
            Ok(Ok((socket, _))) => socket,
        };
        let hello = WorkerMessage::Hello {
            protocol: PROTOCOL_VERSION,
            worker_id: self.config.worker_id.clone(),
            token: self.config.token.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            compose: self.host.compose_dialect(),
            edge: self.host.edge().facts(),
        };
        send(&mut socket, &hello).await.map_err(SessionEnd::Failed)?;
        let first = tokio::time::timeout(DEAD_AFTER, next_message(&mut socket)).await;
        match first {
            Err(_) => Err(SessionEnd::Failed(LinkError::NoAnswer)),
            Ok(Err(reason)) => Err(SessionEnd::Failed(reason)),
            Ok(Ok(ServerMessage::Welcome { protocol })) => {
                if protocol != PROTOCOL_VERSION {
                    tracing::warn!(server = protocol, worker = PROTOCOL_VERSION, "protocol versions differ");
                }
                Ok(socket)
            }
            Ok(Ok(ServerMessage::Refused { reason })) => Err(SessionEnd::Refused(reason)),
            Ok(Ok(other)) => Err(SessionEnd::Failed(LinkError::NotWelcomed(other.kind()))),
        }
    }

    async fn serve(mut self, socket: &mut Socket) -> Result<SessionEnd, LinkError> {
        if let Some(snapshot) = service_snapshot(self.host.engine().as_ref(), self.host.ledger()).await {
            send(socket, &snapshot).await?;
        }
        if let Some(message) = self.unsent.take() {
            self.send_or_keep(socket, message).await?;
        }
        let mut heartbeat = tokio::time::interval(Duration::from_secs(HEARTBEAT_SECS));
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
        let mut drain_until: Option<Instant> = None;
        loop {
            tokio::select! {
                frame = socket.next() => {
                    last_heard = Instant::now();
                    match frame {
                        None => return Ok(SessionEnd::Lost(LinkError::Closed)),
                        Some(Err(error)) => return Ok(SessionEnd::Lost(error.into())),
                        Some(Ok(Message::Close(frame))) => {
                            let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                            return Ok(SessionEnd::Lost(LinkError::ClosedWith(reason)));
                        }
                        Some(Ok(Message::Text(text))) => match serde_json::from_str::<ServerMessage>(&text) {
                            Ok(ServerMessage::Refused { reason }) => return Ok(SessionEnd::Refused(reason)),
                            Ok(ServerMessage::WatchStats { projects }) => self.watched.set(projects),
                            Ok(message) => self.jobs.handle(message),
                            Err(error) => tracing::warn!(%error, "ignoring a message the worker does not understand"),
                        },
                        Some(Ok(_)) => {}
                    }
                }
                Some(message) = self.outbox.recv() => self.send_or_keep(socket, message).await?,
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > DEAD_AFTER {
                        return Ok(SessionEnd::Lost(LinkError::Silent));
                    }
                    send(socket, &WorkerMessage::Heartbeat).await?;
                }
                () = self.stop.cancelled(), if drain_until.is_none() => {
                    tracing::info!("stopping: cancelling running jobs");
                    self.jobs.shut_down();
                    drain_until = Some(Instant::now() + DRAIN_GRACE);
                }
                () = self.jobs.idle(), if drain_until.is_some() => {
                    self.flush_and_close(socket).await;
                    return Ok(SessionEnd::Stopped);
                }
                () = tokio::time::sleep_until(drain_until.unwrap_or_else(Instant::now)), if drain_until.is_some() => {
                    tracing::warn!("jobs did not finish in time; closing anyway");
                    self.flush_and_close(socket).await;
                    return Ok(SessionEnd::Stopped);
                }
            }
        }
    }

    async fn send_or_keep(&mut self, socket: &mut Socket, message: WorkerMessage) -> Result<(), LinkError> {
        if let Err(reason) = send(socket, &message).await {
            *self.unsent = Some(message);
            return Err(reason);
        }
        self.sent(&message);
        Ok(())
    }

    fn sent(&self, message: &WorkerMessage) {
        if matches!(message, WorkerMessage::ContainerLogs { .. }) {
            self.jobs.log_batch_sent();
        }
    }

    async fn flush_and_close(&mut self, socket: &mut Socket) {
        while let Ok(message) = self.outbox.try_recv() {
            if let Err(error) = send(socket, &message).await {
                tracing::warn!(%error, message = message.kind(), "could not flush a message before stopping");
                return;
            }
            self.sent(&message);
        }
        match tokio::time::timeout(Duration::from_secs(5), socket.close(None)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, "closing the link failed"),
            Err(_) => tracing::debug!("closing the link timed out"),
        }
    }
}

async fn send(socket: &mut Socket, message: &WorkerMessage) -> Result<(), LinkError> {
    let text = serde_json::to_string(message).map_err(LinkError::Encode)?;
    // A server that stops reading must not wedge the worker: bounded like silence.
    match tokio::time::timeout(DEAD_AFTER, socket.send(Message::text(text))).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(LinkError::SendTimedOut),
    }
}

/// The next protocol message, skipping pings and pongs.
async fn next_message(socket: &mut Socket) -> Result<ServerMessage, LinkError> {
    loop {
        match socket.next().await {
            None => return Err(LinkError::Closed),
            Some(Err(error)) => return Err(error.into()),
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).map_err(LinkError::Unreadable),
            Some(Ok(Message::Close(_))) => return Err(LinkError::Closed),
            Some(Ok(_)) => {}
        }
    }
}
