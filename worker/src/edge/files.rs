//! Writing the files nginx reads: beside the target, then renamed over it, so nginx
//! never reads half a file.

use std::path::{Path, PathBuf};

/// A file of the edge that could not be read, written or removed.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot replace {}: {source}", path.display())]
    Replace { path: PathBuf, source: std::io::Error },
    #[error("cannot remove {}: {source}", path.display())]
    Remove { path: PathBuf, source: std::io::Error },
    #[error("cannot create {}: {source}", path.display())]
    Create { path: PathBuf, source: std::io::Error },
    #[error("{} is not a file path", .0.display())]
    NotAFile(PathBuf),
}

/// Writes beside the target and renames over it.
pub async fn write_file(path: &Path, text: &str) -> Result<(), FileError> {
    let tmp = match path.file_name() {
        Some(name) => path.with_file_name(format!(".{}.new", name.to_string_lossy())),
        None => return Err(FileError::NotAFile(path.to_owned())),
    };
    tokio::fs::write(&tmp, text).await.map_err(|source| FileError::Write { path: tmp.clone(), source })?;
    tokio::fs::rename(&tmp, path).await.map_err(|source| FileError::Replace { path: path.to_owned(), source })
}

/// Removes a file; one that is already gone is fine.
pub async fn remove_file(path: &Path) -> Result<(), FileError> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FileError::Remove { path: path.to_owned(), source }),
    }
}

/// A file's text, `None` when there is no such file.
pub async fn read_if_exists(path: &Path) -> Result<Option<String>, FileError> {
    match tokio::fs::read_to_string(path).await {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FileError::Read { path: path.to_owned(), source }),
    }
}
