//! When work on the machine must stop early: a deadline and a cancellation token,
//! shared by process runs and engine calls.

use std::future::Future;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// When a run must stop early.
#[derive(Debug, Clone, Copy)]
pub struct Limits<'a> {
    pub deadline: Instant,
    pub cancel: &'a CancellationToken,
}

/// Why work was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Cancelled,
    TimedOut,
}

impl Limits<'_> {
    /// Runs `work` unless the limits stop it first (then `work` is dropped).
    pub async fn within<F: Future>(self, work: F) -> Result<F::Output, Stop> {
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => Err(Stop::Cancelled),
            () = tokio::time::sleep_until(self.deadline) => Err(Stop::TimedOut),
            output = work => Ok(output),
        }
    }
}
