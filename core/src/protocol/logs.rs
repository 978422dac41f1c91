//! Container logs on the worker link: the server names the services to follow
//! ([`super::ServerMessage::FollowLogs`]), the worker ships their lines in batches
//! ([`super::WorkerMessage::ContainerLogs`]).

pub use crate::logs::ContainerLogLine;

/// A batch is sent once it holds this many lines…
pub const LOG_BATCH_LINES: usize = 500;
/// …or once its first line has waited this long.
pub const LOG_BATCH_MILLIS: u64 = 200;
