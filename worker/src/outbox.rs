//! Where the worker's messages for the server wait, in order, until the link sends
//! them. Jobs keep posting while the link is down; their messages go out after the
//! reconnect.

use nsm_core::protocol::WorkerMessage;
use tokio::sync::mpsc;

/// Where jobs send their messages for the server, in order.
pub type Outbox = mpsc::UnboundedSender<WorkerMessage>;

/// Posts `message`; false when nobody reads the outbox any more (the worker is
/// stopping), which is logged: the message is lost with the worker.
pub(crate) fn post(out: &Outbox, message: WorkerMessage) -> bool {
    match out.send(message) {
        Ok(()) => true,
        Err(unsent) => {
            tracing::debug!(message = unsent.0.kind(), "the worker is stopping: a message for the server was dropped");
            false
        }
    }
}
