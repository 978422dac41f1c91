//! Housekeeping that runs every hour for as long as the server does.

use std::future::Future;
use std::time::Duration;

/// Runs `job` now and then every hour; what it removed is logged at debug, a failure
/// at error (the next hour tries again).
pub fn hourly<F, Fut, E>(what: &'static str, mut job: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<u64, E>> + Send,
    E: std::fmt::Display,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            every.tick().await;
            match job().await {
                Ok(removed) => tracing::debug!(removed, what, "purged"),
                Err(error) => tracing::error!(%error, what, "purging failed"),
            }
        }
    })
}
