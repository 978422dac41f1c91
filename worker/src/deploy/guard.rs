//! The limits every step of a deployment runs under: the overall deadline, measured
//! from the job's start, and cancellation.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::DeployError;
use crate::machine::limits::{Limits, Stop};

pub(crate) struct Guard {
    pub deadline: Instant,
    pub cancel: CancellationToken,
}

impl Guard {
    pub fn new(timeout_secs: u32, cancel: CancellationToken) -> Self {
        Self { deadline: Instant::now() + Duration::from_secs(timeout_secs.into()), cancel }
    }

    /// Runs `work` unless the job is cancelled or out of time first (then `work` is
    /// dropped and the job stops `during` this step).
    pub async fn step<F: Future>(&self, during: &'static str, work: F) -> Result<F::Output, DeployError> {
        self.limits().within(work).await.map_err(|stop| DeployError::Stopped { stop, during })
    }

    /// Whether the job must stop now (it was stopped `during` the last step).
    pub fn check(&self, during: &'static str) -> Result<(), DeployError> {
        let stop = if self.cancel.is_cancelled() {
            Stop::Cancelled
        } else if Instant::now() >= self.deadline {
            Stop::TimedOut
        } else {
            return Ok(());
        };
        Err(DeployError::Stopped { stop, during })
    }

    /// Waits `pause`, or less when stopped.
    pub async fn sleep(&self, during: &'static str, pause: Duration) -> Result<(), DeployError> {
        self.step(during, tokio::time::sleep(pause)).await
    }

    pub fn limits(&self) -> Limits<'_> {
        Limits { deadline: self.deadline, cancel: &self.cancel }
    }
}
