//! Changing what nginx serves, transactionally: write the new files, `nginx -t` the
//! whole configuration, reload, verify that the workers serve the new generation;
//! on any failure put every previous file back and say why. One change at a time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nsm_core::ProjectId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::layout::{control_conf, Layout, MainConf};
use super::nginx::Target;
use super::Edge;
use crate::settings::EdgeMode;

/// How long the workers may take to pick up a reload.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(15);

/// A project's file after a change: new text, or removed.
pub type Change = (ProjectId, Option<String>);

impl Edge {
    pub(super) fn live_target(&self) -> Target<'_> {
        match self.mode {
            EdgeMode::System => Target::Host { conf: self.host_conf.as_deref() },
            _ => Target::Own { prefix: &self.layout.prefix, conf: &self.main_conf_path },
        }
    }

    /// Applies `changes` as one transaction. `Err` says why nothing changed.
    pub async fn install(&self, changes: &[Change]) -> Result<(), String> {
        let _one = self.config_lock.lock().await;
        self.install_locked(changes).await
    }

    pub(super) async fn install_locked(&self, changes: &[Change]) -> Result<(), String> {
        let mut previous = Vec::with_capacity(changes.len());
        for (project, _) in changes {
            let path = self.layout.site_file(project);
            let before = match tokio::fs::read_to_string(&path).await {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
            };
            previous.push((project.clone(), before));
        }
        if let Err(e) = self.write_all(changes).await {
            self.restore(&previous).await;
            return Err(e);
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

    /// `nginx -t` on the live configuration as it is on disk.
    pub async fn check_live(&self) -> Result<(), String> {
        self.nginx.test(self.live_target()).await
    }

    /// Tests, reloads and verifies the live configuration as it is on disk.
    pub(super) async fn apply(&self) -> Result<(), String> {
        let generation = self.next_generation();
        write_file(&self.layout.control_file(), &control_conf(self.control_port, generation)).await?;
        self.nginx.test(self.live_target()).await.map_err(|e| format!("nginx -t refused the configuration: {e}"))?;
        match self.mode {
            EdgeMode::System => {
                self.nginx.reload(self.live_target()).await.map_err(|e| format!("nginx -s reload failed: {e}"))?
            }
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
    pub(super) async fn verify(&self, generation: u64) -> Result<(), String> {
        let deadline = Instant::now() + VERIFY_TIMEOUT;
        let mut last = String::from("no answer");
        while Instant::now() < deadline {
            match served_generation(self.control_port).await {
                Ok(served) if served == generation => return Ok(()),
                Ok(served) => last = format!("still serving generation {served}"),
                Err(e) => last = e,
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = self.error_log_tail().await;
        Err(format!("nginx did not apply the configuration within {} s ({last}){log}", VERIFY_TIMEOUT.as_secs()))
    }

    async fn error_log_tail(&self) -> String {
        if self.mode == EdgeMode::System {
            return String::new();
        }
        let text = tokio::fs::read_to_string(self.layout.error_log()).await.unwrap_or_default();
        let lines: Vec<&str> =
            text.lines().rev().filter(|l| l.contains("[emerg]") || l.contains("[alert]")).take(3).collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!(": {}", lines.into_iter().rev().collect::<Vec<_>>().join("; "))
        }
    }

    async fn write_all(&self, changes: &[Change]) -> Result<(), String> {
        for (project, text) in changes {
            let path = self.layout.site_file(project);
            match text {
                Some(text) => write_file(&path, text).await?,
                None => remove_file(&path).await?,
            }
        }
        Ok(())
    }

    async fn restore(&self, previous: &[(ProjectId, Option<String>)]) {
        let restored: Vec<Change> = previous.to_vec();
        if let Err(e) = self.write_all(&restored).await {
            tracing::error!(error = %e, "cannot restore the previous nginx configuration");
        }
    }

    /// `nginx -t` on the live configuration with one project's file replaced by
    /// `text`, without touching the live files: what a deployment checks before the
    /// worker is asked to do anything.
    pub async fn check_candidate(&self, project: &ProjectId, text: &str) -> Result<(), String> {
        let scratch = Scratch::new(&self.layout.check).await?;
        let candidate = scratch.dir.join(format!("candidate-{project}.conf"));
        write_file(&candidate, text).await?;
        let own = self.layout.site_file(project);
        let mut sites: Vec<PathBuf> = {
            let _one = self.config_lock.lock().await;
            self.layout.installed().map_err(|e| format!("cannot list the installed sites: {e}"))?
        }
        .into_iter()
        .map(|(_, path)| path)
        .filter(|p| p != &own)
        .collect();
        sites.push(candidate);
        let result = scratch.test(self, &sites).await;
        scratch.remove().await;
        result
    }

    /// Checks each file alone (with nothing else installed): which ones cannot load.
    pub(super) async fn broken_files(&self, files: &[PathBuf]) -> Vec<(PathBuf, String)> {
        let mut broken = Vec::new();
        let Ok(scratch) = Scratch::new(&self.layout.check).await else {
            return broken;
        };
        for file in files {
            if let Err(e) = scratch.test(self, std::slice::from_ref(file)).await {
                broken.push((file.clone(), e));
            }
        }
        scratch.remove().await;
        broken
    }

    pub(super) fn main_conf(&self, sites: Option<&[PathBuf]>, scratch: Option<&Path>) -> Result<String, String> {
        MainConf {
            layout: &self.layout,
            http_port: self.listen.http,
            https_port: self.listen.https,
            user: self.nginx_user.as_deref(),
            sites,
            scratch,
        }
        .render()
    }
}

/// A throwaway prefix for `nginx -t` runs that must not disturb the live one.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    async fn new(check_root: &Path) -> Result<Self, String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = check_root.join(format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        // nginx -t opens the logs and creates the temp directories (not their parents).
        for sub in ["logs", "tmp"] {
            tokio::fs::create_dir_all(dir.join(sub))
                .await
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        Ok(Self { dir })
    }

    async fn test(&self, edge: &Edge, sites: &[PathBuf]) -> Result<(), String> {
        let conf = self.dir.join("nginx.conf");
        write_file(&conf, &edge.main_conf(Some(sites), Some(&self.dir))?).await?;
        edge.nginx.test(Target::Own { prefix: &self.dir, conf: &conf }).await
    }

    async fn remove(self) {
        let _ = tokio::fs::remove_dir_all(&self.dir).await;
    }
}

/// Writes beside the target and renames over it: nginx never reads half a file.
pub(super) async fn write_file(path: &Path, text: &str) -> Result<(), String> {
    let tmp = match path.file_name() {
        Some(name) => path.with_file_name(format!(".{}.new", name.to_string_lossy())),
        None => return Err(format!("{} is not a file path", path.display())),
    };
    tokio::fs::write(&tmp, text).await.map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    tokio::fs::rename(&tmp, path).await.map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

async fn remove_file(path: &Path) -> Result<(), String> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}

/// Asks the control server which generation the workers serve.
async fn served_generation(port: u16) -> Result<u64, String> {
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(b"GET /nsm-generation HTTP/1.0\r\nHost: nsm-control\r\n\r\n").await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = match tokio::time::timeout(Duration::from_secs(2), ask).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => return Err("the control server did not answer".into()),
    };
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.trim()).unwrap_or_default();
    body.parse().map_err(|_| format!("unexpected control answer {body:?}"))
}

impl Layout {
    /// Scratch checks of an old process may be left over: they are only ever temporary.
    pub fn clear_checks(&self) {
        if let Ok(entries) = std::fs::read_dir(&self.check) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}
