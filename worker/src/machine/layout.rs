//! Where a project's files live on the worker:
//!
//! ```text
//! <data dir>/projects/<project>/
//!     current/              the deployed checkout, with NSM's .env and compose override
//!     mirror.git/           a bare mirror of the branch: each deployment fetches into it
//!     containers.json       which deployment accounts for each of the project's containers
//!     staging-<deployment>/ a checkout being prepared (never used by running containers)
//!     volume/               persistent across deployments (`Volume` variables)
//!     www/<resource>/       recreated empty on every deployment (`Directory` variables)
//! ```

use std::path::{Path, PathBuf};

use nsm_core::{DeploymentId, ProjectId};

use super::MachineError;

/// One project's directories under the data directory.
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    pub fn new(data_dir: &Path, project: &ProjectId) -> Self {
        Self { root: data_dir.join("projects").join(project.as_str()) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn current(&self) -> PathBuf {
        self.root.join("current")
    }

    /// The bare mirror deployments fetch into.
    pub fn mirror(&self) -> PathBuf {
        self.root.join("mirror.git")
    }

    /// The record of which deployment accounts for each container ([`super::ledger`]).
    pub fn ledger(&self) -> PathBuf {
        self.root.join("containers.json")
    }

    pub fn staging(&self, deployment: DeploymentId) -> PathBuf {
        self.root.join(format!("staging-{deployment}"))
    }

    /// Where the previous checkout goes; deleted once the job has reported.
    pub fn retired(&self, deployment: DeploymentId) -> PathBuf {
        self.root.join(format!("retired-{deployment}"))
    }

    pub fn volume(&self) -> PathBuf {
        self.root.join("volume")
    }

    /// A static resource's directory; the name must be one plain path component.
    pub fn directory(&self, resource: &str) -> Result<PathBuf, MachineError> {
        check_resource_name(resource)?;
        Ok(self.root.join("www").join(resource))
    }

    /// Leftovers of interrupted jobs (staging and retired checkouts). A directory that
    /// cannot be listed has none worth removing (it is logged).
    pub async fn leftovers(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut entries = match tokio::fs::read_dir(&self.root).await {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(%error, path = %self.root.display(), "cannot list the project's directory");
                return found;
            }
        };
        loop {
            match entries.next_entry().await {
                Ok(Some(entry)) => {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with("staging-") || name.starts_with("retired-") {
                        found.push(entry.path());
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(%error, path = %self.root.display(), "cannot list the project's directory");
                    break;
                }
            }
        }
        found
    }
}

/// Removes a directory tree; one already gone (another job cleaned up) is fine.
pub async fn remove_quietly(path: &Path) {
    match tokio::fs::remove_dir_all(path).await {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(%error, path = %path.display(), "could not remove an old checkout"),
    }
}

/// Resource names become directory names: one component, no traversal, no oddities.
fn check_resource_name(name: &str) -> Result<(), MachineError> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(MachineError::ResourceName(name.to_owned()))
    }
}

/// A path as `.env` text.
pub fn path_text(path: &Path) -> Result<String, MachineError> {
    path.to_str().map(str::to_owned).ok_or_else(|| MachineError::NonUtf8Path(path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_documented_layout() {
        let layout = Layout::new(Path::new("/d"), &ProjectId::parse("shop").unwrap());
        assert_eq!(layout.current(), Path::new("/d/projects/shop/current"));
        assert_eq!(layout.volume(), Path::new("/d/projects/shop/volume"));
        assert_eq!(layout.directory("docs").unwrap(), Path::new("/d/projects/shop/www/docs"));
        assert_eq!(layout.staging(DeploymentId(7)), Path::new("/d/projects/shop/staging-7"));
    }

    #[test]
    fn resource_directories_cannot_escape() {
        let layout = Layout::new(Path::new("/d"), &ProjectId::parse("shop").unwrap());
        for bad in ["", ".", "..", "a/b", "../x", "a b", "/abs"] {
            assert!(layout.directory(bad).is_err(), "{bad:?}");
        }
    }
}
