//! The worker's link to the server, the top layer: connect, serve, reconnect with
//! backoff, and stop gracefully. `session` speaks the protocol over one connection,
//! `jobs` runs the server's requests through [`Host`], `services` reports container
//! state from Docker's event stream.

mod backoff;
mod error;
mod jobs;
mod services;
mod session;

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use nsm_core::protocol::CONNECT_PATH;
use nsm_core::WorkerId;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use tracing::Instrument;

use self::backoff::Backoff;
use self::jobs::Jobs;
use self::services::watch_services;
use self::session::{Session, SessionEnd};
use crate::edge::EdgeConfig;
use crate::error::WorkerError;
use crate::host::Host;
use crate::stats::Watched;

/// How a worker finds and authenticates to its server.
#[derive(Clone)]
pub struct WorkerConfig {
    /// `ws://` or `wss://` base URL of the server, e.g. `ws://127.0.0.1:3000`
    /// (`http(s)://` is accepted and means the same).
    pub server_url: String,
    pub worker_id: WorkerId,
    pub token: String,
    /// Checkouts, volumes and directories of the projects live here.
    pub data_dir: PathBuf,
    /// This node's nginx.
    pub edge: EdgeConfig,
}

impl fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("server_url", &self.server_url)
            .field("worker_id", &self.worker_id)
            .field("token", &"********")
            .field("data_dir", &self.data_dir)
            .field("edge", &self.edge)
            .finish()
    }
}

/// Runs the worker until `shutdown` resolves (then running jobs are cancelled and
/// their reports flushed, within a grace period) or the server refuses it.
///
/// Connection failures and lost links are retried with backoff forever; a refusal
/// (wrong id or token, HTTP 401/403) returns [`WorkerError::Refused`].
#[tracing::instrument(name = "worker", skip_all, fields(worker = %config.worker_id))]
pub async fn run(config: WorkerConfig, shutdown: impl Future<Output = ()> + Send) -> Result<(), WorkerError> {
    let host = Arc::new(Host::detect(config.worker_id.clone(), config.data_dir.clone(), &config.edge).await?);
    host.edge().start().await?;
    let result = serve(host.clone(), config, shutdown).await;
    // A stopped worker stops its managed nginx; started again, it serves the same files.
    host.edge().shutdown().await;
    result
}

/// [`run`] with a host whose edge the caller started (and stops): the embedded
/// worker keeps the host to reach its edge.
pub async fn serve(
    host: Arc<Host>,
    config: WorkerConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), WorkerError> {
    let url = connect_url(&config.server_url)?;
    let (out, mut outbox) = mpsc::unbounded_channel();
    let jobs = Jobs::new(host.clone(), out.clone());
    let watcher =
        tokio::spawn(watch_services(host.engine().clone(), host.ledger().clone(), out.clone()).in_current_span());
    let (watched, sampler) = Watched::start(host.engine().clone(), out);
    let stop = CancellationToken::new();
    let mut unsent = None;
    let mut backoff = Backoff::new();
    tokio::pin!(shutdown);

    let result = loop {
        let session = Session {
            url: &url,
            config: &config,
            host: &host,
            jobs: &jobs,
            watched: &watched,
            outbox: &mut outbox,
            unsent: &mut unsent,
            stop: &stop,
        }
        .run();
        tokio::pin!(session);
        let end = loop {
            tokio::select! {
                end = &mut session => break end,
                () = &mut shutdown, if !stop.is_cancelled() => stop.cancel(),
            }
        };
        // No one to send samples to; the server sends the set again after a reconnect.
        watched.set([]);
        match end {
            SessionEnd::Stopped => break Ok(()),
            SessionEnd::Refused(reason) => {
                tracing::error!(%reason, "the server refused this worker; check its id and token");
                break Err(WorkerError::Refused { reason });
            }
            SessionEnd::Lost(reason) => {
                tracing::warn!(%reason, "lost the link to the server");
                backoff.reset();
            }
            SessionEnd::Failed(reason) => tracing::warn!(%reason, url = %url, "could not connect to the server"),
        }
        if stop.is_cancelled() {
            break Ok(());
        }
        let delay = backoff.next_delay();
        tracing::info!(retry_in = ?delay, "reconnecting");
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = &mut shutdown => break Ok(()),
        }
    };
    // Not connected (or refused): cancel what runs; its reports have nowhere to go.
    jobs.shut_down();
    if tokio::time::timeout(std::time::Duration::from_secs(20), jobs.idle()).await.is_err() {
        tracing::warn!("jobs did not end within 20 s of stopping; leaving them behind");
    }
    watcher.abort();
    sampler.abort();
    result
}

/// `{server_url}{CONNECT_PATH}` with a WebSocket scheme.
fn connect_url(server_url: &str) -> Result<String, WorkerError> {
    let invalid =
        |reason: &str| WorkerError::InvalidServerUrl { url: server_url.to_owned(), reason: reason.to_owned() };
    let base = server_url.trim().trim_end_matches('/');
    let (scheme, rest) = base.split_once("://").ok_or_else(|| invalid("it has no scheme (ws:// or wss://)"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "ws" | "http" => "ws",
        "wss" | "https" => "wss",
        _ => return Err(invalid("the scheme must be ws://, wss://, http:// or https://")),
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(invalid("it has no host"));
    }
    Ok(format!("{scheme}://{rest}{CONNECT_PATH}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_urls_get_the_path_and_a_websocket_scheme() {
        assert_eq!(connect_url("ws://127.0.0.1:3000").unwrap(), format!("ws://127.0.0.1:3000{CONNECT_PATH}"));
        assert_eq!(connect_url("https://nsm.example/").unwrap(), format!("wss://nsm.example{CONNECT_PATH}"));
        assert_eq!(connect_url("wss://h/base").unwrap(), format!("wss://h/base{CONNECT_PATH}"));
        for bad in ["127.0.0.1:3000", "ftp://h", "ws://", "ws:///x"] {
            assert!(connect_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let config = WorkerConfig {
            server_url: "ws://h".to_owned(),
            worker_id: WorkerId::local(),
            token: "super-secret-token".to_owned(),
            data_dir: PathBuf::from("/d"),
            edge: EdgeConfig::off(),
        };
        assert!(!format!("{config:?}").contains("super-secret"));
    }
}
