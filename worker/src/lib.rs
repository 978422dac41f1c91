//! NSM's node agent. It dials the NSM server over a WebSocket, clones projects, drives
//! Docker Compose and reports container state from Docker's event stream.
//!
//! [`run`] is the whole agent: the `nsm-worker` binary calls it, and `nsm-server` runs
//! it in-process as its embedded `local` worker over the same protocol. [`Host`]
//! exposes the jobs themselves (deploy, sync, teardown) without a server, for tests and
//! tools.
//!
//! Layers point down; a module imports only from the layers below it:
//!
//! ```text
//! link/       the server link: session (protocol), jobs (requests → Host), services
//!             (container state reports), backoff
//! stats/      resource sampling of watched projects' containers (container_stats)
//! host.rs     Host: the jobs on this machine, without a server
//! deploy/     the deployment pipeline: prepare → install → replace → settle → publish
//! logs/       container logs of the followed services (one task each)
//! edge/       the node's nginx: check, install, verify, serve; keys and certificates
//! sync.rs     the Sync job       teardown.rs   the Teardown job
//! machine/    the leaf: data dir layout, checkout reading, ports, compose CLI,
//!             Docker Engine, git, TLS; knows nothing of jobs or the server
//! outbox.rs   where messages for the server wait (used by every job)
//! error.rs    the error policy and WorkerError
//! ```

mod deploy;
mod edge;
mod error;
mod host;
mod link;
mod logs;
mod machine;
mod outbox;
mod stats;
mod sync;
mod teardown;

pub use deploy::{EdgePlans, NoEdgePlans};
pub use edge::{Edge, EdgeConfig, EdgeError};
pub use error::WorkerError;
pub use host::Host;
pub use link::{run, serve, WorkerConfig};
pub use machine::{compose, docker, git, ledger, MachineError};
pub use outbox::Outbox;
pub use stats::Watched;
pub use sync::SyncError;
pub use teardown::TeardownError;
/// Cancels a running job ([`Host::deploy`]).
pub use tokio_util::sync::CancellationToken;
