//! Writing the files NSM generates into a checkout (`.env`, the compose override).
//!
//! The checkout is the repository's: a committed `.env` may be a symbolic link to any
//! file of the node, or a directory. Whatever stands at the name is removed, and the
//! file is created anew, refusing to follow a link, readable by the worker's user only.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use nix::fcntl::OFlag;
use tokio::io::AsyncWriteExt;

use super::MachineError;

/// Mode of every generated file: `.env` holds secrets.
pub const GENERATED_MODE: u32 = 0o600;

/// Replaces `dir/name` with a fresh regular file holding `content`, mode 0600.
pub async fn write_generated(dir: &Path, name: &str, content: &str) -> Result<(), MachineError> {
    let path = dir.join(name);
    match tokio::fs::symlink_metadata(&path).await {
        // A link is removed itself, never what it points to.
        Ok(meta) if meta.is_dir() => tokio::fs::remove_dir_all(&path).await.map_err(MachineError::io(&path))?,
        Ok(_) => tokio::fs::remove_file(&path).await.map_err(MachineError::io(&path))?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(MachineError::io(&path)(error)),
    }
    // O_CREAT | O_EXCL fails on anything that appeared at the name, links included.
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(GENERATED_MODE)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC).bits())
        .open(&path)
        .await
        .map_err(MachineError::io(&path))?;
    // The mode asked for at creation is narrowed by the umask; this one is exact.
    file.set_permissions(std::fs::Permissions::from_mode(GENERATED_MODE)).await.map_err(MachineError::io(&path))?;
    file.write_all(content.as_bytes()).await.map_err(MachineError::io(&path))?;
    file.flush().await.map_err(MachineError::io(&path))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{symlink, MetadataExt};

    use super::*;

    async fn assert_fresh(path: &Path, content: &str) {
        let meta = std::fs::symlink_metadata(path).unwrap();
        assert!(meta.file_type().is_file(), "{} is a regular file", path.display());
        assert_eq!(meta.mode() & 0o7777, GENERATED_MODE);
        assert_eq!(std::fs::read_to_string(path).unwrap(), content);
    }

    #[tokio::test]
    async fn links_files_and_directories_at_the_name_are_replaced_not_followed() {
        let checkout = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        std::fs::write(&target, "untouched").unwrap();
        let target_mode = std::fs::metadata(&target).unwrap().mode();
        symlink(&target, checkout.path().join(".env")).unwrap();
        symlink(outside.path().join("absent"), checkout.path().join("dangling")).unwrap();
        std::fs::create_dir(checkout.path().join("dir")).unwrap();
        std::fs::write(checkout.path().join("dir/inner"), "x").unwrap();
        std::fs::write(checkout.path().join("plain"), "old").unwrap();
        std::fs::set_permissions(checkout.path().join("plain"), std::fs::Permissions::from_mode(0o666)).unwrap();

        for name in [".env", "dangling", "dir", "plain", "new"] {
            write_generated(checkout.path(), name, "SECRET=1\n").await.unwrap();
            assert_fresh(&checkout.path().join(name), "SECRET=1\n").await;
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "untouched");
        assert!(!outside.path().join("absent").exists());
        assert_eq!(std::fs::metadata(&target).unwrap().mode(), target_mode);
    }
}
