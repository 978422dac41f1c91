//! Why a session with the server ended or never started. Logged, then the worker
//! reconnects: these never reach a user.

use nsm_core::protocol::DEAD_AFTER_SECS;
use tokio_tungstenite::tungstenite;

use crate::machine::MachineError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum LinkError {
    #[error(transparent)]
    Tls(#[from] MachineError),
    #[error("connecting timed out")]
    ConnectTimedOut,
    #[error(transparent)]
    Socket(#[from] tungstenite::Error),
    #[error("the server did not answer the hello")]
    NoAnswer,
    #[error("expected a welcome, got {0}")]
    NotWelcomed(&'static str),
    #[error("unreadable message from the server: {0}")]
    Unreadable(#[source] serde_json::Error),
    #[error("cannot encode a message: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("sending to the server timed out")]
    SendTimedOut,
    #[error("the server closed the connection")]
    Closed,
    /// A close frame, with the server's reason (possibly empty).
    #[error("the server closed the connection {0}")]
    ClosedWith(String),
    #[error("nothing heard from the server for {DEAD_AFTER_SECS} s")]
    Silent,
}
