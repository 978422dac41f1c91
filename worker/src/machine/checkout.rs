//! What a checkout on this machine declares: its root compose and `.env*` files, read
//! without following links out of the checkout, and the discovery made from them.

use std::io::Read;
use std::path::{Path, PathBuf};

use nsm_core::compose::{discover, Discovery, COMPOSE_FILE_NAMES, MAX_COMPOSE_BYTES};

use super::MachineError;

/// `.env*` files larger than this are not read (one never is).
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Discovers services and variables from a checkout's root files.
pub async fn discover_checkout(dir: &Path) -> Result<Discovery, MachineError> {
    let dir = dir.to_owned();
    let files = tokio::task::spawn_blocking(move || root_files(&dir)).await.map_err(MachineError::Blocking)??;
    Ok(discover(&files)?)
}

/// The root files discovery looks at (compose files and `.env*`), as (name, content).
/// A symlink is followed only when it stays inside the checkout, so a repository
/// cannot make the worker read files of its host.
fn root_files(dir: &Path) -> Result<Vec<(String, String)>, MachineError> {
    let root = dir.canonicalize().map_err(MachineError::io(dir))?;
    let entries = std::fs::read_dir(&root).map_err(MachineError::io(&root))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                tracing::warn!(%error, "skipping an unreadable entry of the checkout");
                continue;
            }
        };
        let Ok(name) = entry.file_name().into_string() else { continue };
        if !(COMPOSE_FILE_NAMES.contains(&name.as_str()) || name.starts_with(".env")) {
            continue;
        }
        let Some(path) = contained(&root, &entry.path()) else {
            tracing::warn!(file = %name, "ignoring a root file that points outside the checkout");
            continue;
        };
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(error) => {
                tracing::warn!(%error, file = %name, "skipping a root file that cannot be inspected");
                continue;
            }
        };
        let is_compose = COMPOSE_FILE_NAMES.contains(&name.as_str());
        if !meta.is_file() || (!is_compose && meta.len() > MAX_FILE_BYTES) {
            continue;
        }
        // An oversized compose file is read one byte past the bound, for the shared
        // crate to refuse by name rather than it silently going missing.
        let mut bytes = Vec::new();
        let file = std::fs::File::open(&path).map_err(MachineError::io(&name))?;
        file.take(MAX_COMPOSE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(MachineError::io(&name))?;
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

    #[tokio::test]
    async fn an_oversized_or_exploding_compose_file_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut yaml = "services: {}\n#".to_owned();
        yaml.push_str(&"x".repeat(MAX_COMPOSE_BYTES));
        std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
        let error = discover_checkout(dir.path()).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.starts_with("compose.yaml: the compose file is refused: it is larger than"), "{error}");

        let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nservices: {}\n";
        std::fs::write(dir.path().join("compose.yaml"), laughs).unwrap();
        let error = discover_checkout(dir.path()).await.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("aliases expand to more than"), "{error}");
    }
}
