//! The limits every step of a deployment runs under: the overall deadline, measured
//! from the job's start, and cancellation.

use std::future::Future;
use std::time::Duration;

use nsm_core::protocol::DeployOutcome;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::compose::{Limits, RunError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Cancelled,
    TimedOut,
}

pub(crate) struct Guard {
    pub deadline: Instant,
    pub cancel: CancellationToken,
    timeout_secs: u32,
}

impl Guard {
    pub fn new(timeout_secs: u32, cancel: CancellationToken) -> Self {
        Self { deadline: Instant::now() + Duration::from_secs(timeout_secs.into()), cancel, timeout_secs }
    }

    /// Runs `work` unless the job is cancelled or out of time first (then `work` is
    /// dropped).
    pub async fn run<F: Future>(&self, work: F) -> Result<F::Output, Stop> {
        within(self.limits(), work).await
    }

    /// Whether the job must stop now.
    pub fn check(&self) -> Result<(), Stop> {
        if self.cancel.is_cancelled() {
            Err(Stop::Cancelled)
        } else if Instant::now() >= self.deadline {
            Err(Stop::TimedOut)
        } else {
            Ok(())
        }
    }

    /// Waits `pause`, or less when stopped.
    pub async fn sleep(&self, pause: Duration) -> Result<(), Stop> {
        self.run(tokio::time::sleep(pause)).await
    }

    pub fn limits(&self) -> Limits<'_> {
        Limits { deadline: self.deadline, cancel: &self.cancel }
    }

    /// The outcome for a job stopped `during` a step.
    pub fn outcome(&self, stop: Stop, during: &str) -> DeployOutcome {
        match stop {
            Stop::Cancelled => DeployOutcome::Cancelled { reason: format!("cancelled while {during}") },
            Stop::TimedOut => DeployOutcome::TimedOut {
                reason: format!("the deployment exceeded its timeout of {} s while {during}", self.timeout_secs),
            },
        }
    }
}

/// Runs `work` unless `limits` stop it first (then `work` is dropped).
pub(crate) async fn within<F: Future>(limits: Limits<'_>, work: F) -> Result<F::Output, Stop> {
    tokio::select! {
        biased;
        () = limits.cancel.cancelled() => Err(Stop::Cancelled),
        () = tokio::time::sleep_until(limits.deadline) => Err(Stop::TimedOut),
        output = work => Ok(output),
    }
}

/// A process run's stop, if it was stopped.
pub(crate) fn run_stop(error: &RunError) -> Option<Stop> {
    match error {
        RunError::Cancelled => Some(Stop::Cancelled),
        RunError::TimedOut => Some(Stop::TimedOut),
        RunError::Spawn { .. } | RunError::Wait { .. } => None,
    }
}
