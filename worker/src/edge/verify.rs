//! After publishing: ask this node's own edge for every resource of every domain, over
//! HTTPS with the hostname, as a visitor would. An API Service nginx cannot reach
//! (502/504) or a Static Page whose directory is missing or empty is a failure: a
//! deployment that is not served never says `succeeded`. An application's own
//! answers (a 404 included) are its business.

use std::time::Duration;

use nsm_core::protocol::{Probe, ProbeKind, SiteFile};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use super::layout::UNROUTED_HEADER;
use super::probe::{self, ProbeError};
use super::Edge;

/// How long one request may take. nginx answers 502 at once when nothing listens
/// upstream; an upstream that took the connection but says nothing yet (a WebSocket
/// endpoint, a slow start) is reachable, which is all the probe asks.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// How often an API Service that is still starting is asked again.
const RETRY_EVERY: Duration = Duration::from_millis(500);
/// How long a service may take, after its container settled, to listen (API
/// Service) or to write its files (Static Page).
const START_GRACE: Duration = Duration::from_secs(20);

/// Why a resource is not served.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{label} (Static Page) is not served: its directory {directory} {why}")]
    Directory { label: String, directory: String, why: &'static str },
    #[error("{label} (API Service) is not served: nginx answered {status} (its upstream is not reachable)")]
    Upstream { label: String, status: u16 },
    #[error("{label} (Redirect Link) is not served: nginx answered {status} instead of 302")]
    Redirect { label: String, status: u16 },
    #[error("{label} is not served: no server of the project took the request (nginx's default server answered)")]
    Unrouted { label: String },
    #[error("{label} is not served: {source}")]
    Request { label: String, source: RequestError },
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Connect(#[from] ProbeError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no answer within {} s", REQUEST_TIMEOUT.as_secs())]
    Timeout,
    #[error("an answer that is not HTTP: {0:?}")]
    NotHttp(String),
}

impl Edge {
    /// Probes every resource; API Services may take until `deadline` (at most
    /// [`START_GRACE`]) to start answering. Returns one line per probe for the log, or the first failure.
    pub async fn verify_site(&self, site: &SiteFile, deadline: Instant) -> Result<Vec<String>, VerifyError> {
        let mut lines = Vec::with_capacity(site.probes.len());
        for probe in &site.probes {
            let url = format!("{} https://{}{}", kind_name(&probe.kind), probe.hostname, probe.path);
            match self.probe(probe, deadline).await {
                Ok(status) => lines.push(format!("{url} answered {status}")),
                Err(VerifyError::Request { source: RequestError::Timeout, .. })
                    if matches!(probe.kind, ProbeKind::Api | ProbeKind::Custom) =>
                {
                    lines.push(format!(
                        "{url} took the request and has not answered within {} s",
                        REQUEST_TIMEOUT.as_secs()
                    ))
                }
                Err(error) => return Err(error),
            }
        }
        Ok(lines)
    }

    async fn probe(&self, probe: &Probe, deadline: Instant) -> Result<u16, VerifyError> {
        let deadline = deadline.min(Instant::now() + START_GRACE);
        let label = || probe.label.clone();
        if let ProbeKind::Static { directory } = &probe.kind {
            while let Some(why) = directory_problem(directory).await {
                if Instant::now() + RETRY_EVERY >= deadline {
                    return Err(VerifyError::Directory { label: label(), directory: directory.clone(), why });
                }
                tokio::time::sleep(RETRY_EVERY).await;
            }
        }
        loop {
            let answer = self.status_of(probe).await.map_err(|source| VerifyError::Request { label: label(), source });
            // A worker of the configuration before the reload may still take a
            // connection for a moment: ask again until the project's server answers.
            if let Ok((_, true)) = answer {
                if Instant::now() + RETRY_EVERY >= deadline {
                    return Err(VerifyError::Unrouted { label: label() });
                }
                tokio::time::sleep(RETRY_EVERY).await;
                continue;
            }
            let status = answer.map(|(status, _)| status);
            match (&probe.kind, status) {
                // nginx answers 502 until the application listens: give it until the deadline.
                (ProbeKind::Api, Ok(status @ (502 | 504))) => {
                    if Instant::now() + RETRY_EVERY >= deadline {
                        return Err(VerifyError::Upstream { label: label(), status });
                    }
                    tokio::time::sleep(RETRY_EVERY).await;
                }
                (ProbeKind::Redirect, Ok(status)) if status != 302 => {
                    return Err(VerifyError::Redirect { label: label(), status })
                }
                (_, result) => return result,
            }
        }
    }

    /// The status nginx answers for the probe's request, and whether the edge's
    /// default server answered it (no project's server took it).
    async fn status_of(&self, probe: &Probe) -> Result<(u16, bool), RequestError> {
        let ask = async {
            let mut stream = probe::connect(self.listen.https, probe.hostname.as_str()).await?;
            let request = format!(
                "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: nsm-worker-probe\r\nConnection: close\r\n\r\n",
                probe.path, probe.hostname
            );
            stream.write_all(request.as_bytes()).await?;
            let mut head = Vec::with_capacity(256);
            let mut buffer = [0u8; 256];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                let read = stream.read(&mut buffer).await?;
                if read == 0 {
                    break;
                }
                head.extend_from_slice(&buffer[..read]);
            }
            Ok::<_, RequestError>(head)
        };
        let head = tokio::time::timeout(REQUEST_TIMEOUT, ask).await.map_err(|_| RequestError::Timeout)??;
        Ok((status_code(&head)?, unrouted(&head)))
    }
}

/// The resource type as users know it.
fn kind_name(kind: &ProbeKind) -> &'static str {
    match kind {
        ProbeKind::Api => "API Service",
        ProbeKind::Static { .. } => "Static Page",
        ProbeKind::Redirect => "Redirect Link",
        ProbeKind::Custom => "Custom",
    }
}

/// `HTTP/1.1 200 OK…` → 200.
fn status_code(head: &[u8]) -> Result<u16, RequestError> {
    let text = String::from_utf8_lossy(head);
    let line = text.lines().next().unwrap_or_default();
    let mut words = line.split_whitespace();
    match (words.next(), words.next().and_then(|code| code.parse().ok())) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => Ok(code),
        _ => Err(RequestError::NotHttp(line.chars().take(80).collect())),
    }
}

/// Whether the answer carries the default servers' header.
fn unrouted(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let wanted = UNROUTED_HEADER.to_ascii_lowercase();
    text.lines()
        .skip(1)
        .any(|line| line.split_once(':').is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case(&wanted)))
}

/// Why a Static Page's directory cannot be served, if it cannot.
async fn directory_problem(directory: &str) -> Option<&'static str> {
    let mut entries = match tokio::fs::read_dir(directory).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some("does not exist"),
        Err(_) => return Some("cannot be read"),
    };
    match entries.next_entry().await {
        Ok(Some(_)) => None,
        Ok(None) => Some("is empty (did a service write its files there?)"),
        Err(_) => Some("cannot be read"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn status_lines_are_read() {
        assert_eq!(status_code(b"HTTP/1.1 502 Bad Gateway\r\nServer: nginx").unwrap(), 502);
        assert_eq!(status_code(b"HTTP/1.0 200 OK\r\n").unwrap(), 200);
        assert!(status_code(b"SSH-2.0-OpenSSH\r\n").is_err());
        assert!(status_code(b"").is_err());
        assert!(unrouted(b"HTTP/1.1 404 Not Found\r\nServer: nginx\r\nx-nsm-unrouted: 1\r\n\r\n"));
        assert!(!unrouted(b"HTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\n"));
    }

    #[tokio::test]
    async fn empty_and_missing_directories_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        assert_eq!(directory_problem(&path).await, Some("is empty (did a service write its files there?)"));
        std::fs::write(dir.path().join("index.html"), "hi").unwrap();
        assert_eq!(directory_problem(&path).await, None);
        assert_eq!(directory_problem(&format!("{path}/nope")).await, Some("does not exist"));
    }
}
