//! `Sync`: what a branch's checkout declares (compose file, services, variable names),
//! and the root-file reading deployments share.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nsm_core::compose::{discover, Discovery, COMPOSE_FILE_NAMES};
use nsm_core::protocol::{RepoSource, SyncReport};

use crate::git::shallow_clone;
use crate::host::Host;

/// How long a sync's clone may take.
const SYNC_TIMEOUT: Duration = Duration::from_secs(300);
/// Root files larger than this are not read (a compose or `.env` file never is).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

pub(crate) async fn sync(host: &Host, source: &RepoSource) -> Result<SyncReport, String> {
    let scratch = tempfile::Builder::new()
        .prefix("sync-")
        .tempdir_in(host.data_dir().join("tmp"))
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let checkout = scratch.path().join("checkout");
    let interrupt = Arc::new(AtomicBool::new(false));
    let commit = match tokio::time::timeout(SYNC_TIMEOUT, shallow_clone(source, &checkout, interrupt.clone())).await {
        Ok(result) => result.map_err(|e| e.to_string())?,
        Err(_) => {
            interrupt.store(true, Ordering::Relaxed);
            return Err(format!("cloning took longer than {} s", SYNC_TIMEOUT.as_secs()));
        }
    };
    let discovery = discover_checkout(&checkout).await?;
    Ok(SyncReport { commit, discovery })
}

/// Discovers services and variables from a checkout's root files.
pub(crate) async fn discover_checkout(dir: &Path) -> Result<Discovery, String> {
    let dir = dir.to_owned();
    let files = tokio::task::spawn_blocking(move || root_files(&dir))
        .await
        .map_err(|e| format!("reading the checkout failed: {e}"))??;
    discover(&files).map_err(|e| e.to_string())
}

/// The root files discovery looks at (compose files and `.env*`), as (name, content).
/// A symlink is followed only when it stays inside the checkout, so a repository
/// cannot make the worker read files of its host.
fn root_files(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let root = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
    let entries = std::fs::read_dir(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else { continue };
        if !(COMPOSE_FILE_NAMES.contains(&name.as_str()) || name.starts_with(".env")) {
            continue;
        }
        let Some(path) = contained(&root, &entry.path()) else {
            tracing::warn!(file = %name, "ignoring a root file that points outside the checkout");
            continue;
        };
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?;
        files.push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    files.sort();
    Ok(files)
}

/// `path` resolved, if it stays under `root`.
fn contained(root: &Path, path: &Path) -> Option<PathBuf> {
    let resolved = path.canonicalize().ok()?;
    resolved.starts_with(root).then_some(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_compose_and_env_files_but_not_escaping_links() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "SECRET_NAME=x\n").unwrap();
        std::fs::write(dir.path().join("compose.yaml"), "services:\n  web:\n    image: x\n").unwrap();
        std::fs::write(dir.path().join(".env.example"), "A=1\n").unwrap();
        std::fs::write(dir.path().join("README.md"), "hi").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join(".env")).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/.env.inner"), "B=1\n").unwrap();
        std::os::unix::fs::symlink(dir.path().join("sub/.env.inner"), dir.path().join(".env.linked")).unwrap();

        let names: Vec<String> = root_files(dir.path()).unwrap().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [".env.example", ".env.linked", "compose.yaml"]);
    }
}
