//! `nginx -t` without touching what is served: the live configuration as it is, a
//! candidate file for one project beside everything else (what a deployment checks
//! before the worker is asked to do anything), and each file alone (what loads).

use std::path::{Path, PathBuf};

use nsm_core::ProjectId;

use super::files::{self, FileError};
use super::layout::{Layout, MainConf};
use super::nginx::{NginxError, Target};
use super::Edge;

/// Why a configuration could not be checked, or what nginx said of it.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("cannot list the installed sites: {0}")]
    Sites(#[source] std::io::Error),
    #[error(transparent)]
    MainConf(#[from] nsm_core::edge::NginxError),
    #[error(transparent)]
    Nginx(#[from] NginxError),
}

impl Edge {
    /// `nginx -t` on the live configuration as it is on disk.
    pub async fn check_live(&self) -> Result<(), NginxError> {
        self.nginx.test(self.live_target()).await
    }

    /// `nginx -t` on the live configuration with one project's file replaced by
    /// `text`, without touching the live files.
    pub async fn check_candidate(&self, project: &ProjectId, text: &str) -> Result<(), CheckError> {
        let scratch = Scratch::new(&self.layout.check).await?;
        let result = self.check_in(&scratch, project, text).await;
        scratch.remove().await;
        result
    }

    async fn check_in(&self, scratch: &Scratch, project: &ProjectId, text: &str) -> Result<(), CheckError> {
        let candidate = scratch.dir.join(format!("candidate-{project}.conf"));
        files::write_file(&candidate, text).await?;
        let own = self.layout.site_file(project);
        let mut sites: Vec<PathBuf> = {
            let _one = self.config_lock.lock().await;
            self.layout.installed().map_err(CheckError::Sites)?
        }
        .into_iter()
        .map(|(_, path)| path)
        .filter(|p| p != &own)
        .collect();
        sites.push(candidate);
        scratch.test(self, &sites).await
    }

    /// Checks each file alone (with nothing else installed): which ones cannot load.
    pub(super) async fn broken_files(&self, files: &[PathBuf]) -> Vec<(PathBuf, CheckError)> {
        let mut broken = Vec::new();
        let scratch = match Scratch::new(&self.layout.check).await {
            Ok(scratch) => scratch,
            Err(error) => {
                tracing::error!(%error, "cannot check the project files one by one");
                return broken;
            }
        };
        for file in files {
            if let Err(e) = scratch.test(self, std::slice::from_ref(file)).await {
                broken.push((file.clone(), e));
            }
        }
        scratch.remove().await;
        broken
    }

    pub(super) fn main_conf(
        &self,
        sites: Option<&[PathBuf]>,
        scratch: Option<&Path>,
    ) -> Result<String, nsm_core::edge::NginxError> {
        MainConf {
            layout: &self.layout,
            http_port: self.listen.http,
            https_port: self.listen.https,
            user: self.nginx_user.as_deref(),
            sites,
            scratch,
            front: self.front.get(),
        }
        .render()
    }
}

/// A throwaway prefix for `nginx -t` runs that must not disturb the live one.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    async fn new(check_root: &Path) -> Result<Self, FileError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = check_root.join(format!("{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        // nginx -t opens the logs and creates the temp directories (not their parents).
        for sub in ["logs", "tmp"] {
            tokio::fs::create_dir_all(dir.join(sub))
                .await
                .map_err(|source| FileError::Create { path: dir.clone(), source })?;
        }
        Ok(Self { dir })
    }

    async fn test(&self, edge: &Edge, sites: &[PathBuf]) -> Result<(), CheckError> {
        let conf = self.dir.join("nginx.conf");
        files::write_file(&conf, &edge.main_conf(Some(sites), Some(&self.dir))?).await?;
        edge.nginx.test(Target::Own { prefix: &self.dir, conf: &conf }).await?;
        Ok(())
    }

    async fn remove(self) {
        if let Err(error) = tokio::fs::remove_dir_all(&self.dir).await {
            tracing::warn!(%error, dir = %self.dir.display(), "cannot remove a scratch check");
        }
    }
}

impl Layout {
    /// Scratch checks of an old process may be left over: they are only ever temporary.
    pub fn clear_checks(&self) {
        let entries = match std::fs::read_dir(&self.check) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(error) => {
                tracing::warn!(%error, dir = %self.check.display(), "cannot list old scratch checks");
                return;
            }
        };
        for entry in entries.flatten() {
            if let Err(error) = std::fs::remove_dir_all(entry.path()) {
                tracing::warn!(%error, dir = %entry.path().display(), "cannot remove an old scratch check");
            }
        }
    }
}
