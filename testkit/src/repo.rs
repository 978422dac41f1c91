//! Git repositories made with the system `git`, ignoring the host's configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::{io_error, run, Result};

/// A non-bare repository on branch `main`, deleted on drop (unless created in a
/// directory the caller owns).
pub struct FixtureRepo {
    path: PathBuf,
    name: String,
    _owned: Option<TempDir>,
}

impl FixtureRepo {
    /// A repository named `repo` in a fresh temporary directory.
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir().map_err(io_error("creating a temporary directory"))?;
        let mut repo = Self::create_in(dir.path(), "repo")?;
        repo._owned = Some(dir);
        Ok(repo)
    }

    /// A repository at `parent/name` (for serving several from one root).
    pub fn create_in(parent: &Path, name: &str) -> Result<Self> {
        let path = parent.join(name);
        std::fs::create_dir_all(&path).map_err(io_error(format!("creating {}", path.display())))?;
        let repo = Self { path, name: name.to_owned(), _owned: None };
        run(repo.git().args(["init", "--quiet", "--initial-branch", "main"]))?;
        Ok(repo)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn file_url(&self) -> String {
        format!("file://{}", self.path.display())
    }

    /// Writes `files` (path relative to the root, content), commits everything, and
    /// returns the new commit id.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> Result<String> {
        for (name, content) in files {
            let file = self.path.join(name);
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(io_error(format!("creating {}", dir.display())))?;
            }
            std::fs::write(&file, content).map_err(io_error(format!("writing {}", file.display())))?;
        }
        self.commit_all(message)
    }

    /// Deletes `files` and commits.
    pub fn remove(&self, files: &[&str], message: &str) -> Result<String> {
        for name in files {
            let file = self.path.join(name);
            std::fs::remove_file(&file).map_err(io_error(format!("removing {}", file.display())))?;
        }
        self.commit_all(message)
    }

    /// The id of the commit `main` points at.
    pub fn head(&self) -> Result<String> {
        let output = run(self.git().args(["rev-parse", "HEAD"]))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    fn commit_all(&self, message: &str) -> Result<String> {
        run(self.git().args(["add", "--all"]))?;
        run(self.git().args(["commit", "--quiet", "--allow-empty", "-m", message]))?;
        self.head()
    }

    /// `git -C <repo>` with no system or global configuration and a fixed identity.
    fn git(&self) -> Command {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.path)
            .args(["-c", "user.name=NSM Test", "-c", "user.email=test@nsm.invalid", "-c", "commit.gpgsign=false"])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE");
        command
    }
}
