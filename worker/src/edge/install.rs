//! Changing what nginx serves, transactionally: write the new files, `nginx -t` the
//! whole configuration, reload, verify that the workers serve the new generation;
//! on any failure put every previous file back and say why. One change at a time.

use std::time::{Duration, Instant};

use nsm_core::ProjectId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::files::{self, FileError};
use super::layout::control_conf;
use super::nginx::{NginxError, Target};
use super::Edge;
use nsm_core::edge::EdgeMode;

/// How long the workers may take to pick up a reload.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(15);

/// A project's file after a change: new text, or removed.
pub type Change = (ProjectId, Option<String>);

/// Why a change was not applied (the previous files are back).
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("nginx -t refused the configuration: {0}")]
    Refused(#[source] NginxError),
    #[error("nginx -s reload failed: {0}")]
    Reload(#[source] NginxError),
    /// The workers never answered with the new generation: the last answer, and the
    /// error log's last `[emerg]`/`[alert]` lines (`: …`, or empty).
    #[error("nginx did not apply the configuration within {} s ({last}){log}", VERIFY_TIMEOUT.as_secs())]
    NotApplied { last: String, log: String },
}

/// What the control server answered instead of the generation asked for.
#[derive(Debug, thiserror::Error)]
enum ControlError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the control server did not answer")]
    Silent,
    #[error("unexpected control answer {0:?}")]
    Unexpected(String),
}

impl Edge {
    pub(super) fn live_target(&self) -> Target<'_> {
        match self.mode {
            EdgeMode::System => Target::Host { conf: self.host_conf.as_deref() },
            _ => Target::Own { prefix: &self.layout.prefix, conf: &self.main_conf_path },
        }
    }

    /// Applies `changes` as one transaction. `Err` says why nothing changed.
    #[tracing::instrument(skip_all, fields(projects = %projects(changes)))]
    pub async fn install(&self, changes: &[Change]) -> Result<(), InstallError> {
        let _one = self.config_lock.lock().await;
        self.install_locked(changes).await
    }

    async fn install_locked(&self, changes: &[Change]) -> Result<(), InstallError> {
        let mut previous = Vec::with_capacity(changes.len());
        for (project, _) in changes {
            let before = files::read_if_exists(&self.layout.site_file(project)).await?;
            previous.push((project.clone(), before));
        }
        // Nothing to change (a re-publish of what is served): no reload.
        if previous.iter().zip(changes).all(|((_, before), (_, after))| before == after) {
            return Ok(());
        }
        if let Err(e) = self.write_all(changes).await {
            self.restore(&previous).await;
            return Err(e.into());
        }
        let applied = self.apply().await;
        if let Err(reason) = applied {
            self.restore(&previous).await;
            // The previous files passed before: bring nginx back to them (it may have
            // half-applied nothing, but a verify failure means we cannot be sure).
            if let Err(again) = self.apply().await {
                tracing::error!(error = %again, "nginx did not take the previous configuration back");
            }
            return Err(reason);
        }
        Ok(())
    }

    /// Tests, reloads and verifies the live configuration as it is on disk.
    pub(super) async fn apply(&self) -> Result<(), InstallError> {
        let generation = self.next_generation();
        files::write_file(&self.layout.control_file(), &control_conf(self.control_port, generation)).await?;
        self.nginx.test(self.live_target()).await.map_err(InstallError::Refused)?;
        match self.mode {
            EdgeMode::System => self.nginx.reload(self.live_target()).await.map_err(InstallError::Reload)?,
            _ => {
                // A master still starting could die of SIGHUP: let it answer first.
                self.wait_until_answering(Duration::from_secs(5)).await;
                let reloaded = self.supervisor.lock().await.as_ref().is_some_and(|s| s.reload());
                if !reloaded {
                    // The supervisor starts nginx on these files when it comes back.
                    tracing::warn!("managed nginx is not running; the configuration applies when it restarts");
                    return Ok(());
                }
            }
        }
        self.verify(generation).await
    }

    async fn wait_until_answering(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while served_generation(self.control_port).await.is_err() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until nginx's workers answer with `generation`.
    pub(super) async fn verify(&self, generation: u64) -> Result<(), InstallError> {
        let deadline = Instant::now() + VERIFY_TIMEOUT;
        let mut last = String::from("no answer");
        while Instant::now() < deadline {
            match served_generation(self.control_port).await {
                Ok(served) if served == generation => return Ok(()),
                Ok(served) => last = format!("still serving generation {served}"),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(InstallError::NotApplied { last, log: self.error_log_tail().await })
    }

    async fn error_log_tail(&self) -> String {
        if self.mode == EdgeMode::System {
            return String::new();
        }
        let text = match tokio::fs::read_to_string(self.layout.error_log()).await {
            Ok(text) => text,
            Err(error) => {
                tracing::debug!(%error, "no error log of the managed nginx to quote");
                String::new()
            }
        };
        let lines: Vec<&str> =
            text.lines().rev().filter(|l| l.contains("[emerg]") || l.contains("[alert]")).take(3).collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!(": {}", lines.into_iter().rev().collect::<Vec<_>>().join("; "))
        }
    }

    async fn write_all(&self, changes: &[Change]) -> Result<(), FileError> {
        for (project, text) in changes {
            let path = self.layout.site_file(project);
            match text {
                Some(text) => files::write_file(&path, text).await?,
                None => files::remove_file(&path).await?,
            }
        }
        Ok(())
    }

    async fn restore(&self, previous: &[Change]) {
        if let Err(e) = self.write_all(previous).await {
            tracing::error!(error = %e, "cannot restore the previous nginx configuration");
        }
    }
}

/// The projects a change touches, for its span.
fn projects(changes: &[Change]) -> String {
    changes.iter().map(|(project, _)| project.as_str()).collect::<Vec<_>>().join(",")
}

/// Asks the control server which generation the workers serve.
async fn served_generation(port: u16) -> Result<u64, ControlError> {
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(b"GET /nsm-generation HTTP/1.0\r\nHost: nsm-control\r\n\r\n").await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(2), ask).await.map_err(|_| ControlError::Silent)??;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.trim()).unwrap_or_default();
    body.parse().map_err(|_| ControlError::Unexpected(body.to_owned()))
}
