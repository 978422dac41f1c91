//! NSM's node agent. It dials the NSM server over a WebSocket, clones projects, drives
//! Docker Compose and reports container state from Docker's event stream.
//!
//! [`run`] is the whole agent: the `nsm-worker` binary calls it, and `nsm-server` runs
//! it in-process as its embedded `local` worker over the same protocol. [`Host`]
//! exposes the jobs themselves (deploy, sync, teardown) without a server, for tests and
//! tools.

pub mod compose;
mod deploy;
pub mod docker;
mod error;
pub mod git;
mod host;
mod link;
mod sync;
mod tls;

pub use error::WorkerError;
pub use host::{Host, Outbox};
pub use link::{run, WorkerConfig};
/// Cancels a running job ([`Host::deploy`]).
pub use tokio_util::sync::CancellationToken;
