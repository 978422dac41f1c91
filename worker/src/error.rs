//! The worker's error policy.
//!
//! Every layer has its own `thiserror` enum, carrying the failed operation's cause
//! (`#[source]`) rather than a pre-formatted sentence. Two keep their cause as text on
//! purpose: [`GitError`](crate::git::GitError) (gix's error chain, scrubbed of the
//! token before it is stored) and [`EngineError`](crate::docker::EngineError)
//! (comparable and cloneable for the engine trait's test doubles).
//!
//! | layer | type | raised by |
//! |---|---|---|
//! | machine: files, data dir, ports, CA store | [`MachineError`](crate::MachineError), `ports::NoFreePort` | `machine::{layout, checkout, ports, tls}` |
//! | git | [`GitError`](crate::git::GitError) (token and URL password scrubbed) | `machine::git` |
//! | compose CLI / Docker Engine | [`RunError`](crate::compose::RunError), [`EngineError`](crate::docker::EngineError) | `machine::{compose, docker}` |
//! | deploy pipeline | `DeployError` (`deploy/error.rs`) | the stages in `deploy/` |
//! | the node's edge | [`EdgeError`](crate::EdgeError), and per step `InstallError`, `CheckError`, `PublishError`, `VerifyError` | `edge/` |
//! | sync and teardown jobs | [`SyncError`](crate::SyncError), [`TeardownError`](crate::TeardownError) | `sync.rs`, `teardown.rs` |
//! | link | `LinkError` (`link/error.rs`) | the session with the server |
//! | the worker as a whole | [`WorkerError`] | [`crate::run`], [`crate::Host::detect`] |
//!
//! A layer wraps the errors of the layers below it (`#[from]`, or a variant that
//! says which step failed) and never turns them into text. Text is made exactly once,
//! at the protocol boundary, where the wire message wants a reason string:
//!
//! - a deployment's outcome: `DeployError::into_outcome`, when the report is
//!   written (stops become `cancelled`/`timed_out`, major changes `rejected`, the
//!   rest `failed` with the error's message);
//! - `Synced` and `TornDown`: the job's error `to_string()` in `link/jobs.rs`.
//!
//! Link errors never reach a user: they end a session, are logged, and the worker
//! reconnects. [`WorkerError`] is what stops the worker; `nsm-worker` prints it and
//! exits non-zero, the embedded worker logs it.
//!
//! Failures that do not stop the work (a log tail that cannot be read, an image that
//! cannot be pruned, a message that cannot be delivered while the worker stops) are
//! logged with `tracing` where they happen, never dropped silently (`let _ =`).
//! Nothing that can fail at run time is `unwrap`ped.

use crate::machine::MachineError;

/// Errors that stop the worker as a whole (job failures are reported, not returned).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The server refused the worker (wrong id or token, unsupported protocol): retrying
    /// would not help, so [`crate::run`] returns it.
    #[error("the server refused this worker: {reason}")]
    Refused { reason: String },
    #[error("invalid server URL `{url}`: {reason}")]
    InvalidServerUrl { url: String, reason: String },
    /// The machine cannot be used (its data directory).
    #[error(transparent)]
    Machine(#[from] MachineError),
    /// The node's edge cannot start (no nginx, a port, a directory nginx cannot enter).
    #[error("the edge cannot start: {0}")]
    Edge(#[from] crate::edge::EdgeError),
}
