//! Container logs on the worker link: the server names the services to follow
//! ([`super::ServerMessage::FollowLogs`]), the worker ships their lines in batches
//! ([`super::WorkerMessage::ContainerLogs`]).

pub use crate::logs::ContainerLogLine;

/// A batch is sent once it holds this many lines…
pub const LOG_BATCH_LINES: usize = 500;
/// …or this much text (JSON at most doubles it, or makes it six times as long for
/// control characters: far below [`super::MAX_MESSAGE_BYTES`])…
pub const LOG_BATCH_BYTES: usize = 128 * 1024;
/// …or once its first line has waited this long.
pub const LOG_BATCH_MILLIS: u64 = 200;
